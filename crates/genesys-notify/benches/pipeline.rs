//! Throughput of the whole client pipeline on one core: socket frame -> envelope -> typed snapshot -> consumer.
//!
//! The roster must apply >= 20,000 events/s; this measures what the notification client costs of that budget.
//! Run: `cargo bench -p genesys-notify --bench pipeline` (prints events/s; fails below the bar).

use std::time::{Duration, Instant};

use genesys_notify::{
    ConnectionStatus, NotifyConfig, NotifyEvent, WatchTarget, spawn, test_support,
};

/// The model crate's realistic event: a 4-party conference with ended ACD and duplicate legs (6 participants).
const FIXTURE: &str =
    include_str!("../../genesys-model/tests/fixtures/event_queue_conference_4party.json");
const EVENTS: usize = 100_000;
const BAR_PER_SECOND: f64 = 20_000.0;

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let value: serde_json::Value = serde_json::from_str(FIXTURE).expect("fixture is JSON");
    let frame = serde_json::to_string(&value).expect("re-encodes compact");
    let topic = value["topicName"].as_str().expect("topicName");
    let queue = WatchTarget::from_topic(topic).expect("a queue calls topic");

    let (transport, mut control) = test_support::fake_transport();
    let config = NotifyConfig {
        event_buffer: 8_192,
        ..NotifyConfig::default()
    };
    let (handle, mut events) = spawn(
        config,
        [queue],
        test_support::FakeProvisioner::new(),
        transport,
    );
    let server = control.next_socket().await;
    let mut resynced = false;
    while !resynced {
        match events.recv().await.expect("client running") {
            NotifyEvent::Resync(_) => resynced = true,
            NotifyEvent::Status(ConnectionStatus::Closed { reason }) => panic!("closed: {reason}"),
            _ => {}
        }
    }

    // Reference: the model's own two-pass decode of the same frame, without the client around it.
    let started = Instant::now();
    for _ in 0..EVENTS {
        let n = genesys_model::Notification::decode(std::hint::black_box(&frame)).expect("decodes");
        std::hint::black_box(n);
    }
    let elapsed = started.elapsed();
    println!(
        "decode only (genesys-model Notification::decode): {:.0} events/s, {:.1} us/event",
        EVENTS as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / EVENTS as f64
    );

    let mut best = 0.0f64;
    for round in 1..=3 {
        // Queue every frame first (the fake socket is unbounded), then time the client draining them.
        for _ in 0..EVENTS {
            assert!(server.send(frame.clone()));
        }
        let started = Instant::now();
        let mut participants = 0usize;
        for _ in 0..EVENTS {
            match events.recv().await.expect("client running") {
                NotifyEvent::Conversation(ev) => participants += ev.conversation.participants.len(),
                other => panic!("unexpected {other:?}"),
            }
        }
        let elapsed = started.elapsed();
        let rate = EVENTS as f64 / elapsed.as_secs_f64();
        best = best.max(rate);
        println!(
            "round {round}: {EVENTS} events ({} bytes each, {participants} participants) in {elapsed:?}: {rate:.0} events/s, {:.1} us/event",
            frame.len(),
            elapsed.as_secs_f64() * 1e6 / EVENTS as f64
        );
    }
    handle.shutdown().await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(
        best >= BAR_PER_SECOND,
        "{best:.0} events/s is below the {BAR_PER_SECOND} bar"
    );
}
