//! Engine tests with fixed times and a fake "re-read, then drop": every safety rule, the cap across
//! a restart, two copies at once, a restart mid-action, the phantom escalation, a long run (once
//! per finding, stopping, the incremental audit read).
//!
//! One file (about 880 lines) because every test shares the fake re-read/drop and the audit fixture.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use genesys_model::{
    CommunicationId, ConversationId, ParticipantId, ParticipantState, Purpose, QueueId, Timestamp,
    UserId,
};

use super::detector::{Observations, detect};
use super::engine::{DecisionAction, DropResult, Engine, LegActions, ReadError};
use super::file::{Mode, Policy};
use super::observe::{AcceptedDrops, Directory, FlagTracker, Transcription};
use crate::audit::{Actor, AuditLog, AuditOutcome, AuditRecord, PolicyDecision};
use crate::roster::{ConversationRecord, Party};

fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0)
        .single()
        .expect("time")
        + chrono::Duration::seconds(secs)
}

fn party(id: &str, purpose: &str) -> Party {
    Party {
        participant_id: id.into(),
        name: format!("{id} name"),
        purpose: Some(Purpose::from_wire(purpose)),
        state: Some(ParticipantState::Connected),
        muted: Some(false),
        held: Some(false),
        confined: Some(false),
        connected_since: Some(Timestamp::new(t(0))),
        started_at: Some(Timestamp::new(t(0))),
        ended_at: None,
        held_since: None,
        user_id: None,
        queue_id: Some(QueueId::new("q1")),
        communication_id: Some(CommunicationId::new(format!("m-{id}"))),
    }
}

fn record(id: &str, parties: Vec<Party>) -> Arc<ConversationRecord> {
    Arc::new(ConversationRecord {
        id: id.into(),
        queues: vec![QueueId::new("q1")],
        started_at: Some(Timestamp::new(t(0))),
        is_conference: parties.len() > 2,
        ended: false,
        full_detail: true,
        watched_users: vec![],
        parties,
        ended_legs: vec![],
        stale_duplicates: vec![],
        other_legs: vec![],
    })
}

/// A platform in memory: re-reads return the stored record; a drop ends the leg (unless the leg
/// is a phantom that only yields to the communication disconnect).
#[derive(Default)]
struct Fake {
    calls: Mutex<HashMap<ConversationId, Arc<ConversationRecord>>>,
    sent: Mutex<Vec<(String, String, &'static str)>>,
    phantoms: Vec<String>,
    /// The session is over: every re-read says so.
    session_ended: std::sync::atomic::AtomicBool,
}

impl Fake {
    fn with(board: &[Arc<ConversationRecord>]) -> Arc<Self> {
        Arc::new(Self {
            calls: Mutex::new(
                board
                    .iter()
                    .map(|r| (r.id.clone(), Arc::clone(r)))
                    .collect(),
            ),
            ..Self::default()
        })
    }

    fn set(&self, record: Arc<ConversationRecord>) {
        self.calls
            .lock()
            .expect("lock")
            .insert(record.id.clone(), record);
    }

    fn sent(&self) -> Vec<(String, String, &'static str)> {
        self.sent.lock().expect("lock").clone()
    }

    fn end_leg(&self, c: &ConversationId, p: &ParticipantId) {
        let mut calls = self.calls.lock().expect("lock");
        if let Some(r) = calls.get(c) {
            let mut r = (**r).clone();
            if let Some(i) = r.parties.iter().position(|x| &x.participant_id == p) {
                let mut leg = r.parties.remove(i);
                leg.state = Some(ParticipantState::Disconnected);
                r.ended_legs.push(leg);
            }
            calls.insert(c.clone(), Arc::new(r));
        }
    }
}

impl LegActions for Arc<Fake> {
    async fn reread(&self, c: &ConversationId) -> Result<Arc<ConversationRecord>, ReadError> {
        // Yield, so two engines at once really interleave.
        tokio::task::yield_now().await;
        if self.session_ended.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(ReadError::SessionEnded);
        }
        self.calls
            .lock()
            .expect("lock")
            .get(c)
            .cloned()
            .ok_or(ReadError::Gone)
    }

