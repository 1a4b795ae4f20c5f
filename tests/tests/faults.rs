//! 429 storms and 5xx bursts: every action ends in an outcome that matches what the platform did.

use bridgekeeper_tests::{Rig, find_call, truth_leg};
use genesys_emulator::FaultSpec;
use genesys_model::{ConversationId, ParticipantId};
use supervisor_core::actions::{ActionError, ActionOutcome};
use supervisor_core::audit::AuditOutcome;
use supervisor_core::error::ErrorCode;

const CALLS: &str = "/api/v2/conversations/calls";

#[tokio::test]
async fn a_short_429_storm_is_waited_out_and_the_drop_confirmed() {
    let rig = Rig::start().await;
    let (roster, client) = rig.supervisor_roster().await;
    let actions = rig.actions(&client, &roster, "audit.jsonl").await;
    let (conversation, parties) = find_call(&rig, 3, true).await;
    let target = parties.last().map(|(id, _)| id.clone()).expect("party");
    let (c, p) = (
        ConversationId::new(&conversation),
        ParticipantId::new(&target),
    );
    let plan = actions.plan_drop(&c, &p).await.expect("plan");
    rig.fault(&FaultSpec::RateLimit {
        count: Some(2),
        rate: None,
        retry_after: Some(1),
        path_prefix: Some(CALLS.to_string()),
    })
    .await;
    let since = rig.request_seq();
    let report = actions.execute_drop(&plan).await.expect("drop");
    assert!(report.outcome.is_confirmed(), "{:?}", report.outcome);
    let statuses: Vec<u16> = rig
        .participant_patches(since)
        .into_iter()
        .map(|(_, s, _)| s)
        .collect();
    assert_eq!(
        statuses,
        vec![429, 429, 202],
        "429s retried, one accepted PATCH"
    );
    assert_eq!(
        truth_leg(&rig, &conversation, &target)["state"],
        "disconnected"
    );
    roster.shutdown().await;
}

#[tokio::test]
async fn an_endless_429_storm_is_rate_limited_and_changes_nothing() {
    let rig = Rig::start().await;
    let (roster, client) = rig.supervisor_roster().await;
    let actions = rig.actions(&client, &roster, "audit.jsonl").await;
    let (conversation, parties) = find_call(&rig, 2, false).await;
    let target = parties[0].0.clone();
    let (c, p) = (
        ConversationId::new(&conversation),
        ParticipantId::new(&target),
    );
    rig.fault(&FaultSpec::RateLimit {
        count: None,
        rate: None,
        retry_after: Some(1),
        path_prefix: Some(CALLS.to_string()),
    })
    .await;
    let err = actions
        .set_muted(&c, &p, true)
        .await
        .expect_err("rate limited");
    assert_eq!(err.code(), ErrorCode::RateLimited);
    assert!(err.retry_after().is_some());
    assert!(matches!(
        err,
        ActionError::RateLimited {
            correlation_id: Some(_),
            ..
        }
    ));
    assert_eq!(truth_leg(&rig, &conversation, &target)["muted"], false);
    rig.clear_faults().await;
    let report = actions.set_muted(&c, &p, true).await.expect("mute");
    assert!(report.outcome.is_confirmed(), "{:?}", report.outcome);
    let log = rig.audit_log("audit.jsonl").read_all().expect("audit");
    let outcomes: Vec<AuditOutcome> = log.records.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        vec![AuditOutcome::Failed, AuditOutcome::Confirmed]
    );
    roster.shutdown().await;
}

