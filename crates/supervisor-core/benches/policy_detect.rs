//! The policy detector's cost on a board of 1,000 live four-party calls, every rule kind on, with
//! the mute tracker fed the whole board each pass (its worst case); then the continuous runner's
//! cost against the roster's event rate: what it does per board change (the mute tracker fed the
//! changed call) and a whole pass with nothing found (tracker, detect, the engine's dry-run
//! decide; no I/O), which the runner makes at most every `RunnerConfig::min_gap` however fast
//! events come.
//! Run: `cargo bench -p supervisor-core --bench policy_detect` (prints the cost per evaluation and
//! per call, and the runner's share of a core at the roster's rate; a figure to report, not a
//! pass/fail bar).

use std::sync::Arc;
use std::time::Instant;

use genesys_model::{ConversationId, ParticipantId};
use supervisor_core::audit::{Actor, AuditLog};
use supervisor_core::policy::{DropResult, Engine, LegActions, Mode, ReadError, RunnerConfig};

use chrono::{Duration, Utc};
use genesys_model::{CommunicationId, ParticipantState, Purpose, QueueId, Timestamp, UserId};
use supervisor_core::policy::{
    AcceptedDrops, Directory, FlagTracker, Observations, Policy, TranscriptEvent, Transcription,
    detect,
};
use supervisor_core::roster::{ConversationRecord, Party};

const CALLS: usize = 1_000;
const PASSES: usize = 200;
/// The roster's measured rate at 1,000 live calls, low end (`--bench roster_apply`, README).
const ROSTER_EVENTS_PER_SEC: f64 = 33_600.0;

const POLICY: &str = r#"
[[rule]]
id = "held"
when = "held"
for = "10m"
[[rule]]
id = "muted"
when = "muted"
for = "10m"
[[rule]]
id = "alone"
when = "alone"
for = "2m"
[[rule]]
id = "bridge"
when = "no_outside_party"
for = "5m"
[[rule]]
id = "silent"
when = "silent"
for = "5m"
[[rule]]
id = "long"
when = "on_call"
for = "2h"
exclude_users = ["lead@example.com"]
[[rule]]
id = "ghost"
when = "phantom"
for = "10s"
"#;

fn party(i: usize, n: usize, purpose: Purpose, start: Timestamp) -> Party {
    Party {
        participant_id: format!("p-{i}-{n}").into(),
        name: format!("Party {n} of call {i}"),
        purpose: Some(purpose),
        state: Some(ParticipantState::Connected),
        muted: Some(n == 2 && i % 3 == 0),
        held: Some(n == 1 && i % 5 == 0),
        confined: Some(false),
        connected_since: Some(start),
        started_at: Some(start),
        ended_at: None,
        held_since: (n == 1 && i % 5 == 0).then_some(start),
        user_id: Some(UserId::new(format!("u-{i}-{n}"))),
        queue_id: Some(QueueId::new("q1")),
        communication_id: Some(CommunicationId::new(format!("m-{i}-{n}"))),
    }
}

/// A pass with nothing found does no I/O: any call here would be a bug in the figure.
struct NoIo;

impl LegActions for NoIo {
    async fn reread(&self, _: &ConversationId) -> Result<Arc<ConversationRecord>, ReadError> {
        Err(ReadError::Failed("the bench does no I/O".into()))
    }
    async fn drop_leg(&self, _: &ConversationId, _: &ParticipantId) -> DropResult {
        unreachable!("nothing is dropped in a dry run")
    }
    async fn disconnect_communication(
        &self,
        _: &ConversationId,
        _: &ParticipantId,
        _: &CommunicationId,
    ) -> DropResult {
        unreachable!("nothing is dropped in a dry run")
    }
}