    async fn drop_leg(&self, c: &ConversationId, p: &ParticipantId) -> DropResult {
        self.sent
            .lock()
            .expect("lock")
            .push((c.to_string(), p.to_string(), "drop"));
        tokio::task::yield_now().await;
        if self.phantoms.contains(&p.to_string()) {
            return DropResult {
                outcome: AuditOutcome::NotConfirmed,
                accepted: true,
                detail: Some("still live".into()),
            };
        }
        self.end_leg(c, p);
        DropResult {
            outcome: AuditOutcome::Confirmed,
            accepted: true,
            detail: None,
        }
    }

    async fn disconnect_communication(
        &self,
        c: &ConversationId,
        p: &ParticipantId,
        _m: &CommunicationId,
    ) -> DropResult {
        self.sent
            .lock()
            .expect("lock")
            .push((c.to_string(), p.to_string(), "communication"));
        self.end_leg(c, p);
        DropResult {
            outcome: AuditOutcome::Confirmed,
            accepted: true,
            detail: None,
        }
    }
}

struct World {
    dir: tempfile::TempDir,
    flags: FlagTracker,
    drops: AcceptedDrops,
    transcription: Transcription,
    directory: Directory,
}

impl World {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("dir"),
            flags: FlagTracker::new(),
            drops: AcceptedDrops::new(),
            transcription: Transcription::default(),
            directory: Directory::new(),
        }
    }

    fn audit(&self) -> AuditLog {
        AuditLog::open(self.dir.path().join("audit.jsonl")).expect("audit")
    }

    fn obs(&self) -> Observations<'_> {
        Observations {
            flags: &self.flags,
            accepted_drops: &self.drops,
            transcription: &self.transcription,
            directory: &self.directory,
        }
    }

    fn engine(&self, policy: &Policy, mode: Mode, fake: &Arc<Fake>) -> Engine<Arc<Fake>> {
        Engine::new(
            policy.clone(),
            mode,
            Arc::clone(fake),
            self.audit(),
            Actor {
                user_id: "policy-user".into(),
                name: "Policy".into(),
            },
        )
    }

    fn records(&self) -> Vec<AuditRecord> {
        self.audit().read_all().expect("read").records
    }
}

fn policy(text: &str) -> Policy {
    Policy::parse(text).expect("valid policy")
}

const ON_CALL: &str =
    "max_drops_per_minute = 6\n[[rule]]\nid = \"long\"\nwhen = \"on_call\"\nfor = \"1h\"\n";

async fn run(
    world: &World,
    engine: &mut Engine<Arc<Fake>>,
    board: &[Arc<ConversationRecord>],
    now: i64,
) -> Vec<super::engine::Decision> {
    let detection = detect(board, engine.policy(), &world.obs(), t(now));
    engine
        .decide(board, &detection.findings, &world.obs(), t(now))
        .await
        .expect("decide")
}

fn actions(decisions: &[super::engine::Decision]) -> Vec<(String, DecisionAction)> {
    decisions
        .iter()
        .map(|d| (d.participant_id.to_string(), d.action))
        .collect()
}

