//! Unit tests of `detector` (kept beside it so the module itself stays short).

use super::*;
use crate::policy::observe::{Channel, TranscriptEvent};
use chrono::TimeZone;
use genesys_model::{QueueId, Timestamp};

pub(crate) fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0)
        .single()
        .expect("time")
        + chrono::Duration::seconds(secs)
}

fn ts(secs: i64) -> Option<Timestamp> {
    Some(Timestamp::new(t(secs)))
}

pub(crate) fn party(id: &str, purpose: &str) -> Party {
    Party {
        participant_id: id.into(),
        name: format!("{id} name"),
        purpose: Some(Purpose::from_wire(purpose)),
        state: Some(ParticipantState::Connected),
        muted: Some(false),
        held: Some(false),
        confined: Some(false),
        connected_since: ts(0),
        started_at: ts(0),
        ended_at: None,
        held_since: None,
        user_id: None,
        queue_id: Some(QueueId::new("q1")),
        communication_id: None,
    }
}

pub(crate) fn ended(id: &str, purpose: &str, at: i64) -> Party {
    let mut p = party(id, purpose);
    p.state = Some(ParticipantState::Disconnected);
    p.ended_at = ts(at);
    p
}

pub(crate) fn record(
    id: &str,
    parties: Vec<Party>,
    ended_legs: Vec<Party>,
) -> Arc<ConversationRecord> {
    let mut r = ConversationRecord {
        id: id.into(),
        queues: vec![QueueId::new("q1")],
        started_at: ts(0),
        is_conference: false,
        ended: false,
        full_detail: true,
        watched_users: vec![],
        parties,
        ended_legs,
        stale_duplicates: vec![],
        other_legs: vec![],
    };
    r.is_conference = r.live_people_count() > 2;
    Arc::new(r)
}

pub(crate) fn policy(rules: &str) -> Policy {
    Policy::parse(rules).expect("valid policy")
}

fn rule(when: &str, dur: &str, extra: &str) -> Policy {
    policy(&format!(
        "[[rule]]\nid = \"r\"\nwhen = \"{when}\"\nfor = \"{dur}\"\n{extra}\n"
    ))
}

struct Obs {
    flags: FlagTracker,
    drops: AcceptedDrops,
    transcription: Transcription,
    directory: Directory,
}

impl Obs {
    fn new() -> Self {
        Self {
            flags: FlagTracker::new(),
            drops: AcceptedDrops::new(),
            transcription: Transcription::default(),
            directory: Directory::new(),
        }
    }
    fn view(&self) -> Observations<'_> {
        Observations {
            flags: &self.flags,
            accepted_drops: &self.drops,
            transcription: &self.transcription,
            directory: &self.directory,
        }
    }
}

fn found(
    board: &[Arc<ConversationRecord>],
    p: &Policy,
    obs: &Obs,
    now: i64,
) -> Vec<(String, String)> {
    detect(board, p, &obs.view(), t(now))
        .findings
        .into_iter()
        .map(|f| (f.participant_id.to_string(), f.rule))
        .collect()
}

fn ids(list: &[&str]) -> Vec<(String, String)> {
    list.iter()
        .map(|p| ((*p).to_owned(), "r".to_owned()))
        .collect()
}

#[test]
fn held_counts_from_start_hold_time() {
    let mut ag = party("ag", "agent");
    ag.held = Some(true);
    ag.held_since = ts(100);
    let board = vec![record("c1", vec![party("cust", "customer"), ag], vec![])];
    let p = rule("held", "10m", "");
    let obs = Obs::new();
    assert!(found(&board, &p, &obs, 100 + 599).is_empty(), "not yet");
    assert_eq!(found(&board, &p, &obs, 100 + 600), ids(&["ag"]));
    let f = &detect(&board, &p, &obs.view(), t(800)).findings[0];
    assert_eq!(f.since, t(100));
    assert!(f.reason.contains("on hold for 11 min 40 s"), "{}", f.reason);
    assert_eq!(f.remaining, vec!["cust name"]);
    assert_eq!(f.resolution, Resolution::DropLeg);
}

