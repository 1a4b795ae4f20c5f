//! The board at contact-center scale, against the emulator's truth, with the platform's real limit
//! (300 requests per minute per token) and its real analytics lag (3 s) on: a cold start at 1,000
//! live calls, three socket kills under churn, and a drop in the middle of a resync.
//!
//! These are the short versions of `scripts/bench-scale.sh` (5,000 and 10,000 calls, a 10-minute
//! soak), so a regression fails the test command. Nothing here is timed except by the bounds a
//! supervisor would notice (the board equal to the truth within 5 s of a reconnect).

use genesys_emulator::FaultSpec;
use std::time::Duration;

use bridgekeeper_tests::Rig;
use bridgekeeper_tests::scale::{
    api_requests, api_requests_until, equal_to_truth, scale_config, start_roster,
};
use genesys_model::{ConversationId, ParticipantId};
use supervisor_core::actions::ActionOutcome;

const CALLS: usize = 1_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cold_start_at_1000_calls_is_complete_true_and_never_rate_limited() {
    let rig = Rig::start_with(scale_config(CALLS)).await;
    rig.churn(60.0).await;
    let since = rig.request_seq();
    let started = tokio::time::Instant::now();
    let (roster, _) = start_roster(&rig, true).await;
    assert!(
        roster.wait_until_trusted(Duration::from_secs(60)).await,
        "complete within a minute: {:?}",
        roster.status()
    );
    let complete_after = started.elapsed();
    let complete_seq = rig.request_seq();
    let (took, unknown) = equal_to_truth(&rig, &roster, Duration::from_secs(10))
        .await
        .unwrap_or_else(|diff| panic!("the board differs from the truth:\n{diff}"));
    // Until the board was complete; the idle fill-in reads that follow are counted apart.
    let (requests, refused) = api_requests_until(&rig, since, complete_seq);
    let (with_fill_in, refused_later) = api_requests(&rig, since);
    let status = roster.status();
    eprintln!(
        "cold start at {CALLS} calls: complete in {complete_after:?} after {requests} API requests \
         ({refused} refused), equal to truth {took:?} later; {with_fill_in} requests with the fill-in \
         so far ({refused_later} refused); {} on the board, {unknown} legs not yet fully known",
        status.completeness.held
    );
    assert_eq!(refused_later, 0, "the fill-in is paced too");
    assert_eq!(refused, 0, "no 429 during a cold start");
    assert!(
        status.completeness.held >= CALLS * 9 / 10,
        "the board holds the calls: {:?}",
        status.completeness
    );
    // Cost grows with pages: 10 details pages, observations, channel set-up and a few reads of
    // calls analytics had not caught up with; nowhere near one GET per call.
    assert!(
        requests < 80,
        "{requests} requests for a cold start at {CALLS} calls"
    );
    rig.churn(0.0).await;
    roster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_each_socket_kill_the_board_is_true_within_five_seconds_at_no_429() {
    let rig = Rig::start_with(scale_config(CALLS)).await;
    let (roster, _) = start_roster(&rig, true).await;
    assert!(roster.wait_until_trusted(Duration::from_secs(60)).await);
    rig.churn(60.0).await;
    let mut per_reconnect = Vec::new();
    for round in 1..=3 {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let since = rig.request_seq();
        rig.fault(&FaultSpec::CloseSockets {}).await;
        // Let the socket drop be noticed before judging.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (took, _) = equal_to_truth(&rig, &roster, Duration::from_secs(5))
            .await
            .unwrap_or_else(|diff| panic!("round {round}: not true 5 s after the kill:\n{diff}"));
        assert!(
            roster.wait_until_trusted(Duration::from_secs(10)).await,
            "round {round}: complete again: {:?}",
            roster.status()
        );
        let (requests, refused) = api_requests(&rig, since);
        eprintln!(
            "socket kill {round}: true after {took:?}, {requests} requests, {refused} refused"
        );
        assert_eq!(refused, 0, "round {round}: no 429 after a reconnect");
        per_reconnect.push(requests);
    }
    assert!(
        per_reconnect.iter().all(|r| *r < 60),
        "a resync costs pages, not calls: {per_reconnect:?}"
    );
    rig.churn(0.0).await;
    roster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drop_during_a_resync_is_not_held_behind_background_reads() {
    let rig = Rig::start_with(scale_config(CALLS)).await;
    let (roster, client) = start_roster(&rig, false).await;
    assert!(roster.wait_until_trusted(Duration::from_secs(60)).await);
    let actions = rig.actions(&client, &roster, "scale.jsonl").await;
    // A plain three-party call from the truth.
    let (conversation, parties) = bridgekeeper_tests::find_call(&rig, 3, true).await;
    let target = parties.last().map(|(id, _)| id.clone()).expect("party");
    let (c, p) = (
        ConversationId::new(conversation.clone()),
        ParticipantId::new(target.clone()),
    );
    rig.fault(&FaultSpec::CloseSockets {}).await;
    // The resync sweep starts once analytics has caught up; drop in the middle of it.
    tokio::time::sleep(Duration::from_millis(3_200)).await;
    let started = tokio::time::Instant::now();
    let plan = actions.plan_drop(&c, &p).await.expect("plan");
    let report = actions.execute_drop(&plan).await.expect("drop");
    let took = started.elapsed();
    eprintln!("drop during a resync at {CALLS} calls: {took:?} command to outcome");
    assert!(
        matches!(report.outcome, ActionOutcome::Confirmed { .. }),
        "{:?}",
        report.outcome
    );
    assert_eq!(
        bridgekeeper_tests::truth_leg(&rig, &conversation, &target)["state"],
        "disconnected"
    );
    roster.shutdown().await;
}