#[tokio::test]
async fn a_dry_run_records_would_drop_and_sends_nothing() {
    let world = World::new();
    let board = vec![record(
        "c1",
        vec![
            party("cust", "customer"),
            party("ag", "agent"),
            party("ext", "external"),
        ],
    )];
    let fake = Fake::with(&board);
    let mut engine = world.engine(&policy(ON_CALL), Mode::DryRun, &fake);
    let decisions = run(&world, &mut engine, &board, 3600).await;
    // The agent is the customer's only agent: dropping it would leave the customer alone.
    assert_eq!(
        actions(&decisions),
        vec![
            ("ag".into(), DecisionAction::Skipped),
            ("ext".into(), DecisionAction::WouldDrop)
        ]
    );
    assert!(fake.sent().is_empty(), "a dry run sends nothing");
    let records = world.records();
    assert_eq!(records.len(), 2);
    let ext = &records[1];
    assert_eq!(ext.outcome, AuditOutcome::NotSent);
    let note = ext.policy.as_ref().expect("policy note");
    assert_eq!(
        (note.rule.as_str(), note.decision),
        ("long", PolicyDecision::WouldDrop)
    );
    assert!(
        ext.detail
            .as_deref()
            .unwrap_or("")
            .contains("policy rule \"long\" (dry-run): would drop")
    );
    assert!(
        records[0]
            .policy
            .as_ref()
            .and_then(|n| n.skipped_because.as_deref())
            .unwrap_or("")
            .contains("without an agent"),
        "{:?}",
        records[0]
    );
    // The same pass again decides nothing new and records nothing new.
    assert!(run(&world, &mut engine, &board, 3601).await.is_empty());
    assert_eq!(world.records().len(), 2);
}

#[tokio::test]
async fn the_preview_decides_as_a_dry_run_records_nothing_and_never_acts_on_a_call_with_nobody_left()
 {
    let world = World::new();
    let mut empty = (*record("c2", vec![party("acd", "acd")])).clone();
    let mut gone = party("gone", "customer");
    gone.state = Some(ParticipantState::Disconnected);
    gone.ended_at = Some(Timestamp::new(t(10)));
    empty.ended_legs.push(gone);
    let board = vec![
        record(
            "c1",
            vec![
                party("cust", "customer"),
                party("ag", "agent"),
                party("ext", "external"),
            ],
        ),
        Arc::new(empty),
    ];
    let p = policy(ON_CALL);
    let detection = detect(&board, &p, &world.obs(), t(3600));
    assert!(
        detection
            .findings
            .iter()
            .any(|f| f.rule == super::detector::NO_LIVE_PARTY && f.conversation_id.as_str() == "c2"),
        "{:?}",
        detection.findings
    );
    let preview = super::engine::preview(&p, &board, &detection.findings, &world.obs());
    assert_eq!(
        actions(&preview),
        vec![
            ("ag".into(), DecisionAction::Skipped),
            ("ext".into(), DecisionAction::WouldDrop)
        ]
    );
    assert!(world.records().is_empty(), "a preview records nothing");
    // The engine gives the same answer in dry run, and in enforce never touches the empty call.
    let fake = Fake::with(&board);
    let mut engine = world.engine(&p, Mode::DryRun, &fake);
    assert_eq!(
        actions(&run(&world, &mut engine, &board, 3600).await),
        actions(&preview)
    );
    let mut enforcing = world.engine(&p, Mode::Enforce, &fake);
    run(&world, &mut enforcing, &board, 3600).await;
    assert!(
        fake.sent().iter().all(|(c, _, _)| c == "c1"),
        "{:?}",
        fake.sent()
    );
}

#[tokio::test]
async fn a_session_that_ended_leaves_findings_undecided_and_unrecorded() {
    let world = World::new();
    let board = vec![record(
        "c1",
        vec![party("ag", "agent"), party("ext", "external")],
    )];
    let fake = Fake::with(&board);
    fake.session_ended
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let mut engine = world.engine(&policy(ON_CALL), Mode::Enforce, &fake);
    // Not a "skipped" of either leg: the run stops for "sign in again" instead.
    assert!(run(&world, &mut engine, &board, 3600).await.is_empty());
    assert!(world.records().is_empty(), "{:?}", world.records());
    assert!(fake.sent().is_empty());
    // Signed in again (a new run): the same findings are decided as if seen for the first time.
    fake.session_ended
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let decisions = run(&world, &mut engine, &board, 3601).await;
    assert_eq!(decisions.len(), 2, "{decisions:?}");
    assert!(
        decisions
            .iter()
            .all(|d| d.action == DecisionAction::Dropped)
    );
}