#[test]
fn held_without_start_hold_time_counts_from_when_it_was_seen() {
    let mut ag = party("ag", "agent");
    ag.held = Some(true);
    let board = vec![record("c1", vec![party("cust", "customer"), ag], vec![])];
    let p = rule("held", "1m", "");
    let mut obs = Obs::new();
    assert!(
        found(&board, &p, &obs, 1000).is_empty(),
        "never seen: not counted"
    );
    obs.flags.observe(&board, t(1000));
    assert!(found(&board, &p, &obs, 1059).is_empty());
    assert_eq!(found(&board, &p, &obs, 1060), ids(&["ag"]));
}

#[test]
fn muted_counts_from_the_seen_mute_and_an_initial_mute_is_unknown() {
    let mut ext = party("ext", "external");
    ext.muted = Some(true);
    let muted_board = vec![record(
        "c1",
        vec![party("cust", "customer"), ext.clone()],
        vec![],
    )];
    let p = rule("muted", "5m", "");
    let mut obs = Obs::new();
    // Already muted when watching started, connected long ago: counts only from t=1000.
    obs.flags.observe(&muted_board, t(1000));
    assert!(found(&muted_board, &p, &obs, 1299).is_empty());
    let d = detect(&muted_board, &p, &obs.view(), t(1300));
    assert_eq!(d.findings.len(), 1);
    assert!(!d.findings[0].since_known);
    assert!(
        d.findings[0].reason.contains("at least 5 min"),
        "{}",
        d.findings[0].reason
    );

    // Unmuted, then muted again: a transition seen, with a known start.
    ext.muted = Some(false);
    let clear = vec![record(
        "c1",
        vec![party("cust", "customer"), ext.clone()],
        vec![],
    )];
    obs.flags.observe(&clear, t(1400));
    assert!(found(&clear, &p, &obs, 2000).is_empty());
    obs.flags.observe(&muted_board, t(1500));
    assert!(found(&muted_board, &p, &obs, 1799).is_empty());
    let d = detect(&muted_board, &p, &obs.view(), t(1800));
    assert_eq!(d.findings[0].since, t(1500));
    assert!(d.findings[0].since_known);

    // A mute that became unknown (analytics after a reconnect) is not counted any more.
    ext.muted = None;
    let unknown = vec![record("c1", vec![party("cust", "customer"), ext], vec![])];
    obs.flags.observe(&unknown, t(1900));
    assert!(obs.flags.muted(&"c1".into(), &"ext".into()).is_none());
}

#[test]
fn alone_counts_from_when_the_others_left_and_ignores_a_call_in_queue() {
    let board = vec![record(
        "c1",
        vec![party("ag", "agent")],
        vec![ended("cust", "customer", 200), ended("acd", "acd", 10)],
    )];
    let p = rule("alone", "90s", "");
    let obs = Obs::new();
    assert!(found(&board, &p, &obs, 289).is_empty());
    assert_eq!(found(&board, &p, &obs, 290), ids(&["ag"]));
    let f = &detect(&board, &p, &obs.view(), t(290)).findings[0];
    assert!(f.remaining.is_empty(), "resolving it leaves no one");

    // A customer waiting in queue is alone with the ACD leg: not a finding.
    let mut acd = party("acd", "acd");
    acd.state = Some(ParticipantState::Connected);
    let queued = vec![record("c2", vec![party("cust", "customer"), acd], vec![])];
    let p = rule("alone", "90s", "purposes = [\"customer\"]");
    assert!(found(&queued, &p, &obs, 5000).is_empty());
    // Two parties: not alone.
    let two = vec![record(
        "c3",
        vec![party("a", "agent"), party("b", "external")],
        vec![],
    )];
    assert!(found(&two, &rule("alone", "1s", ""), &obs, 5000).is_empty());
}

#[test]
fn no_outside_party_finds_every_internal_leg() {
    let board = vec![record(
        "c1",
        vec![party("ag1", "agent"), party("ag2", "user")],
        vec![ended("cust", "customer", 300)],
    )];
    let p = rule("no_outside_party", "2m", "");
    let obs = Obs::new();
    assert!(found(&board, &p, &obs, 419).is_empty());
    assert_eq!(found(&board, &p, &obs, 420), ids(&["ag1", "ag2"]));
    let with_customer = vec![record(
        "c2",
        vec![party("ag", "agent"), party("cust", "customer")],
        vec![],
    )];
    assert!(found(&with_customer, &p, &obs, 5000).is_empty());
    // Never had an outside party: counted from the call's start.
    let bridge = vec![record(
        "c3",
        vec![party("a", "agent"), party("b", "agent")],
        vec![],
    )];
    assert_eq!(found(&bridge, &p, &obs, 120), ids(&["a", "b"]));
}

