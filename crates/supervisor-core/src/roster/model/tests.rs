//! The merge rules of the module doc, one observation sequence at a time.

use super::*;
use crate::roster::record::LegStatus;
use genesys_model::ConversationCallEventTopicCallConversation;
use serde_json::json;
use std::time::Duration;

const Q: &str = "q1";

fn event(body: serde_json::Value) -> ConversationEvent {
    let conversation: ConversationCallEventTopicCallConversation =
        serde_json::from_value(body).expect("event body");
    ConversationEvent {
        topic: Arc::from(format!("v2.routing.queues.{Q}.conversations.calls")),
        source: genesys_notify::WatchTarget::Queue(QueueId::new(Q)),
        conversation: Box::new(conversation),
        correlation_id: None,
    }
}

fn leg(id: &str, purpose: &str, state: &str) -> serde_json::Value {
    json!({"id": id, "purpose": purpose, "state": state, "name": id,
           "startTime": "2024-05-01T10:00:00.000Z", "queue": {"id": Q}})
}

fn conv(id: &str, legs: Vec<serde_json::Value>) -> ConversationEvent {
    event(json!({"id": id, "participants": legs}))
}

fn model() -> RosterModel {
    RosterModel::new([QueueId::new(Q)], 64)
}

fn three_party(agent_state: &str) -> ConversationEvent {
    conv(
        "c1",
        vec![
            leg("cust", "customer", "connected"),
            leg("acd", "acd", "disconnected"),
            leg("ag", "agent", agent_state),
            leg("ext", "external", "connected"),
        ],
    )
}

#[test]
fn an_event_creates_a_record_with_live_and_ended_legs_apart() {
    let mut m = model();
    assert_eq!(m.apply_event(three_party("connected")), Effect::Upserted(1));
    let r = m.conversation(&ConversationId::new("c1")).expect("record");
    assert!(r.is_conference);
    assert_eq!(r.parties.len(), 3);
    assert_eq!(r.ended_legs.len(), 1);
    assert_eq!(r.queues, vec![QueueId::new(Q)]);
}

#[test]
fn duplicates_keep_identity_and_emit_nothing() {
    let mut m = model();
    m.apply_event(three_party("connected"));
    let first = m.conversation(&ConversationId::new("c1")).expect("record");
    assert_eq!(m.apply_event(three_party("connected")), Effect::Unchanged);
    let second = m.conversation(&ConversationId::new("c1")).expect("record");
    assert!(Arc::ptr_eq(&first, &second));
    assert_eq!(m.seq(), 1);
}

#[test]
fn an_ended_leg_is_never_resurrected_by_a_late_event() {
    let mut m = model();
    m.apply_event(three_party("connected"));
    m.apply_event(three_party("disconnected"));
    let effect = m.apply_event(three_party("connected"));
    assert_eq!(effect, Effect::Unchanged);
    let r = m.conversation(&ConversationId::new("c1")).expect("record");
    assert!(r.live_party(&"ag".into()).is_none());
    assert!(!r.is_conference);
}

#[test]
fn an_older_observation_only_adds_forward_facts() {
    let mut m = model();
    let t0 = Instant::now();
    let t1 = t0 + Duration::from_millis(10);
    let mut muted = leg("ext", "external", "connected");
    muted["muted"] = true.into();
    m.apply_event_at(
        conv(
            "c1",
            vec![leg("cust", "customer", "connected"), muted.clone()],
        ),
        t1,
    );
    // An older view: ext not muted, and a new leg joined.
    let effect = m.apply_event_at(
        conv(
            "c1",
            vec![
                leg("cust", "customer", "connected"),
                leg("ext", "external", "connected"),
                leg("ag", "agent", "connected"),
            ],
        ),
        t0,
    );
    assert!(matches!(effect, Effect::Upserted(_)));
    let r = m.conversation(&ConversationId::new("c1")).expect("record");
    assert!(
        r.live_party(&"ext".into()).expect("ext").is_muted(),
        "stale flag ignored"
    );
    assert!(r.live_party(&"ag".into()).is_some(), "new leg added");
}