#[tokio::test]
async fn enforce_rereads_drops_and_records_intent_then_outcome() {
    let world = World::new();
    let board = vec![record(
        "c1",
        vec![party("ag", "agent"), party("ext", "external")],
    )];
    let fake = Fake::with(&board);
    let mut engine = world.engine(&policy(ON_CALL), Mode::Enforce, &fake);
    let decisions = run(&world, &mut engine, &board, 3600).await;
    // After ext goes, ag is checked on a fresh read: still on the call an hour, so dropped too.
    assert_eq!(
        actions(&decisions),
        vec![
            ("ag".into(), DecisionAction::Dropped),
            ("ext".into(), DecisionAction::Dropped)
        ]
    );
    assert_eq!(decisions[0].outcome.as_deref(), Some("confirmed"));
    assert_eq!(fake.sent().len(), 2);
    let decided: Vec<_> = world
        .records()
        .iter()
        .map(|r| {
            (
                r.participant_id.clone(),
                r.policy.as_ref().expect("note").decision,
                r.outcome,
            )
        })
        .collect();
    assert_eq!(
        decided,
        vec![
            ("ag".into(), PolicyDecision::Dropping, AuditOutcome::Pending),
            (
                "ag".into(),
                PolicyDecision::Dropped,
                AuditOutcome::Confirmed
            ),
            (
                "ext".into(),
                PolicyDecision::Dropping,
                AuditOutcome::Pending
            ),
            (
                "ext".into(),
                PolicyDecision::Dropped,
                AuditOutcome::Confirmed
            ),
        ]
    );
}

#[tokio::test]
async fn a_customer_is_dropped_only_by_a_rule_naming_customer() {
    let world = World::new();
    let mut alone = party("cust", "customer");
    alone.connected_since = Some(Timestamp::new(t(0)));
    let board = vec![record("c1", vec![alone])];
    let fake = Fake::with(&board);
    // The detector never reports it for a default rule; the engine refuses even a finding that says so.
    let default_rule = policy("[[rule]]\nid = \"lonely\"\nwhen = \"alone\"\nfor = \"1m\"\n");
    let naming = policy(
        "[[rule]]\nid = \"lonely\"\nwhen = \"alone\"\nfor = \"1m\"\npurposes = [\"customer\"]\n",
    );
    let finding = detect(&board, &naming, &world.obs(), t(120)).findings;
    assert_eq!(finding.len(), 1);
    let mut engine = world.engine(&default_rule, Mode::Enforce, &fake);
    let decisions = engine
        .decide(&board, &finding, &world.obs(), t(120))
        .await
        .expect("decide");
    assert_eq!(decisions[0].action, DecisionAction::Skipped);
    assert!(
        decisions[0]
            .skipped_because
            .as_deref()
            .unwrap_or("")
            .contains("purposes name customer")
    );
    assert!(fake.sent().is_empty());
    // A rule that names customer may.
    let mut engine = world.engine(&naming, Mode::Enforce, &fake);
    let decisions = run(&world, &mut engine, &board, 120).await;
    assert_eq!(
        actions(&decisions),
        vec![("cust".into(), DecisionAction::Dropped)]
    );
}

#[tokio::test]
async fn no_action_leaves_a_customer_without_an_agent_unless_allowed() {
    let world = World::new();
    let board = vec![record(
        "c1",
        vec![party("cust", "customer"), party("ag", "agent")],
    )];
    let fake = Fake::with(&board);
    let mut engine = world.engine(&policy(ON_CALL), Mode::Enforce, &fake);
    let decisions = run(&world, &mut engine, &board, 3600).await;
    assert_eq!(
        actions(&decisions),
        vec![("ag".into(), DecisionAction::Skipped)]
    );
    assert!(fake.sent().is_empty());

    // Two agents found at once in a dry run: one may go, the second would leave the customer alone.
    let two = vec![record(
        "c2",
        vec![
            party("cust", "customer"),
            party("a1", "agent"),
            party("a2", "agent"),
        ],
    )];
    let mut dry = world.engine(&policy(ON_CALL), Mode::DryRun, &Fake::with(&two));
    let decisions = run(&world, &mut dry, &two, 3600).await;
    assert_eq!(
        actions(&decisions),
        vec![
            ("a1".into(), DecisionAction::WouldDrop),
            ("a2".into(), DecisionAction::Skipped)
        ]
    );

    let allowing = policy(&format!("{ON_CALL}allow_customer_alone = true\n"));
    let mut engine = world.engine(&allowing, Mode::Enforce, &fake);
    let decisions = run(&world, &mut engine, &board, 3600).await;
    assert_eq!(
        actions(&decisions),
        vec![("ag".into(), DecisionAction::Dropped)]
    );
}