#[test]
fn on_call_and_purposes_and_exclusions() {
    let mut lead = party("lead", "agent");
    lead.user_id = Some(UserId::new("u-lead"));
    let board = vec![record(
        "c1",
        vec![
            party("cust", "customer"),
            party("ag", "agent"),
            party("ext", "external"),
            lead,
        ],
        vec![],
    )];
    let mut obs = Obs::new();
    obs.directory = Directory::new().user(UserId::new("u-lead"), "Lead@Example.com");
    let p = rule("on_call", "1h", "exclude_users = [\"lead@example.com\"]");
    assert!(found(&board, &p, &obs, 3599).is_empty());
    assert_eq!(
        found(&board, &p, &obs, 3600),
        ids(&["ag", "ext"]),
        "not the customer, not the lead"
    );
    let p = rule("on_call", "1h", "purposes = [\"external\"]");
    assert_eq!(found(&board, &p, &obs, 3600), ids(&["ext"]));
    let p = rule("on_call", "1h", "purposes = [\"customer\"]");
    assert_eq!(found(&board, &p, &obs, 3600), ids(&["cust"]));
}

#[test]
fn queue_and_user_scope() {
    let mut ag = party("ag", "agent");
    ag.user_id = Some(UserId::new("u-7"));
    let board = vec![record("c1", vec![party("cust", "customer"), ag], vec![])];
    let mut obs = Obs::new();
    obs.directory = Directory::new()
        .queue(QueueId::new("q1"), "Support")
        .user(UserId::new("u-7"), "seven@example.com");
    assert_eq!(
        found(
            &board,
            &rule("on_call", "1s", "queues = [\"support\"]"),
            &obs,
            10
        ),
        ids(&["ag"])
    );
    assert_eq!(
        found(
            &board,
            &rule("on_call", "1s", "queues = [\"q1\"]"),
            &obs,
            10
        ),
        ids(&["ag"])
    );
    assert!(
        found(
            &board,
            &rule("on_call", "1s", "queues = [\"Sales\"]"),
            &obs,
            10
        )
        .is_empty()
    );
    assert_eq!(
        found(
            &board,
            &rule(
                "on_call",
                "1s",
                "queues = [\"Sales\"]\nusers = [\"seven@example.com\"]"
            ),
            &obs,
            10
        ),
        ids(&["ag"])
    );
}

#[test]
fn phantom_is_a_leg_live_after_an_accepted_drop() {
    let mut ext = party("ext", "external");
    ext.communication_id = Some(CommunicationId::new("m1"));
    let board = vec![record("c1", vec![party("ag", "agent"), ext], vec![])];
    let p = rule("phantom", "10s", "");
    let mut obs = Obs::new();
    assert!(found(&board, &p, &obs, 100).is_empty());
    obs.drops.record("c1".into(), "ext".into(), t(100));
    assert!(found(&board, &p, &obs, 109).is_empty());
    let d = detect(&board, &p, &obs.view(), t(110));
    assert_eq!(d.findings.len(), 1);
    assert_eq!(
        d.findings[0].resolution,
        Resolution::DisconnectCommunication {
            communication_id: Some(CommunicationId::new("m1"))
        }
    );
}