#[test]
fn legs_missing_from_an_event_are_kept() {
    let mut m = model();
    m.apply_event(three_party("connected"));
    m.apply_event(conv("c1", vec![leg("cust", "customer", "connected")]));
    let r = m.conversation(&ConversationId::new("c1")).expect("record");
    assert_eq!(r.all_legs().count(), 4);
}

#[test]
fn an_ended_conversation_leaves_and_stays_gone() {
    let mut m = model();
    let mut rx = m.subscribe();
    m.apply_event(three_party("connected"));
    let all_ended = conv(
        "c1",
        vec![
            leg("cust", "customer", "disconnected"),
            leg("acd", "acd", "terminated"),
            leg("ag", "agent", "disconnected"),
            leg("ext", "external", "disconnected"),
        ],
    );
    assert_eq!(m.apply_event(all_ended), Effect::Removed(2));
    assert!(m.is_empty());
    assert_eq!(
        m.apply_event(three_party("connected")),
        Effect::AlreadyEnded
    );
    assert!(m.is_empty());
    let first = rx.try_recv().expect("upsert");
    assert_eq!(first.seq, 1);
    let second = rx.try_recv().expect("removal");
    assert!(matches!(
        second.kind,
        ChangeKind::Removed {
            reason: RemovalReason::Ended,
            ..
        }
    ));
}

#[test]
fn stale_duplicates_are_kept_apart() {
    let mut m = model();
    let mut old = leg("old", "agent", "terminated");
    old["user"] = json!({"id": "u12", "name": "Agent Twelve"});
    let mut new = leg("new", "agent", "connected");
    new["user"] = json!({"id": "u12", "name": "Agent Twelve"});
    m.apply_event(conv(
        "c1",
        vec![leg("cust", "customer", "connected"), old, new],
    ));
    let r = m.conversation(&ConversationId::new("c1")).expect("record");
    assert_eq!(r.stale_duplicates.len(), 1);
    assert_eq!(r.stale_duplicates[0].participant_id, "old");
    assert!(r.ended_legs.is_empty());
    assert_eq!(r.live_legs_of(&"u12".into()).len(), 1);
    assert!(matches!(
        r.leg(&"old".into()),
        Some((LegStatus::StaleDuplicate, _))
    ));
}

#[test]
fn unknown_states_and_purposes_are_tolerated() {
    let mut m = model();
    m.apply_event(conv(
        "c1",
        vec![
            leg("cust", "customer", "connected"),
            leg("x", "hologram", "teleporting"),
            leg("ag", "agent", "connected"),
        ],
    ));
    let r = m.conversation(&ConversationId::new("c1")).expect("record");
    assert_eq!(r.other_legs.len(), 1);
    assert_eq!(r.parties.len(), 2);
}

#[test]
fn unwatched_conversations_are_ignored_and_unwatching_removes() {
    let mut m = RosterModel::new([QueueId::new("other")], 64);
    assert_eq!(m.apply_event(three_party("connected")), Effect::Unwatched);
    let mut m = model();
    m.apply_event(three_party("connected"));
    m.set_watch(Watch::queues([QueueId::new("other")]));
    assert!(m.is_empty());
}

fn analytics(id: &str, legs: &[(&str, &str, bool)]) -> Observation {
    let body = json!({
        "conversationId": id,
        "participants": legs.iter().map(|(pid, purpose, open)| {
            let mut segment = json!({"segmentType": "interact",
                "segmentStart": "2024-05-01T10:00:00.000Z", "queueId": Q});
            if !open {
                segment["segmentEnd"] = "2024-05-01T10:05:00.000Z".into();
            }
            json!({"participantId": pid, "purpose": purpose, "participantName": pid,
                   "sessions": [{"sessionId": format!("s-{pid}"), "segments": [segment]}]})
        }).collect::<Vec<_>>(),
    });
    let conversation: genesys_model::AnalyticsConversation =
        serde_json::from_value(body).expect("analytics body");
    normalize::from_analytics(&conversation).expect("mappable")
}