#[tokio::test]
async fn an_action_is_skipped_when_a_fresh_read_no_longer_shows_the_finding() {
    let world = World::new();
    let mut held = party("ag", "agent");
    held.held = Some(true);
    held.held_since = Some(Timestamp::new(t(0)));
    let board = vec![record("c1", vec![party("ext", "external"), held])];
    let fake = Fake::with(&board);
    // Taken off hold since the board was drawn.
    fake.set(record(
        "c1",
        vec![party("ext", "external"), party("ag", "agent")],
    ));
    let p = policy("[[rule]]\nid = \"held\"\nwhen = \"held\"\nfor = \"10m\"\n");
    let mut engine = world.engine(&p, Mode::Enforce, &fake);
    let decisions = run(&world, &mut engine, &board, 900).await;
    assert_eq!(
        actions(&decisions),
        vec![("ag".into(), DecisionAction::Skipped)]
    );
    assert!(
        decisions[0]
            .skipped_because
            .as_deref()
            .unwrap_or("")
            .contains("no longer holds")
    );
    assert!(fake.sent().is_empty());
    // The call ended since: also skipped.
    fake.calls.lock().expect("lock").clear();
    let mut engine = world.engine(&p, Mode::Enforce, &fake);
    let decisions = run(&world, &mut engine, &board, 901).await;
    assert!(
        decisions[0]
            .skipped_because
            .as_deref()
            .unwrap_or("")
            .contains("ended")
    );
}

#[tokio::test]
async fn the_cap_holds_across_a_restart() {
    let world = World::new();
    let cap2 = policy(
        "max_drops_per_minute = 2\n[[rule]]\nid = \"long\"\nwhen = \"on_call\"\nfor = \"1h\"\n",
    );
    let board: Vec<_> = (1..=3)
        .map(|i| {
            record(
                &format!("c{i}"),
                vec![
                    party(&format!("ext{i}"), "external"),
                    party(&format!("ag{i}"), "agent"),
                ],
            )
        })
        .collect();
    let ext_only = policy(
        "max_drops_per_minute = 2\n[[rule]]\nid = \"long\"\nwhen = \"on_call\"\nfor = \"1h\"\npurposes = [\"external\"]\n",
    );
    let fake = Fake::with(&board);
    let mut engine = world.engine(&ext_only, Mode::Enforce, &fake);
    let decisions = run(&world, &mut engine, &board, 3600).await;
    assert_eq!(
        actions(&decisions),
        vec![
            ("ext1".into(), DecisionAction::Dropped),
            ("ext2".into(), DecisionAction::Dropped),
            ("ext3".into(), DecisionAction::Skipped),
        ]
    );
    assert!(
        decisions[2]
            .skipped_because
            .as_deref()
            .unwrap_or("")
            .contains("cap of 2")
    );
    drop(engine);

    // A restart 30 s later: the cap is read back from the audit log.
    let mut restarted = world.engine(&cap2, Mode::Enforce, &fake);
    let board3 = vec![record(
        "c3",
        vec![party("ext3", "external"), party("ag3", "agent")],
    )];
    let decisions = run(&world, &mut restarted, &board3, 3630).await;
    assert!(
        decisions
            .iter()
            .all(|d| d.action == DecisionAction::Skipped),
        "{decisions:?}"
    );
    assert_eq!(fake.sent().len(), 2);
    // A minute after the first drops the cap has room again.
    let mut later = world.engine(&ext_only, Mode::Enforce, &fake);
    let decisions = run(&world, &mut later, &board3, 3661).await;
    assert_eq!(
        actions(&decisions),
        vec![("ext3".into(), DecisionAction::Dropped)]
    );
}

