//! Sockets killed repeatedly, `socket_closing` handovers and lost events: after every reconnect the
//! roster is re-read and equals the emulator's truth within 2 s.

use genesys_emulator::FaultSpec;
use std::time::Duration;

use bridgekeeper_tests::{Rig, converge};
use serde_json::json;
use supervisor_core::roster::{ChangeKind, Roster, RosterChange};
use tokio::sync::broadcast;

/// Waits for the next `Resynced` change (the snapshot after a reconnect landed).
async fn next_resync(changes: &mut broadcast::Receiver<RosterChange>, within: Duration) -> bool {
    tokio::time::timeout(within, async {
        loop {
            match changes.recv().await {
                Ok(RosterChange {
                    kind: ChangeKind::Resynced { .. },
                    ..
                }) => return true,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return false,
            }
        }
    })
    .await
    .unwrap_or(false)
}

/// Waits until the roster has applied `count` live changes (calls starting, changing or ending):
/// the churn is flowing on the current socket. An event to wait for, instead of a pause.
async fn churn_applied(
    changes: &mut broadcast::Receiver<RosterChange>,
    count: usize,
    within: Duration,
) -> bool {
    tokio::time::timeout(within, async {
        let mut seen = 0;
        while seen < count {
            match changes.recv().await {
                Ok(RosterChange {
                    kind: ChangeKind::Upserted { .. } | ChangeKind::Removed { .. },
                    ..
                }) => seen += 1,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return false,
            }
        }
        true
    })
    .await
    .unwrap_or(false)
}

async fn equal_within_two_seconds(rig: &Rig, roster: &Roster, round: &str) {
    let took = converge(rig, roster, Duration::from_secs(2))
        .await
        .unwrap_or_else(|diff| {
            panic!("{round}: roster differs from truth 2 s after the reconnect:\n{diff}")
        });
    eprintln!("{round}: equal to truth {took:?} after the resync");
}

#[tokio::test]
async fn killed_sockets_under_churn_leave_the_roster_equal_to_the_truth() {
    let rig = Rig::start().await;
    let (roster, _) = rig.supervisor_roster().await;
    rig.churn(240.0).await;
    for round in 1..=5 {
        // Kill the socket while calls are changing on it: after two churn changes arrived.
        let mut changes = roster.changes();
        assert!(
            churn_applied(&mut changes, 2, Duration::from_secs(10)).await,
            "round {round}: churn reached the roster ({:?})",
            roster.status()
        );
        rig.fault(&FaultSpec::CloseSockets {}).await;
        assert!(
            next_resync(&mut changes, Duration::from_secs(5)).await,
            "round {round}: the reconnect was followed by a snapshot ({:?})",
            roster.status()
        );
        equal_within_two_seconds(&rig, &roster, &format!("close_sockets round {round}")).await;
    }
    rig.churn(0.0).await;
    assert!(roster.status().trusted);
    roster.shutdown().await;
}

#[tokio::test]
async fn socket_closing_handovers_keep_the_roster_equal_to_the_truth() {
    let rig = Rig::start().await;
    let (roster, _) = rig.supervisor_roster().await;
    rig.churn(240.0).await;
    for round in 1..=3 {
        let mut changes = roster.changes();
        rig.fault(&FaultSpec::SocketClosing {
            grace_ms: Some(200),
        })
        .await;
        assert!(
            next_resync(&mut changes, Duration::from_secs(5)).await,
            "round {round}: a resync after the handover"
        );
        equal_within_two_seconds(&rig, &roster, &format!("socket_closing round {round}")).await;
    }
    rig.churn(0.0).await;
    roster.shutdown().await;
}

#[tokio::test]
async fn events_lost_while_the_socket_was_up_are_recovered_by_the_next_resync() {
    let rig = Rig::start().await;
    let (roster, _) = rig.supervisor_roster().await;
    // The next two state changes publish nothing: the board silently falls behind...
    rig.fault(&FaultSpec::DropEvents {
        count: Some(2),
        rate: None,
    })
    .await;
    let support = rig.queue("Support");
    let agent = rig.user(&genesys_emulator::agent_email(1));
    let created: serde_json::Value = rig
        .http
        .post(format!("{}/_emulator/conversations", rig.base))
        .json(&json!({"queueId": support.as_str(), "parties": [
            {"purpose": "customer", "name": "Unseen Caller"},
            {"purpose": "agent", "userId": agent}]}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let (existing, parties) = bridgekeeper_tests::find_call(&rig, 3, true).await;
    let leaver = parties.last().map(|(id, _)| id.clone()).expect("party");
    rig.http
        .post(format!(
            "{}/_emulator/conversations/{existing}/participants/{leaver}/leave",
            rig.base
        ))
        .json(&json!({}))
        .send()
        .await
        .expect("leave");
    // Both changes were swallowed (the emulator counts them), so nothing is on its way.
    let world = rig.emu.world();
    tokio::time::timeout(Duration::from_secs(5), async {
        while world.event_stats().dropped < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the two changes were dropped");
    let diff = converge(&rig, &roster, Duration::ZERO)
        .await
        .expect_err("behind");
    assert!(diff.contains(created["id"].as_str().expect("id")), "{diff}");
    assert!(diff.contains(&existing), "{diff}");
    // ...until the socket is replaced, which always re-reads the queues.
    let mut changes = roster.changes();
    rig.fault(&FaultSpec::CloseSockets {}).await;
    assert!(next_resync(&mut changes, Duration::from_secs(5)).await);
    equal_within_two_seconds(&rig, &roster, "after lost events").await;
    roster.shutdown().await;
}

#[tokio::test]
async fn a_failing_snapshot_is_retried_and_the_board_is_untrusted_meanwhile() {
    let rig = Rig::start().await;
    let (roster, _) = rig.supervisor_roster().await;
    // Six 503s on the discovery query: more than one snapshot attempt's retries can absorb.
    rig.fault(&FaultSpec::ServerError {
        status: 503,
        count: Some(6),
        rate: None,
        path_prefix: Some("/api/v2/analytics".into()),
    })
    .await;
    let mut changes = roster.changes();
    rig.fault(&FaultSpec::CloseSockets {}).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while roster.status().last_error.is_none() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            roster.status()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let status = roster.status();
    assert!(!status.trusted && status.resyncing, "{status:?}");
    assert!(status.stale_since.is_some());
    assert!(
        next_resync(&mut changes, Duration::from_secs(8)).await,
        "the retried snapshot landed"
    );
    assert!(roster.status().trusted);
    assert!(roster.status().last_error.is_none());
    equal_within_two_seconds(&rig, &roster, "after a failed snapshot").await;
    roster.shutdown().await;
}
