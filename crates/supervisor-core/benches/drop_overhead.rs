//! App overhead per action with 1,000 live conversations on the board, against the in-process
//! emulator: command -> request handed to the HTTP client, and confirming event applied -> outcome
//! returned (with and without the audit fsync, which is reported on its own).
//!
//! Drops (on conference legs) and mute/unmute toggles, each verified through the roster.
//! Run: `cargo bench -p supervisor-core --bench drop_overhead`.

use std::time::Duration;

use genesys_client::{Client, Environment, RetryPolicy, StaticToken};
use genesys_emulator::test_support;
use genesys_emulator::{EmulatorConfig, SUPERVISOR_EMAIL, ScenarioName};
use genesys_model::{AccessToken, ConversationId, ParticipantId, QueueId};
use genesys_notify::NotifyConfig;
use supervisor_core::actions::{ActionOutcome, ActionReport, Actions, ActionsConfig};
use supervisor_core::audit::AuditLog;
use supervisor_core::roster::{Roster, RosterConfig};

const CONVERSATIONS: usize = 1_000;
const DROPS: usize = 150;
const TOGGLES: usize = 300;

async fn token(base: &str) -> AccessToken {
    let http = test_support::http_client();
    AccessToken::new(test_support::sign_in(&http, base, SUPERVISOR_EMAIL).await)
}

fn percentile(values: &mut [Duration], p: f64) -> Duration {
    values.sort();
    if values.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (values.len() - 1) as f64).round() as usize;
    values[rank.min(values.len() - 1)]
}

fn report(name: &str, values: &mut [Duration]) {
    println!(
        "{name:<48} n={:<4} p50 {:>8.3} ms   p99 {:>8.3} ms   max {:>8.3} ms",
        values.len(),
        percentile(values, 50.0).as_secs_f64() * 1e3,
        percentile(values, 99.0).as_secs_f64() * 1e3,
        values
            .iter()
            .max()
            .copied()
            .unwrap_or_default()
            .as_secs_f64()
            * 1e3,
    );
}

#[derive(Default)]
struct Samples {
    to_wire: Vec<Duration>,
    confirm_to_outcome: Vec<Duration>,
    confirm_to_outcome_without_fsync: Vec<Duration>,
    audit: Vec<Duration>,
    total: Vec<Duration>,
}

impl Samples {
    fn add(&mut self, r: &ActionReport) {
        assert!(
            matches!(r.outcome, ActionOutcome::Confirmed { .. }),
            "{:?}",
            r.outcome
        );
        let t = &r.timings;
        self.to_wire.extend(t.to_wire);
        if let Some(c) = t.confirm_to_outcome {
            self.confirm_to_outcome.push(c);
            self.confirm_to_outcome_without_fsync
                .push(c.saturating_sub(t.audit));
        }
        self.audit.push(t.audit);
        self.total.push(t.total);
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let emulator = genesys_emulator::start(EmulatorConfig {
        scenario: ScenarioName::Load,
        conversations: CONVERSATIONS,
        patch_delay: Duration::from_millis(1),
        rate_limit_per_minute: u32::MAX,
        seed: 3,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator");
    let base = emulator.base_url();
    let token = token(&base).await;
    let client = Client::builder(Environment::custom(&base).expect("env"))
        .token_source(StaticToken::from(token))
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client");
    let queues: Vec<QueueId> = emulator
        .world()
        .queues()
        .into_iter()
        .map(|q| QueueId::new(q.id))
        .collect();
    let started = std::time::Instant::now();
    let roster = Roster::connect(
        client.clone(),
        queues,
        NotifyConfig::default(),
        RosterConfig {
            snapshot_concurrency: 16,
            ..RosterConfig::default()
        },
    );
    assert!(roster.wait_until_trusted(Duration::from_secs(120)).await);
    let board = roster.snapshot();
    println!(
        "snapshot of {} live conversations in {:.2?}",
        board.conversations.len(),
        started.elapsed()
    );
    assert!(board.conversations.len() >= CONVERSATIONS);

    let dir = std::env::temp_dir().join(format!("bk-bench-{}", uuid::Uuid::new_v4()));
    let audit = AuditLog::open(dir.join("audit.jsonl")).expect("audit");
    let actions = Actions::new(
        client,
        roster.clone(),
        audit,
        ActionsConfig {
            confirm_timeout: Duration::from_secs(5),
            reread_after: Duration::from_secs(3),
            ..ActionsConfig::default()
        },
    )
    .await
    .expect("actions");

    let mut drops = Samples::default();
    let conferences: Vec<(ConversationId, ParticipantId)> = board
        .conversations
        .iter()
        .filter(|c| c.is_conference)
        .filter_map(|c| {
            c.live_people()
                .find(|p| !p.is_customer() && !p.is_agent_like())
                .or_else(|| c.live_people().last())
                .map(|p| (c.id.clone(), p.participant_id.clone()))
        })
        .take(DROPS)
        .collect();
    for (c, p) in &conferences {
        let plan = actions.plan_drop(c, p).await.expect("plan");
        let report = actions.execute_drop(&plan).await.expect("drop");
        drops.add(&report);
    }

    let mut toggles = Samples::default();
    let targets: Vec<(ConversationId, ParticipantId)> = roster
        .snapshot()
        .conversations
        .iter()
        .filter_map(|c| {
            c.live_people()
                .find(|p| p.is_customer())
                .map(|p| (c.id.clone(), p.participant_id.clone()))
        })
        .take(TOGGLES / 2)
        .collect();
    for muted in [true, false] {
        for (c, p) in &targets {
            let report = actions.set_muted(c, p, muted).await.expect("mute");
            toggles.add(&report);
        }
    }

    println!(
        "--- drops ({} on conference legs, 1,000 live conversations) ---",
        drops.total.len()
    );
    report("command -> request on the wire", &mut drops.to_wire);
    report(
        "confirming event -> outcome (incl. audit fsync)",
        &mut drops.confirm_to_outcome,
    );
    report(
        "confirming event -> outcome (excl. audit fsync)",
        &mut drops.confirm_to_outcome_without_fsync,
    );
    report("audit append + fsync", &mut drops.audit);
    report(
        "command -> outcome (total, incl. platform)",
        &mut drops.total,
    );
    println!("--- mute/unmute ({}) ---", toggles.total.len());
    report("command -> request on the wire", &mut toggles.to_wire);
    report(
        "confirming event -> outcome (incl. audit fsync)",
        &mut toggles.confirm_to_outcome,
    );
    report(
        "confirming event -> outcome (excl. audit fsync)",
        &mut toggles.confirm_to_outcome_without_fsync,
    );
    report("audit append + fsync", &mut toggles.audit);
    report(
        "command -> outcome (total, incl. platform)",
        &mut toggles.total,
    );

    roster.shutdown().await;
    emulator.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}