#[tokio::test]
async fn two_copies_at_once_never_drop_a_leg_twice() {
    let world = World::new();
    let board = vec![record(
        "c1",
        vec![party("ag", "agent"), party("ext", "external")],
    )];
    let p = policy(
        "[[rule]]\nid = \"long\"\nwhen = \"on_call\"\nfor = \"1h\"\npurposes = [\"external\"]\n",
    );
    // Even a platform where the leg stays (so the re-read alone would not stop the second copy).
    let fake = Arc::new(Fake {
        calls: Mutex::new(
            board
                .iter()
                .map(|r| (r.id.clone(), Arc::clone(r)))
                .collect(),
        ),
        phantoms: vec!["ext".into()],
        ..Fake::default()
    });
    let mut one = world.engine(&p, Mode::Enforce, &fake);
    let mut two = world.engine(&p, Mode::Enforce, &fake);
    let (a, b) = tokio::join!(
        run(&world, &mut one, &board, 3600),
        run(&world, &mut two, &board, 3600)
    );
    let all: Vec<_> = a.iter().chain(&b).map(|d| d.action).collect();
    assert_eq!(fake.sent().len(), 1, "exactly one request: {all:?}");
    assert!(
        all.contains(&DecisionAction::Dropped) && all.contains(&DecisionAction::Skipped),
        "{all:?}"
    );
    let skipped = a
        .iter()
        .chain(&b)
        .find(|d| d.action == DecisionAction::Skipped)
        .expect("skip");
    assert!(
        skipped
            .skipped_because
            .as_deref()
            .unwrap_or("")
            .contains("already acted"),
        "{skipped:?}"
    );
}

#[tokio::test]
async fn a_restart_after_the_intent_does_not_act_again() {
    let world = World::new();
    let board = vec![record(
        "c1",
        vec![party("ag", "agent"), party("ext", "external")],
    )];
    let p = policy(
        "[[rule]]\nid = \"long\"\nwhen = \"on_call\"\nfor = \"1h\"\npurposes = [\"external\"]\n",
    );
    let fake = Fake::with(&board);
    let mut first = world.engine(&p, Mode::Enforce, &fake);
    run(&world, &mut first, &board, 3600).await;
    // Simulate the crash between the intent and the outcome: keep only the intent record.
    let records = world.records();
    let path = world.dir.path().join("audit.jsonl");
    std::fs::write(
        &path,
        format!("{}\n", serde_json::to_string(&records[0]).expect("json")),
    )
    .expect("rewrite");
    fake.set(board[0].clone()); // and the leg still shows live
    let mut restarted = world.engine(&p, Mode::Enforce, &fake);
    let decisions = run(&world, &mut restarted, &board, 3700).await;
    assert_eq!(
        actions(&decisions),
        vec![("ext".into(), DecisionAction::Skipped)]
    );
    assert_eq!(fake.sent().len(), 1, "the first run's request only");
}

