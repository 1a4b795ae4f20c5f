//! Malformed and hostile input never panics, and the roster's invariants hold whatever arrives:
//! property tests over the decode-and-apply pipeline, and a scripted notification stream into a
//! live roster.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use bridgekeeper_tests::{Rig, emulator_config};
use genesys_emulator::{EmulatorConfig, SUPERVISOR_EMAIL, ScenarioName};
use genesys_model::{ConversationId, DecodeError, Notification, NotificationBody, QueueId, Topic};
use genesys_notify::{
    ChannelInfo, ConnectionStatus, ConversationEvent, Malformed, NotifyConfig, NotifyEvent,
    ProvisionError, Provisioner, RejectedTopic, Resync, ResyncReason, TungsteniteTransport,
};
use proptest::prelude::*;
use serde_json::{Value, json};
use supervisor_core::roster::{
    ChangeKind, ConversationRecord, Effect, RemovalReason, Roster, RosterModel,
};

const QUEUE: &str = "q-props";
const FIXTURE: &str =
    include_str!("../../crates/genesys-model/tests/fixtures/event_queue_conference_4party.json");

/// Decodes one socket frame the way the notification client does and applies it.
fn feed(model: &mut RosterModel, frame: &str) -> Option<Effect> {
    let notification = Notification::decode(frame).ok()?;
    let NotificationBody::CallConversation(conversation) = notification.body else {
        return None;
    };
    let queue = match notification.topic {
        Topic::QueueConversationCalls(q) => q,
        _ => QueueId::new(QUEUE),
    };
    Some(model.apply_event(ConversationEvent {
        topic: Arc::from("v2.routing.queues.x.conversations.calls"),
        source: genesys_notify::WatchTarget::Queue(queue),
        conversation,
        correlation_id: notification.correlation_id,
    }))
}

fn envelope(body: &Value) -> String {
    json!({
        "topicName": format!("v2.routing.queues.{QUEUE}.conversations.calls"),
        "version": "2",
        "eventBody": body,
        "metadata": {"CorrelationId": "c"}
    })
    .to_string()
}

/// Checks what must hold for every record on the board.
fn check_record(record: &ConversationRecord) {
    let mut ids = HashSet::new();
    for leg in record.all_legs() {
        assert!(
            ids.insert(leg.participant_id.clone()),
            "leg {} in two lists",
            leg.participant_id
        );
    }
    assert!(!record.ended, "an ended call is on the board");
    assert!(
        record.all_legs().next().is_some(),
        "a board record without legs"
    );
    assert!(
        record.parties.len() + record.other_legs.len() > 0,
        "a board record with every leg ended"
    );
    assert_eq!(record.is_conference, record.live_people_count() > 2);
    for stale in &record.stale_duplicates {
        let user = stale
            .user_id
            .as_ref()
            .expect("a stale duplicate has a user");
        assert!(!record.live_legs_of(user).is_empty());
    }
}

fn arb_leg() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec!["p1", "p2", "p3", "p4", "p5"]),
        prop::option::of(prop::sample::select(vec![
            "customer", "agent", "acd", "external", "user", "hologram",
        ])),
        prop::option::of(prop::sample::select(vec![
            "connected",
            "disconnected",
            "terminated",
            "alerting",
            "teleporting",
            "none",
        ])),
        prop::option::of(any::<bool>()),
        prop::option::of(any::<bool>()),
        prop::option::of(prop::sample::select(vec!["u1", "u2"])),
        any::<bool>(),
    )
        .prop_map(|(id, purpose, state, muted, held, user, junk)| {
            let mut leg = json!({"id": id});
            if let Some(p) = purpose {
                leg["purpose"] = p.into();
            }
            if let Some(s) = state {
                leg["state"] = s.into();
            }
            if let Some(m) = muted {
                leg["muted"] = m.into();
            }
            if let Some(h) = held {
                leg["held"] = h.into();
            }
            if let Some(u) = user {
                leg["user"] = json!({"id": u, "name": format!("User {u}")});
            }
            if junk {
                leg["someNewField"] = json!({"nested": [1, null, "x"]});
                leg["queue"] = Value::Null;
                leg["mediaRoles"] = Value::Null;
            }
            leg
        })
}