#[test]
fn silent_needs_heartbeats_and_counts_the_delivery_delay() {
    let board = vec![record(
        "c1",
        vec![party("ag", "agent"), party("ext", "external")],
        vec![],
    )];
    let p = rule("silent", "2m", "");
    let mut obs = Obs::new();
    let c1: ConversationId = "c1".into();
    // No transcription for this call: unavailable, never silent.
    let d = detect(&board, &p, &obs.view(), t(1000));
    assert!(d.findings.is_empty());
    assert_eq!(d.unavailable.len(), 1);
    assert!(
        d.unavailable[0].reason.contains("no transcription"),
        "{:?}",
        d.unavailable
    );

    obs.transcription
        .observe(&c1, TranscriptEvent::Heartbeat { at: t(0) });
    obs.transcription.observe(
        &c1,
        TranscriptEvent::Utterance {
            at: t(100),
            channel: Channel::External,
            is_final: true,
        },
    );
    obs.transcription.observe(
        &c1,
        TranscriptEvent::Utterance {
            at: t(200),
            channel: Channel::Internal,
            is_final: true,
        },
    );
    obs.transcription.observe(
        &c1,
        TranscriptEvent::Utterance {
            at: t(250),
            channel: Channel::External,
            is_final: false,
        },
    );
    // Spoke at 100; silence known up to now - 35 s: found at 100 + 120 + 35.
    assert!(found(&board, &p, &obs, 254).is_empty());
    assert_eq!(
        found(&board, &p, &obs, 255),
        ids(&["ext"]),
        "only the outside side"
    );
    // Heartbeats stopped: unavailable, not silent.
    let d = detect(&board, &p, &obs.view(), t(250 + 6 * 60 + 1));
    assert!(d.findings.is_empty());
    assert!(d.unavailable[0].reason.contains("heartbeats stopped"));
}

#[test]
fn silent_counts_from_the_subscription_never_from_before_it() {
    let board = vec![record(
        "c1",
        vec![party("ag", "agent"), party("ext", "external")],
        vec![],
    )];
    let p = rule("silent", "2m", "");
    let mut obs = Obs::new();
    let c1: ConversationId = "c1".into();
    obs.transcription
        .observe(&c1, TranscriptEvent::Subscribed { at: t(500) });
    // Followed, but no message yet: unavailable, with that reason.
    let d = detect(&board, &p, &obs.view(), t(900));
    assert!(d.findings.is_empty());
    assert!(
        d.unavailable[0]
            .reason
            .contains("no transcription heartbeat for this call yet"),
        "{:?}",
        d.unavailable
    );
    obs.transcription
        .observe(&c1, TranscriptEvent::Heartbeat { at: t(510) });
    // Spoken before the subscription, delivered after it: silence still counts from 500.
    obs.transcription.observe(
        &c1,
        TranscriptEvent::Utterance {
            at: t(480),
            channel: Channel::External,
            is_final: true,
        },
    );
    assert!(found(&board, &p, &obs, 654).is_empty());
    assert_eq!(found(&board, &p, &obs, 655), ids(&["ext"]));
    // A channel the platform could not tell may be the outside: it counts as speech.
    obs.transcription.observe(
        &c1,
        TranscriptEvent::Utterance {
            at: t(600),
            channel: Channel::Other,
            is_final: true,
        },
    );
    assert!(found(&board, &p, &obs, 700).is_empty());
    // A resubscription forgets it all.
    obs.transcription
        .observe(&c1, TranscriptEvent::Subscribed { at: t(800) });
    let d = detect(&board, &p, &obs.view(), t(801));
    assert!(d.findings.is_empty());
    assert_eq!(d.unavailable.len(), 1, "{:?}", d.unavailable);
}

#[test]
fn silent_without_permission_or_licence_is_unavailable_not_silent() {
    let board = vec![record(
        "c1",
        vec![party("ag", "agent"), party("ext", "external")],
        vec![],
    )];
    let p = rule("silent", "1m", "");
    for (perm, lic, words) in [
        (false, true, "conversation:transcription:view"),
        (true, false, "not licensed"),
    ] {
        let mut obs = Obs::new();
        obs.transcription = Transcription::new(Transcription::access_from(perm, lic));
        obs.transcription
            .observe(&"c1".into(), TranscriptEvent::Heartbeat { at: t(0) });
        let d = detect(&board, &p, &obs.view(), t(10_000));
        assert!(d.findings.is_empty());
        assert_eq!(
            d.unavailable.len(),
            1,
            "once for all calls: {:?}",
            d.unavailable
        );
        assert!(
            d.unavailable[0].reason.contains(words),
            "{:?}",
            d.unavailable
        );
        assert_eq!(d.unavailable[0].conversation_id, None);
    }
    let mut obs = Obs::new();
    obs.transcription.observe(
        &"c1".into(),
        TranscriptEvent::Unavailable {
            reason: "unavailable: subscription refused".into(),
        },
    );
    let d = detect(&board, &p, &obs.view(), t(10_000));
    assert!(d.findings.is_empty());
    assert_eq!(d.unavailable[0].conversation_id, Some("c1".into()));
}

