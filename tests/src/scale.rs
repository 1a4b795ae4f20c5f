//! Shared by the scale tests (tests/tests/scale.rs) and the scale benchmark
//! (examples/scale_bench.rs): the emulator's load scenario with the platform's real limits, a
//! roster watching every queue (and the supervisor), and comparisons with the truth.

use std::time::Duration;

use genesys_client::Client;
use genesys_emulator::{EmulatorConfig, SUPERVISOR_EMAIL, ScenarioName};
use genesys_model::UserId;
use serde_json::Value;
use supervisor_core::roster::{Roster, RosterConfig, Watch, WatchRequest};

use crate::{
    Board, Rig, emulator_config, known_facts_diff, notify_config, roster_board, truth_board,
};

/// The platform's analytics lag as the emulator plays it by default.
pub const LAG: Duration = Duration::from_secs(3);

/// The load scenario with `calls` live calls, 300 requests/minute per token, 3 s analytics lag.
pub fn scale_config(calls: usize) -> EmulatorConfig {
    EmulatorConfig {
        scenario: ScenarioName::Load,
        conversations: calls,
        rate_limit_per_minute: 300,
        analytics_lag: LAG,
        ..emulator_config()
    }
}

/// The roster as the app configures it, told the emulator's lag.
pub fn roster_config() -> RosterConfig {
    RosterConfig {
        analytics_lag: LAG,
        ..RosterConfig::default()
    }
}

/// Requests on `/api/v2` since `since`: (total, refused with 429).
pub fn api_requests(rig: &Rig, since: u64) -> (usize, usize) {
    api_requests_until(rig, since, u64::MAX)
}

/// Requests on `/api/v2` after `since` up to and including `until`: (total, refused with 429).
pub fn api_requests_until(rig: &Rig, since: u64, until: u64) -> (usize, usize) {
    let all: Vec<_> = rig
        .emu
        .world()
        .requests(since)
        .into_iter()
        .filter(|r| r.seq <= until && r.path.starts_with("/api/v2"))
        .collect();
    let refused = all.iter().filter(|r| r.status == 429).count();
    (all.len(), refused)
}

/// The truth's live calls on the watched queues or with a watched person on them.
pub fn truth_for(truth: &[Value], watch: &Watch) -> Board {
    let queues: Vec<_> = watch.queues.iter().cloned().collect();
    let mut board = truth_board(truth, &queues);
    let users: Vec<&str> = watch.users.iter().map(UserId::as_str).collect();
    let with_users: Vec<Value> = truth
        .iter()
        .filter(|c| {
            c["participants"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["user"]["id"].as_str().is_some_and(|u| users.contains(&u)))
        })
        .cloned()
        .map(|mut c| {
            // Mark it as on a watched queue so truth_board keeps it.
            if let Some(q) = queues.first() {
                c["queueId"] = q.as_str().into();
            }
            c
        })
        .collect();
    board.extend(truth_board(&with_users, &queues));
    board
}

/// Polls until every fact the roster knows agrees with the truth (unknown facts are allowed: the
/// analytics data does not carry them); returns the time it took and the legs with unknown facts.
pub async fn equal_to_truth(
    rig: &Rig,
    roster: &Roster,
    within: Duration,
) -> Result<(Duration, usize), String> {
    let started = tokio::time::Instant::now();
    loop {
        let watch = roster.watch();
        let truth = truth_for(&rig.emu.world().conversations(), &watch);
        let ours = roster_board(roster);
        let (diff, unknown) = known_facts_diff(&ours, &truth);
        if diff.is_empty() {
            return Ok((started.elapsed(), unknown));
        }
        if started.elapsed() >= within {
            let lines: Vec<&str> = diff.lines().take(20).collect();
            return Err(format!(
                "{} differences, first ones:\n{}",
                diff.lines().count(),
                lines.join("\n")
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A roster over every queue (and the supervisor's own calls when `users`), as the app starts it,
/// and the REST client it runs on (for actions and the budget's figures).
pub async fn start_roster(rig: &Rig, users: bool) -> (Roster, Client) {
    let token = rig.token(SUPERVISOR_EMAIL).await;
    let me = UserId::new(rig.user(SUPERVISOR_EMAIL));
    let watch = Watch {
        queues: rig.all_queues().into_iter().collect(),
        users: if users {
            [me].into_iter().collect()
        } else {
            Default::default()
        },
    };
    let client = rig.client(&token);
    let roster = Roster::connect_watching(
        client.clone(),
        WatchRequest {
            watch,
            queue_people: false,
        },
        notify_config(),
        roster_config(),
    );
    (roster, client)
}
