//! Event pipeline throughput on one core: socket frame -> decoded conversation snapshot -> merged
//! into a roster holding 1,000 live conversations -> change published.
//!
//! Every event is a real change (the customer's `muted` flag flips), so each one builds a new
//! record and emits an `Upserted` change; a subscriber drains the changes in batches as the UI does.
//! Run: `cargo bench -p supervisor-core --bench roster_apply` (prints events/s; exits non-zero below
//! the 20,000 events/s bar).

use std::sync::Arc;
use std::time::Instant;

use genesys_model::{Notification, NotificationBody, QueueId, Topic};
use genesys_notify::ConversationEvent;
use serde_json::Value;
use supervisor_core::roster::{Effect, RosterModel};

const FIXTURE: &str =
    include_str!("../../genesys-model/tests/fixtures/event_queue_conference_4party.json");
const CONVERSATIONS: usize = 1_000;
const EVENTS: usize = 200_000;
const BAR_PER_SECOND: f64 = 20_000.0;

/// Frame `variant` (0 or 1) of conversation `i`: unique ids, the customer muted in variant 1.
fn frame(template: &Value, i: usize, variant: usize) -> String {
    let mut v = template.clone();
    let body = &mut v["eventBody"];
    body["id"] = format!("conv-{i:04}").into();
    if let Some(parts) = body["participants"].as_array_mut() {
        for p in parts.iter_mut() {
            let id = p["id"].as_str().unwrap_or("p").to_owned();
            p["id"] = format!("{id}-{i:04}").into();
            if p["purpose"] == "customer" {
                p["muted"] = (variant == 1).into();
            }
        }
    }
    serde_json::to_string(&v).expect("re-encodes")
}

fn apply(model: &mut RosterModel, text: &str) -> Effect {
    let notification = Notification::decode(text).expect("decodes");
    let Topic::QueueConversationCalls(queue_id) = notification.topic else {
        panic!("a queue calls topic");
    };
    let NotificationBody::CallConversation(conversation) = notification.body else {
        panic!("a call conversation body");
    };
    model.apply_event(ConversationEvent {
        topic: Arc::from("bench"),
        source: genesys_notify::WatchTarget::Queue(queue_id),
        conversation,
        correlation_id: notification.correlation_id,
    })
}

fn main() {
    let template: Value = serde_json::from_str(FIXTURE).expect("fixture");
    let queue = template["topicName"]
        .as_str()
        .and_then(|t| t.strip_prefix("v2.routing.queues."))
        .and_then(|t| t.strip_suffix(".conversations.calls"))
        .map(QueueId::new)
        .expect("queue topic");
    let frames: Vec<[String; 2]> = (0..CONVERSATIONS)
        .map(|i| [frame(&template, i, 0), frame(&template, i, 1)])
        .collect();
    let bytes = frames[0][0].len();

    let mut model = RosterModel::new([queue], 16_384);
    let mut ui = model.subscribe();
    for f in &frames {
        assert!(matches!(apply(&mut model, &f[0]), Effect::Upserted(_)));
    }
    assert_eq!(model.len(), CONVERSATIONS);
    while ui.try_recv().is_ok() {}

    let mut best = 0.0f64;
    for round in 1..=3 {
        let started = Instant::now();
        let mut delivered = 0usize;
        for n in 0..EVENTS {
            let i = n % CONVERSATIONS;
            let variant = (n / CONVERSATIONS + 1) % 2;
            let effect = apply(&mut model, &frames[i][variant]);
            debug_assert!(matches!(effect, Effect::Upserted(_)));
            if n % 1_000 == 999 {
                while ui.try_recv().is_ok() {
                    delivered += 1;
                }
            }
        }
        while ui.try_recv().is_ok() {
            delivered += 1;
        }
        let elapsed = started.elapsed();
        let rate = EVENTS as f64 / elapsed.as_secs_f64();
        best = best.max(rate);
        println!(
            "round {round}: {EVENTS} events ({bytes} bytes, 6 legs each) on {CONVERSATIONS} live conversations in {elapsed:.2?}: {rate:.0} events/s ({:.1} us/event), {delivered} changes delivered",
            elapsed.as_secs_f64() * 1e6 / EVENTS as f64
        );
        assert_eq!(delivered, EVENTS, "every event was a change");
    }
    println!("best: {best:.0} events/s decoded and applied (bar {BAR_PER_SECOND:.0})");
    if best < BAR_PER_SECOND {
        eprintln!("below the bar");
        std::process::exit(1);
    }
}