#[tokio::test]
async fn a_phantom_escalates_to_the_communication_disconnect() {
    let mut world = World::new();
    let board = vec![record(
        "c1",
        vec![party("ag", "agent"), party("ext", "external")],
    )];
    let fake = Arc::new(Fake {
        calls: Mutex::new(
            board
                .iter()
                .map(|r| (r.id.clone(), Arc::clone(r)))
                .collect(),
        ),
        phantoms: vec!["ext".into()],
        ..Fake::default()
    });
    let p = policy(
        "[[rule]]\nid = \"long\"\nwhen = \"on_call\"\nfor = \"1h\"\npurposes = [\"external\"]\n\
         [[rule]]\nid = \"ghost\"\nwhen = \"phantom\"\nfor = \"10s\"\n",
    );
    let mut engine = world.engine(&p, Mode::Enforce, &fake);
    let decisions = run(&world, &mut engine, &board, 3600).await;
    assert_eq!(decisions[0].outcome.as_deref(), Some("not_confirmed"));
    // The accepted drop, read back from the audit log, makes the phantom rule fire 10 s later.
    world.drops = AcceptedDrops::from_audit(&world.records());
    assert_eq!(world.drops.get(&"c1".into(), &"ext".into()), Some(t(3600)));
    let decisions = run(&world, &mut engine, &board, 3609).await;
    assert!(
        decisions.iter().all(|d| d.rule != "ghost"),
        "not yet: {decisions:?}"
    );
    let decisions = run(&world, &mut engine, &board, 3610).await;
    let ghost: Vec<_> = decisions.iter().filter(|d| d.rule == "ghost").collect();
    assert_eq!(ghost.len(), 1, "{decisions:?}");
    assert_eq!(ghost[0].action, DecisionAction::Dropped);
    assert_eq!(fake.sent().last().map(|s| s.2), Some("communication"));
    let last = world.records().pop().expect("record");
    assert!(
        last.request.path.ends_with("/communications/m-ext"),
        "{}",
        last.request.path
    );
}

#[tokio::test]
async fn exclusions_hold_in_the_engine_too() {
    let mut world = World::new();
    let mut lead = party("lead", "agent");
    lead.user_id = Some(UserId::new("u-lead"));
    let board = vec![record(
        "c1",
        vec![party("ext", "external"), lead, party("ag", "agent")],
    )];
    world.directory = Directory::new().user(UserId::new("u-lead"), "lead@example.com");
    let p = policy("[[rule]]\nid = \"long\"\nwhen = \"on_call\"\nfor = \"1h\"\n");
    let fake = Fake::with(&board);
    let findings = detect(&board, &p, &world.obs(), t(3600)).findings;
    let excluding = policy(
        "[[rule]]\nid = \"long\"\nwhen = \"on_call\"\nfor = \"1h\"\nexclude_users = [\"lead@example.com\"]\n",
    );
    let mut engine = world.engine(&excluding, Mode::Enforce, &fake);
    let decisions = engine
        .decide(&board, &findings, &world.obs(), t(3600))
        .await
        .expect("decide");
    let lead = decisions
        .iter()
        .find(|d| d.participant_id == "lead")
        .expect("lead");
    assert_eq!(lead.action, DecisionAction::Skipped);
    assert!(!fake.sent().iter().any(|s| s.1 == "lead"));
}

#[test]
fn records_without_a_policy_note_still_parse_and_notes_round_trip() {
    let old = r#"{"id":"7f1c1b8e-3c5c-4f7a-9a51-9f4f7a3e2b10","time":"2024-05-01T10:00:00Z","actor":{"userId":"u","name":"n"},"action":"drop","conversationId":"c","participantId":"p","party":{"name":"x","purpose":"agent"},"request":{"method":"PATCH","path":"/x","body":null},"outcome":"confirmed","latencyMs":1,"correlationId":null,"detail":null}"#;
    let r: AuditRecord = serde_json::from_str(old).expect("old record");
    assert!(r.policy.is_none());
    assert!(
        !serde_json::to_string(&r).expect("json").contains("policy"),
        "absent stays absent"
    );
}

