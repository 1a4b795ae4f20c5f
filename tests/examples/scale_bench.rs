//! The board at contact-center scale, measured against the emulator's truth with the platform's
//! real limits on (300 requests/minute per token, 3 s analytics lag) and churn running.
//!
//! `cargo run --release -p bridgekeeper-tests --example scale_bench -- [--calls N] [--soak-minutes M]
//!  [--kill-every SECS] [--churn PER_MIN] [--full-detail]` (or `scripts/bench-scale.sh`, which runs
//! the reported set).
//! Prints one line per figure:
//! - cold start: time until the board is complete and equal to the truth, requests, 429s, and (with
//!   `--full-detail`) the time and requests until every call is fully known (the paced fill-in);
//! - a drop issued in the middle of the cold start, against the same drop on the idle board;
//! - steady-state requests per minute;
//! - the soak: the socket killed every SECS for M minutes; after each reconnect the time until the
//!   board equals the truth, the requests it cost, and 429s.

use genesys_emulator::FaultSpec;
use std::time::{Duration, Instant};

use bridgekeeper_tests::scale::{
    api_requests, api_requests_until, equal_to_truth, scale_config, start_roster,
};
use bridgekeeper_tests::{Rig, find_call};
use genesys_client::Client;
use genesys_model::{ConversationId, ParticipantId};
use supervisor_core::actions::ActionOutcome;
use supervisor_core::roster::Roster;

struct Options {
    calls: usize,
    soak_minutes: u64,
    kill_every: u64,
    churn: f64,
    full_detail: bool,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        calls: 1_000,
        soak_minutes: 0,
        kill_every: 30,
        churn: 60.0,
        full_detail: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--calls" => o.calls = value()?.parse().map_err(|e| format!("--calls: {e}"))?,
            "--soak-minutes" => {
                o.soak_minutes = value()?
                    .parse()
                    .map_err(|e| format!("--soak-minutes: {e}"))?
            }
            "--kill-every" => {
                o.kill_every = value()?.parse().map_err(|e| format!("--kill-every: {e}"))?
            }
            "--churn" => o.churn = value()?.parse().map_err(|e| format!("--churn: {e}"))?,
            "--full-detail" => o.full_detail = true,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(o)
}

