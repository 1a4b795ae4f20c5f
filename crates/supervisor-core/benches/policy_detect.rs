//! The policy detector's cost on a board of 1,000 live four-party calls, every rule kind on, with
//! the mute tracker fed the whole board each pass (its worst case).
//! Run: `cargo bench -p supervisor-core --bench policy_detect` (prints the cost per evaluation and
//! per call; a figure to report, not a pass/fail bar).

use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, Utc};
use genesys_model::{CommunicationId, ParticipantState, Purpose, QueueId, Timestamp, UserId};
use supervisor_core::policy::{
    AcceptedDrops, Directory, FlagTracker, Observations, Policy, TranscriptEvent, Transcription,
    detect,
};
use supervisor_core::roster::{ConversationRecord, Party};

const CALLS: usize = 1_000;
const PASSES: usize = 200;

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
}