fn arb_event() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec!["c1", "c2", "c3"]),
        prop::collection::vec(arb_leg(), 0..6),
    )
        .prop_map(|(id, participants)| json!({"id": id, "participants": participants}))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any text at all: decoding fails cleanly or applies; nothing panics.
    #[test]
    fn arbitrary_frames_never_panic(frame in ".{0,400}") {
        let mut model = RosterModel::new([QueueId::new(QUEUE)], 64);
        let _ = feed(&mut model, &frame);
    }

    /// A real event with bytes flipped, cut or duplicated.
    #[test]
    fn mutated_real_events_never_panic(
        cut in 0usize..4000,
        flips in prop::collection::vec((0usize..4000, any::<u8>()), 0..8),
    ) {
        let mut bytes = FIXTURE.as_bytes().to_vec();
        for (at, b) in flips {
            let at = at % bytes.len();
            bytes[at] = b;
        }
        bytes.truncate(cut.max(1).min(bytes.len()));
        let frame = String::from_utf8_lossy(&bytes).into_owned();
        let mut model = RosterModel::new([QueueId::new(QUEUE)], 64);
        let _ = feed(&mut model, &frame);
        let _ = feed(&mut model, FIXTURE);
        for record in model.snapshot().conversations {
            check_record(&record);
        }
    }

    /// Sequences of odd but well-formed events, in any order and with duplicates: the board keeps
    /// its invariants, ended legs never come back, ended calls never come back, changes are numbered.
    #[test]
    fn the_board_keeps_its_invariants(events in prop::collection::vec(arb_event(), 1..40)) {
        let mut model = RosterModel::new([QueueId::new(QUEUE)], 4096);
        let mut changes = model.subscribe();
        let mut ended_legs: BTreeSet<(String, String)> = BTreeSet::new();
        let mut ended_calls: BTreeSet<String> = BTreeSet::new();
        for body in &events {
            let _ = feed(&mut model, &envelope(body));
            for record in model.snapshot().conversations {
                check_record(&record);
                prop_assert!(!ended_calls.contains(record.id.as_str()), "{} came back", record.id);
                for live in &record.parties {
                    prop_assert!(
                        !ended_legs.contains(&(record.id.to_string(), live.participant_id.to_string())),
                        "leg {} of {} came back to life", live.participant_id, record.id
                    );
                }
                for gone in record.ended_legs.iter().chain(&record.stale_duplicates) {
                    ended_legs.insert((record.id.to_string(), gone.participant_id.to_string()));
                }
            }
            let mut last = None;
            while let Ok(change) = changes.try_recv() {
                if let Some(prev) = last {
                    prop_assert_eq!(change.seq, prev + 1);
                }
                last = Some(change.seq);
                if let ChangeKind::Removed { id, reason: RemovalReason::Ended } = change.kind {
                    ended_calls.insert(id.to_string());
                }
            }
        }
    }
}

/// A provisioner that never connects: the scripted tests feed the roster themselves.
struct Offline;

impl Provisioner for Offline {
    async fn create_channel(&self) -> Result<ChannelInfo, ProvisionError> {
        Err(ProvisionError::Transient {
            status: None,
            message: "offline (scripted test)".into(),
            source: None,
        })
    }

    async fn replace_subscriptions(
        &self,
        _channel: &genesys_model::ChannelId,
        _topics: &[String],
    ) -> Result<Vec<RejectedTopic>, ProvisionError> {
        Ok(Vec::new())
    }
}

#[tokio::test]
async fn a_live_roster_survives_malformed_and_hostile_events() {
    let rig = Rig::start_with(EmulatorConfig {
        scenario: ScenarioName::Empty,
        ..emulator_config()
    })
    .await;
    let token = rig.token(SUPERVISOR_EMAIL).await;
    let (notify, _unused) = genesys_notify::spawn(
        NotifyConfig::default(),
        Vec::<genesys_notify::WatchTarget>::new(),
        Offline,
        TungsteniteTransport::new(),
    );
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let queue = QueueId::new(QUEUE);
    let roster = Roster::start(
        rig.client(&token),
        notify,
        rx,
        [queue.clone()],
        bridgekeeper_tests::roster_config(),
    );
    tx.send(NotifyEvent::Status(ConnectionStatus::Live))
        .await
        .expect("send");
    tx.send(NotifyEvent::Resync(Resync {
        reason: ResyncReason::Connected,
        targets: vec![genesys_notify::WatchTarget::Queue(queue.clone())],
    }))
    .await
    .expect("send");
    assert!(roster.wait_until_trusted(Duration::from_secs(5)).await);
    for i in 0..5 {
        tx.send(NotifyEvent::Malformed(Malformed {
            topic: Some(format!("v2.routing.queues.{QUEUE}.conversations.calls")),
            error: DecodeError::new(format!("eventBody.participants[{i}].state"), "invalid type"),
        }))
        .await
        .expect("send");
    }
    let hostile = [
        json!({"id": "c-empty", "participants": []}),
        json!({"id": "c-odd", "participants": [
            {"id": "x", "purpose": "hologram", "state": "teleporting"},
            {"id": "y", "state": "connected", "name": "   "},
            {"id": "y", "state": "terminated"},
        ]}),
        json!({"id": "c-fine", "participants": [
            {"id": "a", "purpose": "customer", "state": "connected"},
            {"id": "b", "purpose": "agent", "state": "connected", "muted": true},
        ]}),
    ];
    for body in &hostile {
        let conversation = serde_json::from_value(body.clone()).expect("decodes");
        tx.send(NotifyEvent::Conversation(ConversationEvent {
            topic: Arc::from(format!("v2.routing.queues.{QUEUE}.conversations.calls")),
            source: genesys_notify::WatchTarget::Queue(queue.clone()),
            conversation: Box::new(conversation),
            correlation_id: None,
        }))
        .await
        .expect("send");
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    // (c-empty carries no participant: it never reaches the board.)
    while roster
        .conversation(&ConversationId::new("c-fine"))
        .is_none()
        || roster.status().malformed_events < 5
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            roster.status()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(roster.status().malformed_events, 5);
    assert!(
        roster
            .conversation(&ConversationId::new("c-empty"))
            .is_none()
    );
    let odd = roster
        .conversation(&ConversationId::new("c-odd"))
        .expect("odd call kept");
    assert_eq!(
        odd.all_legs().count(),
        2,
        "the duplicate leg id is kept once"
    );
    assert_eq!(odd.other_legs.len(), 1);
    let fine = roster
        .conversation(&ConversationId::new("c-fine"))
        .expect("fine call");
    check_record(&fine);
    assert!(fine.parties.iter().any(|p| p.is_muted()));
    assert!(
        roster.status().trusted,
        "malformed frames do not cost trust"
    );
    roster.shutdown().await;
}