fn main() {
    let now = Utc::now();
    let start = Timestamp::new(now - Duration::minutes(30));
    let board: Vec<Arc<ConversationRecord>> = (0..CALLS)
        .map(|i| {
            let parties = vec![
                party(i, 0, Purpose::Customer, start),
                party(i, 1, Purpose::Agent, start),
                party(i, 2, Purpose::External, start),
                party(i, 3, Purpose::User, start),
            ];
            Arc::new(ConversationRecord {
                id: format!("conv-{i:04}").into(),
                queues: vec![QueueId::new("q1")],
                started_at: Some(start),
                is_conference: true,
                ended: false,
                full_detail: true,
                watched_users: vec![],
                parties,
                ended_legs: vec![],
                stale_duplicates: vec![],
                other_legs: vec![],
            })
        })
        .collect();
    let policy = Policy::parse(POLICY).expect("policy");
    let mut flags = FlagTracker::new();
    let drops = AcceptedDrops::new();
    let mut transcription = Transcription::default();
    for r in &board {
        transcription.observe(
            &r.id,
            TranscriptEvent::Heartbeat {
                at: now - Duration::minutes(1),
            },
        );
    }
    let directory = Directory::new().queue(QueueId::new("q1"), "Support");
    flags.observe(&board, now - Duration::minutes(20));

    let mut findings = 0;
    let began = Instant::now();
    for pass in 0..PASSES {
        let at = now + Duration::milliseconds(pass as i64);
        flags.observe(&board, at);
        let obs = Observations {
            flags: &flags,
            accepted_drops: &drops,
            transcription: &transcription,
            directory: &directory,
        };
        findings = detect(&board, &policy, &obs, at).findings.len();
    }
    let per_pass = began.elapsed() / PASSES as u32;
    println!(
        "policy_detect: {CALLS} calls x 4 legs, {} rules: {:.2} ms per evaluation \
         (tracker update included), {:.2} us per call, {findings} findings",
        policy.rules.len(),
        per_pass.as_secs_f64() * 1e3,
        per_pass.as_secs_f64() * 1e6 / CALLS as f64
    );
    runner_cost(&board, &directory, &transcription, now);
}

/// The runner's cost per board change and per pass with no finding, and its share of a core when
/// the roster applies events at its full measured rate.
fn runner_cost(
    board: &[Arc<ConversationRecord>],
    directory: &Directory,
    transcription: &Transcription,
    now: chrono::DateTime<Utc>,
) {
    // The same rules with thresholds no leg on the board has reached: nothing is found.
    let quiet = ["\"10m\"", "\"2m\"", "\"5m\"", "\"2h\"", "\"10s\""]
        .iter()
        .fold(POLICY.to_owned(), |text, t| text.replace(t, "\"24h\""));
    let policy = Policy::parse(&quiet).expect("policy");
    let dir = tempfile::tempdir().expect("dir");
    let audit = AuditLog::open(dir.path().join("audit.jsonl")).expect("audit");
    let actor = Actor {
        user_id: "bench".into(),
        name: "Bench".into(),
    };
    let mut engine = Engine::new(policy.clone(), Mode::DryRun, NoIo, audit, actor);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut flags = FlagTracker::new();
    let drops = AcceptedDrops::new();
    flags.observe(board, now);

    // Per change: the runner feeds the changed call to the mute tracker (and counts it).
    const EVENTS: usize = 200_000;
    let began = Instant::now();
    for e in 0..EVENTS {
        flags.observe_record(&board[e % board.len()], now);
    }
    let per_event = began.elapsed().as_secs_f64() / EVENTS as f64;

    // Per pass: what `PolicyRunner::evaluate` does, minus the roster snapshot (an Arc clone).
    let mut found = 0;
    let began = Instant::now();
    for pass in 0..PASSES {
        let at = now + Duration::milliseconds(pass as i64);
        flags.observe(board, at);
        let obs = Observations {
            flags: &flags,
            accepted_drops: &drops,
            transcription,
            directory,
        };
        let detection = detect(board, &policy, &obs, at);
        found += detection.findings.len();
        let decided = rt
            .block_on(engine.decide(board, &detection.findings, &obs, at))
            .expect("decide");
        found += decided.len();
    }
    let per_pass = began.elapsed().as_secs_f64() / PASSES as f64;
    assert_eq!(found, 0, "the quiet policy finds nothing");

    let passes_per_sec = 1.0 / RunnerConfig::default().min_gap.as_secs_f64();
    let share = per_event * ROSTER_EVENTS_PER_SEC + per_pass * passes_per_sec;
    println!(
        "policy_runner: {CALLS} calls, {} rules, nothing found: {:.2} us per board change, \
         {:.2} ms per pass (tracker, detect, dry-run decide); at {ROSTER_EVENTS_PER_SEC:.0} \
         events/s with a pass every {} ms: {:.1}% of a core, {:.2} us per event",
        policy.rules.len(),
        per_event * 1e6,
        per_pass * 1e3,
        RunnerConfig::default().min_gap.as_millis(),
        share * 100.0,
        share / ROSTER_EVENTS_PER_SEC * 1e6,
    );
}