#[tokio::test]
async fn a_long_dry_run_says_each_finding_once_and_caps_over_a_minute_not_per_pass() {
    let world = World::new();
    let cap1 = policy(
        "max_drops_per_minute = 1\n[[rule]]\nid = \"long\"\nwhen = \"on_call\"\nfor = \"1h\"\npurposes = [\"external\"]\n",
    );
    let board: Vec<_> = (1..=2)
        .map(|i| {
            record(
                &format!("c{i}"),
                vec![
                    party(&format!("ext{i}"), "external"),
                    party(&format!("ag{i}"), "agent"),
                ],
            )
        })
        .collect();
    let fake = Fake::with(&board);
    let mut engine = world.engine(&cap1, Mode::DryRun, &fake);
    let first = run(&world, &mut engine, &board, 3600).await;
    assert_eq!(
        actions(&first),
        vec![
            ("ext1".into(), DecisionAction::WouldDrop),
            ("ext2".into(), DecisionAction::Skipped),
        ]
    );
    // Every tick for the next minute: nothing new (ext1 is not said again, ext2 still capped).
    for now in 3601..3660 {
        assert!(
            run(&world, &mut engine, &board, now).await.is_empty(),
            "{now}"
        );
    }
    // A minute later the simulated cap has room: ext2 would now be dropped; ext1 is not repeated.
    let later = run(&world, &mut engine, &board, 3661).await;
    assert_eq!(
        actions(&later),
        vec![("ext2".into(), DecisionAction::WouldDrop)]
    );
    assert_eq!(world.records().len(), 3, "one record per decision");
    assert!(fake.sent().is_empty());
}

#[tokio::test]
async fn a_stopping_engine_takes_no_new_decision() {
    let world = World::new();
    let board = vec![record(
        "c1",
        vec![party("ag", "agent"), party("ext", "external")],
    )];
    let fake = Fake::with(&board);
    let p = policy(
        "[[rule]]\nid = \"long\"\nwhen = \"on_call\"\nfor = \"1h\"\npurposes = [\"external\"]\n",
    );
    let mut engine = world.engine(&p, Mode::Enforce, &fake);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    engine.stop_when(stopped);
    stop.send(true).expect("stop");
    assert!(run(&world, &mut engine, &board, 3600).await.is_empty());
    assert!(fake.sent().is_empty(), "nothing sent after the stop");
    assert!(world.records().is_empty(), "nothing recorded");
}

#[tokio::test]
async fn the_audit_log_is_read_once_then_only_what_was_appended() {
    let world = World::new();
    let p = policy(
        "[[rule]]\nid = \"long\"\nwhen = \"on_call\"\nfor = \"1h\"\npurposes = [\"external\"]\n",
    );
    let boards: Vec<_> = (1..=3)
        .map(|i| {
            vec![record(
                &format!("c{i}"),
                vec![
                    party(&format!("ag{i}"), "agent"),
                    party(&format!("ext{i}"), "external"),
                ],
            )]
        })
        .collect();
    let all: Vec<_> = boards.iter().flatten().cloned().collect();
    let fake = Fake::with(&all);
    // Another copy drops ext1 first (intent + outcome: 2 records).
    let mut other = world.engine(&p, Mode::Enforce, &fake);
    run(&world, &mut other, &boards[0], 3600).await;
    let mut engine = world.engine(&p, Mode::Enforce, &fake);
    run(&world, &mut engine, &boards[1], 3601).await;
    // Seeded with the whole log (the other copy's 2 records) before its first action...
    assert_eq!(engine.audit_records_read(), 2);
    run(&world, &mut engine, &boards[2], 3602).await;
    // ...then only what was appended since (its own intent and outcome).
    assert_eq!(
        engine.audit_records_read(),
        4,
        "only the new records are read"
    );
    // What the other copy wrote since is seen (under the lock) before acting: ext1 is not
    // dropped twice even though the platform still shows it.
    fake.set(boards[0][0].clone());
    let again = run(&world, &mut engine, &boards[0], 3603).await;
    assert_eq!(
        actions(&again),
        vec![("ext1".into(), DecisionAction::Skipped)]
    );
    assert_eq!(fake.sent().len(), 3);
    // The accepted drops (the phantom rule's input) come from the same reads.
    assert!(
        engine
            .accepted_drops()
            .get(&"c1".into(), &"ext1".into())
            .is_some()
    );
    assert!(
        engine
            .accepted_drops()
            .get(&"c3".into(), &"ext3".into())
            .is_some()
    );
}