async fn wait_full_detail(roster: &Roster, within: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < within {
        let c = roster.status().completeness;
        if c.is_complete() && c.full_detail == c.held {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    None
}

/// Drops the last connected party of a plain three-party call; returns command-to-outcome time.
async fn one_drop(
    rig: &Rig,
    client: &Client,
    roster: &Roster,
    audit: &str,
) -> Result<Duration, String> {
    let actions = rig.actions(client, roster, audit).await;
    let (conversation, parties) = find_call(rig, 3, true).await;
    let target = parties.last().map(|(id, _)| id.clone()).ok_or("no party")?;
    let started = Instant::now();
    let plan = actions
        .plan_drop(
            &ConversationId::new(conversation),
            &ParticipantId::new(target),
        )
        .await
        .map_err(|e| e.to_string())?;
    let report = actions
        .execute_drop(&plan)
        .await
        .map_err(|e| e.to_string())?;
    let took = started.elapsed();
    match report.outcome {
        ActionOutcome::Confirmed { .. } => Ok(took),
        other => Err(format!("drop not confirmed: {other:?}")),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("scale_bench: {e}");
            std::process::exit(2);
        }
    };
    let calls = o.calls;
    let rig = Rig::start_with(scale_config(calls)).await;
    rig.churn(o.churn).await;

    // Cold start, with a drop issued while it runs.
    let since = rig.request_seq();
    let started = Instant::now();
    let (roster, client) = start_roster(&rig, true).await;
    let drop_rig = &rig;
    let drop_client = client.clone();
    let drop_roster = roster.clone();
    let (drop_during, complete) = tokio::join!(
        async move {
            tokio::time::sleep(Duration::from_millis(3_300)).await;
            one_drop(drop_rig, &drop_client, &drop_roster, "during.jsonl").await
        },
        roster.wait_until_trusted(Duration::from_secs(600))
    );
    let complete_after = started.elapsed();
    let complete_seq = rig.request_seq();
    // The idle fill-in starts the moment the board is complete; count it apart.
    let at_complete = client.budget_stats();
    assert!(
        complete,
        "the board never became complete: {:?}",
        roster.status()
    );
    let truth = equal_to_truth(&rig, &roster, Duration::from_secs(30)).await;
    let (requests, refused) = api_requests_until(&rig, since, complete_seq);
    match truth {
        Ok((took, unknown)) => println!(
            "cold start {calls} calls: complete in {:.1} s after {} board requests and {} of the drop ({} fill-in reads had started; {requests} in the log, {refused} x 429), equal to truth {:.1} s after; {} calls on the board, {unknown} legs not yet fully known",
            complete_after.as_secs_f64(),
            at_complete.sent[1],
            at_complete.sent[0],
            at_complete.sent[2],
            took.as_secs_f64(),
            roster.status().completeness.held
        ),
        Err(diff) => println!("cold start {calls} calls: NOT equal to truth: {diff}"),
    }
    if o.full_detail {
        let full = wait_full_detail(&roster, Duration::from_secs(1_800)).await;
        let (requests_full, refused_full) = api_requests(&rig, since);
        match full {
            Some(t) => println!(
                "full detail {calls} calls: {:.0} s after complete; {requests_full} requests in all, {refused_full} x 429",
                t.as_secs_f64()
            ),
            None => println!("full detail {calls} calls: not reached within 30 min"),
        }
    }
    match drop_during {
        Ok(t) => println!(
            "drop during the cold start: {} ms command to outcome",
            t.as_millis()
        ),
        Err(e) => println!("drop during the cold start: FAILED {e}"),
    }
    match one_drop(&rig, &client, &roster, "idle.jsonl").await {
        Ok(t) => println!(
            "drop on the idle board: {} ms command to outcome",
            t.as_millis()
        ),
        Err(e) => println!("drop on the idle board: FAILED {e}"),
    }

    // Steady state: one minute of churn with nothing else going on.
    let since = rig.request_seq();
    tokio::time::sleep(Duration::from_secs(60)).await;
    let (steady, steady_refused) = api_requests(&rig, since);
    println!(
        "steady state {calls} calls, churn {}/min: {steady} requests in 60 s, {steady_refused} x 429",
        o.churn
    );

    // Soak: kill the socket every `kill_every` seconds.
    if o.soak_minutes > 0 {
        let rounds = o.soak_minutes * 60 / o.kill_every.max(1);
        let mut worst = Duration::ZERO;
        let mut worst_resync = Duration::ZERO;
        let mut total_requests = 0;
        let mut total_refused = 0;
        let mut failures = 0;
        for round in 1..=rounds {
            tokio::time::sleep(Duration::from_secs(o.kill_every)).await;
            let since = rig.request_seq();
            let killed = Instant::now();
            rig.fault(&FaultSpec::CloseSockets {}).await;
            tokio::time::sleep(Duration::from_millis(300)).await;
            let result = equal_to_truth(&rig, &roster, Duration::from_secs(5)).await;
            // Live again: reconnected, swept after the analytics lag, nothing missing.
            roster.wait_until_trusted(Duration::from_secs(20)).await;
            let resynced = killed.elapsed();
            worst_resync = worst_resync.max(resynced);
            let (requests, refused) = api_requests(&rig, since);
            total_requests += requests;
            total_refused += refused;
            match result {
                Ok((took, _)) => {
                    let took = took + Duration::from_millis(300);
                    worst = worst.max(took);
                    println!(
                        "soak round {round}: true {} ms after the kill, live and complete again after {} ms; {requests} requests, {refused} x 429",
                        took.as_millis(),
                        resynced.as_millis()
                    );
                }
                Err(diff) => {
                    failures += 1;
                    println!("soak round {round}: NOT true within 5 s: {diff}");
                }
            }
        }
        println!(
            "soak {} min, kill every {} s: {rounds} reconnects, worst {} ms to truth, worst {} ms to live again, {failures} over 5 s, {:.1} requests per reconnect, {total_refused} x 429",
            o.soak_minutes,
            o.kill_every,
            worst.as_millis(),
            worst_resync.as_millis(),
            total_requests as f64 / rounds.max(1) as f64
        );
    }
    let stats = client.budget_stats();
    println!(
        "budget: sent interactive/background/idle {:?}, 429 seen {:?}",
        stats.sent, stats.refused
    );
    rig.churn(0.0).await;
    roster.shutdown().await;
}