#[test]
fn stale_duplicates_stay_marked_and_are_informational() {
    let mut old = ended("old", "agent", 50);
    old.user_id = Some(UserId::new("u1"));
    let mut new = party("new", "agent");
    new.user_id = Some(UserId::new("u1"));
    let mut r = (*record("c1", vec![party("cust", "customer"), new], vec![])).clone();
    r.stale_duplicates.push(old);
    let board = vec![Arc::new(r)];
    let d = detect(
        &board,
        &Policy::parse("").expect("empty"),
        &Obs::new().view(),
        t(60),
    );
    assert_eq!(d.findings.len(), 1);
    let f = &d.findings[0];
    assert_eq!(
        (f.rule.as_str(), f.kind),
        (STALE_DUPLICATE, FindingKind::StaleDuplicate)
    );
    assert_eq!(f.resolution, Resolution::None);
    assert!(f.reason.contains("participant new"), "{}", f.reason);
}

#[test]
fn the_board_carries_start_hold_time_from_an_event() {
    use crate::roster::RosterModel;
    let body = serde_json::json!({"id": "c9", "participants": [
        {"id": "cust", "purpose": "customer", "state": "connected", "queue": {"id": "q1"}},
        {"id": "ag", "purpose": "agent", "state": "connected", "held": true,
         "startHoldTime": "2026-01-01T10:00:30.000Z", "queue": {"id": "q1"}},
    ]});
    let conversation: genesys_model::ConversationCallEventTopicCallConversation =
        serde_json::from_value(body).expect("event body");
    let mut model = RosterModel::new([QueueId::new("q1")], 16);
    model.apply_event(genesys_notify::ConversationEvent {
        topic: Arc::from("v2.routing.queues.q1.conversations.calls"),
        source: genesys_notify::WatchTarget::Queue(QueueId::new("q1")),
        conversation: Box::new(conversation),
        correlation_id: None,
    });
    let board = model.snapshot().conversations;
    assert_eq!(
        board[0].live_party(&"ag".into()).expect("ag").held_since,
        ts(30)
    );
    let d = detect(&board, &rule("held", "1m", ""), &Obs::new().view(), t(90));
    assert_eq!(d.findings.len(), 1, "{d:?}");
    assert_eq!(d.findings[0].since, t(30));
}

#[test]
fn a_call_with_nobody_left_is_marked_after_a_minute_for_the_whole_call_disconnect() {
    // The customer hung up at 100 s; only the queue's routing leg keeps the call open.
    let board = vec![record(
        "c1",
        vec![party("acd", "acd")],
        vec![ended("cust", "customer", 100)],
    )];
    let none = Policy::parse("").expect("empty");
    let obs = Obs::new();
    assert!(
        detect(&board, &none, &obs.view(), t(159))
            .findings
            .is_empty(),
        "59 s with nobody is not yet stuck"
    );
    let d = detect(&board, &none, &obs.view(), t(160));
    assert_eq!(d.findings.len(), 1, "{:?}", d.findings);
    let f = &d.findings[0];
    assert_eq!(
        (f.rule.as_str(), f.kind, &f.resolution),
        (
            NO_LIVE_PARTY,
            FindingKind::NoLiveParty,
            &Resolution::DisconnectConversation
        )
    );
    assert_eq!(f.participant_id.as_str(), "acd");
    assert_eq!(f.since, t(100));
    assert!(f.since_known);
    assert!(f.remaining.is_empty());
    assert!(
        f.reason.contains("nobody has been on the call for 1 min,"),
        "{}",
        f.reason
    );
    // A call with a person on it is not marked, however long the routing leg stays.
    let busy = vec![record(
        "c2",
        vec![party("acd", "acd"), party("cust", "customer")],
        vec![],
    )];
    assert!(
        detect(&busy, &none, &obs.view(), t(10_000))
            .findings
            .is_empty()
    );
}