#[test]
fn analytics_data_never_overrides_flags_seen_on_the_current_connection() {
    let mut m = model();
    let live_since = Instant::now();
    m.set_continuity_since(Some(live_since));
    let mut muted = leg("ext", "external", "connected");
    muted["muted"] = true.into();
    m.apply_event_at(
        conv("c1", vec![leg("cust", "customer", "connected"), muted]),
        live_since + Duration::from_millis(5),
    );
    // A later sweep (lagging, no mute data) lists the same legs and one that left.
    let later = live_since + Duration::from_millis(50);
    m.apply(
        analytics(
            "c1",
            &[
                ("cust", "customer", true),
                ("ext", "external", true),
                ("gone", "agent", false),
            ],
        ),
        later,
    );
    let r = m.conversation(&ConversationId::new("c1")).expect("record");
    let ext = r.live_party(&"ext".into()).expect("ext");
    assert_eq!(ext.muted, Some(true), "the event's mute stands");
    assert!(r.full_detail);
    assert!(r.leg(&"gone".into()).is_some(), "the forward fact is taken");
}

#[test]
fn analytics_data_makes_flags_from_before_the_connection_unknown() {
    let mut m = model();
    let before = Instant::now();
    let mut muted = leg("ext", "external", "connected");
    muted["muted"] = true.into();
    m.apply_event_at(
        conv("c1", vec![leg("cust", "customer", "connected"), muted]),
        before,
    );
    // The socket was lost and came back: what it said before may have changed unseen.
    let live_since = before + Duration::from_millis(10);
    m.set_continuity_since(Some(live_since));
    m.apply(
        analytics(
            "c1",
            &[("cust", "customer", true), ("ext", "external", true)],
        ),
        live_since + Duration::from_millis(5),
    );
    let r = m.conversation(&ConversationId::new("c1")).expect("record");
    let ext = r.live_party(&"ext".into()).expect("ext");
    assert_eq!(ext.muted, None, "not known any more, never guessed");
    assert_eq!(ext.state, None);
    assert_eq!(ext.name, "ext", "who the leg is stays");
    assert!(!r.full_detail);
    let (discovered, held, full) = m.completeness_counts();
    assert_eq!((discovered, held, full), (1, 1, 0));
    // The next event completes it again.
    m.apply_event_at(
        conv(
            "c1",
            vec![
                leg("cust", "customer", "connected"),
                leg("ext", "external", "connected"),
            ],
        ),
        live_since + Duration::from_millis(20),
    );
    assert_eq!(m.completeness_counts(), (1, 1, 1));
}

#[test]
fn unread_calls_count_as_discovered_until_they_are_on_the_board_or_gone() {
    let mut m = model();
    m.mark_unread([
        (ConversationId::new("c1"), vec![QueueId::new(Q)]),
        (ConversationId::new("c2"), vec![QueueId::new(Q)]),
    ]);
    assert_eq!(m.completeness_counts(), (2, 0, 0));
    m.apply_event(three_party("connected"));
    assert_eq!(m.completeness_counts(), (2, 1, 1));
    m.forget(&ConversationId::new("c2"));
    assert_eq!(m.completeness_counts(), (1, 1, 1));
    assert!(m.unread().is_empty());
}

#[test]
fn status_trust_follows_connection_and_snapshot() {
    let mut m = model();
    assert!(!m.status().trusted);
    m.update_status(|s| s.connection = super::super::change::ConnectionState::Live);
    assert!(!m.status().trusted, "no snapshot yet");
    m.update_status(|s| s.last_snapshot = Some(Utc::now()));
    assert!(m.status().trusted);
    assert!(m.status().stale_since.is_none());
    m.update_status(|s| s.resyncing = true);
    assert!(!m.status().trusted);
    assert!(m.status().stale_since.is_some());
}