#[tokio::test]
async fn a_5xx_on_the_drop_is_refused_with_its_details_and_a_retry_works() {
    let rig = Rig::start().await;
    let (roster, client) = rig.supervisor_roster().await;
    let actions = rig.actions(&client, &roster, "audit.jsonl").await;
    let (conversation, parties) = find_call(&rig, 3, true).await;
    let target = parties.last().map(|(id, _)| id.clone()).expect("party");
    let (c, p) = (
        ConversationId::new(&conversation),
        ParticipantId::new(&target),
    );
    rig.fault(&FaultSpec::ServerError {
        status: 503,
        count: Some(1),
        rate: None,
        path_prefix: Some(CALLS.to_string()),
    })
    .await;
    let plan = actions.plan_drop(&c, &p).await.expect("plan");
    let since = rig.request_seq();
    let report = actions.execute_drop(&plan).await.expect("outcome");
    match &report.outcome {
        ActionOutcome::Refused {
            status,
            correlation_id,
            explanation,
            ..
        } => {
            assert_eq!(*status, Some(503));
            assert!(correlation_id.is_some());
            assert!(explanation.contains("temporary"), "{explanation}");
        }
        other => panic!("expected Refused, got {other:?}"),
    }
    assert_eq!(
        rig.participant_patches(since).len(),
        1,
        "a PATCH is never repeated after a 5xx"
    );
    assert_eq!(
        truth_leg(&rig, &conversation, &target)["state"],
        "connected"
    );
    let plan = actions.plan_drop(&c, &p).await.expect("plan again");
    let report = actions.execute_drop(&plan).await.expect("drop");
    assert!(report.outcome.is_confirmed(), "{:?}", report.outcome);
    roster.shutdown().await;
}

/// Mixed 429s and 5xx on call control: each outcome must match the platform's truth.
#[tokio::test]
async fn under_mixed_429_and_5xx_bursts_every_outcome_matches_the_truth() {
    let rig = Rig::start().await;
    let (roster, client) = rig.supervisor_roster().await;
    let actions = rig.actions(&client, &roster, "audit.jsonl").await;
    rig.fault(&FaultSpec::ServerError {
        status: 500,
        count: None,
        rate: Some(0.35),
        path_prefix: Some(CALLS.to_string()),
    })
    .await;
    rig.fault(&FaultSpec::RateLimit {
        count: None,
        rate: Some(0.3),
        retry_after: Some(1),
        path_prefix: Some(CALLS.to_string()),
    })
    .await;
    let snapshot = roster.snapshot();
    let mut targets: Vec<(ConversationId, ParticipantId)> = snapshot
        .conversations
        .iter()
        .flat_map(|c| {
            c.parties
                .iter()
                .filter(|p| !p.is_acd() && !p.is_muted() && !p.is_held())
                .filter(|p| p.state.as_ref().is_some_and(|s| s.as_str() == "connected"))
                .map(|p| (c.id.clone(), p.participant_id.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    targets.truncate(8);
    let (mut confirmed, mut refused, mut limited) = (0, 0, 0);
    for (i, (c, p)) in targets.iter().enumerate() {
        let hold = i % 2 == 0;
        let result = if hold {
            actions.set_held(c, p, true).await
        } else {
            actions.set_muted(c, p, true).await
        };
        let field = if hold { "held" } else { "muted" };
        let now = truth_leg(&rig, c.as_str(), p.as_str())[field] == true;
        match result {
            Ok(report) => match report.outcome {
                ActionOutcome::Confirmed { .. } => {
                    confirmed += 1;
                    assert!(now, "Confirmed but the platform shows no change ({c}/{p})");
                }
                ActionOutcome::Refused { status, .. } => {
                    refused += 1;
                    assert!(status.is_some_and(|s| s >= 500), "{status:?}");
                    assert!(!now, "Refused but the platform changed ({c}/{p})");
                }
                other => panic!("unexpected outcome {other:?}"),
            },
            Err(e) => {
                assert_eq!(e.code(), ErrorCode::RateLimited, "{e}");
                limited += 1;
                assert!(!now, "RateLimited but the platform changed ({c}/{p})");
            }
        }
    }
    eprintln!("confirmed {confirmed}, refused {refused}, rate limited {limited}");
    assert_eq!(confirmed + refused + limited, targets.len());
    assert!(confirmed > 0, "some actions got through");
    let log = rig.audit_log("audit.jsonl").read_all().expect("audit");
    assert_eq!(log.records.len(), targets.len(), "every action audited");
    roster.shutdown().await;
}
