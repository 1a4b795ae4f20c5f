//! Drop, mute and hold end to end: plan, one PATCH, confirmation from the roster, audit record.

use genesys_emulator::FaultSpec;
use std::time::Duration;

use bridgekeeper_tests::{Rig, actions_config, find_call, truth_leg, wait_record};
use genesys_emulator::OBSERVER_EMAIL;
use genesys_model::{ConversationId, ParticipantId};
use serde_json::json;
use supervisor_core::actions::{
    ActionError, ActionOutcome, Actions, ActionsConfig, ConfirmedVia, DropWarning, PlanOptions,
    PlanVerdict,
};
use supervisor_core::audit::AuditOutcome;
use supervisor_core::error::ErrorCode;

fn ids(conversation: &str, participant: &str) -> (ConversationId, ParticipantId) {
    (
        ConversationId::new(conversation),
        ParticipantId::new(participant),
    )
}

/// The connected party of a call with this purpose.
fn with_purpose<'a>(parties: &'a [(String, String)], purpose: &str) -> &'a str {
    parties
        .iter()
        .find(|(_, p)| p == purpose)
        .map(|(id, _)| id.as_str())
        .unwrap_or_else(|| panic!("no {purpose} on the call: {parties:?}"))
}

#[tokio::test]
async fn dropping_one_party_of_a_three_party_conference_is_confirmed_and_the_others_stay() {
    let rig = Rig::start().await;
    let (roster, client) = rig.supervisor_roster().await;
    let actions = rig.actions(&client, &roster, "audit.jsonl").await;
    let (conversation, parties) = find_call(&rig, 3, true).await;
    let target = parties
        .iter()
        .find(|(_, p)| p != "customer" && p != "agent")
        .or_else(|| parties.iter().rev().find(|(_, p)| p != "customer"))
        .map(|(id, _)| id.clone())
        .expect("a non-customer party");
    let (c, p) = ids(&conversation, &target);

    let plan = actions.plan_drop(&c, &p).await.expect("plan");
    assert_eq!(plan.verdict, PlanVerdict::Ready);
    assert_eq!(plan.target.participant_id, p);
    assert_eq!(plan.remaining.len(), 2, "{plan:?}");
    assert!(!plan.call_will_end);
    assert!(plan.summary.contains("Remaining"), "{}", plan.summary);

    let since = rig.request_seq();
    let report = actions.execute_drop(&plan).await.expect("drop");
    match &report.outcome {
        ActionOutcome::Confirmed {
            call_ended,
            others_left,
            latency,
            ..
        } => {
            assert!(!call_ended);
            assert!(others_left.is_empty(), "{others_left:?}");
            assert!(*latency < Duration::from_secs(2));
        }
        other => panic!("expected Confirmed, got {other:?}"),
    }
    // The platform agrees: the leg ended, the others are still connected.
    assert_eq!(
        truth_leg(&rig, &conversation, &target)["state"],
        "disconnected"
    );
    for (other, _) in parties.iter().filter(|(id, _)| id != &target) {
        assert_eq!(truth_leg(&rig, &conversation, other)["state"], "connected");
    }
    // Exactly one PATCH, with the disconnect body, to that leg.
    let patches = rig.participant_patches(since);
    assert_eq!(patches.len(), 1, "{patches:?}");
    assert!(
        patches[0]
            .0
            .ends_with(&format!("/calls/{conversation}/participants/{target}"))
    );
    assert_eq!(patches[0].1, 202);
    assert_eq!(patches[0].2, Some(json!({"state": "disconnected"})));
    // Audited, with the correlation id.
    let log = rig.audit_log("audit.jsonl").read_all().expect("audit");
    assert_eq!(log.records.len(), 1);
    let record = &log.records[0];
    assert_eq!(record.id, report.audit_id);
    assert_eq!(record.outcome, AuditOutcome::Confirmed);
    assert_eq!(record.participant_id, target);
    assert!(record.correlation_id.is_some());
    assert_eq!(record.correlation_id, report.correlation_id);
    assert_eq!(record.request.body, json!({"state": "disconnected"}));
    let timings = &report.timings;
    assert!(timings.to_wire.is_some() && timings.confirm_to_outcome.is_some());
    roster.shutdown().await;
}

#[tokio::test]
async fn a_two_party_call_plan_warns_that_the_call_will_end() {
    let rig = Rig::start().await;
    let (roster, client) = rig.supervisor_roster().await;
    let actions = rig.actions(&client, &roster, "audit.jsonl").await;
    let (conversation, parties) = find_call(&rig, 2, true).await;
    let agent = with_purpose(&parties, "agent");
    let (c, p) = ids(&conversation, agent);
    let plan = actions.plan_drop(&c, &p).await.expect("plan");
    assert!(plan.call_will_end);
    assert!(
        plan.warnings.contains(&DropWarning::CallWillEnd),
        "{plan:?}"
    );
    assert!(plan.warnings.contains(&DropWarning::LastAgent), "{plan:?}");
    assert!(plan.summary.contains("call will end"), "{}", plan.summary);
    let report = actions.execute_drop(&plan).await.expect("drop");
    assert!(
        matches!(report.outcome, ActionOutcome::Confirmed { call_ended: true, ref others_left, .. } if others_left.is_empty()),
        "{:?}",
        report.outcome
    );
    let truth = rig.emu.world().conversation(&conversation).expect("truth");
    assert!(
        truth.get("endTime").is_some(),
        "the call ended on the platform"
    );
    assert!(
        wait_record(&roster, &conversation, Duration::from_secs(1), |r| r
            .is_none())
        .await,
        "the ended call left the board"
    );
    roster.shutdown().await;
}

#[tokio::test]
async fn a_stale_duplicate_resolves_to_the_live_leg_and_ended_legs_send_nothing() {
    let rig = Rig::start().await;
    let (roster, client) = rig.supervisor_roster().await;
    let actions = rig.actions(&client, &roster, "audit.jsonl").await;
    let snapshot = roster.snapshot();
    let record = snapshot
        .conversations
        .iter()
        .find(|c| !c.stale_duplicates.is_empty())
        .expect("the demo's stale duplicate")
        .clone();
    let stale = record.stale_duplicates[0].clone();
    let live = record
        .live_legs_of(stale.user_id.as_ref().expect("user"))
        .first()
        .map(|p| p.participant_id.clone())
        .expect("live leg");

    let plan = actions
        .plan_drop(&record.id, &stale.participant_id)
        .await
        .expect("plan");
    assert_eq!(plan.requested_participant_id, stale.participant_id);
    assert_eq!(plan.target.participant_id, live, "resolved to the live leg");
    let note = plan.resolution.as_deref().expect("the plan says so");
    assert!(note.contains("stale duplicate"), "{note}");
    let since = rig.request_seq();
    let report = actions.execute_drop(&plan).await.expect("drop");
    assert!(report.outcome.is_confirmed(), "{:?}", report.outcome);
    assert_eq!(report.participant.participant_id, live);
    assert_eq!(report.resolution.as_deref(), Some(note));
    let patches = rig.participant_patches(since);
    assert_eq!(patches.len(), 1);
    assert!(
        patches[0].0.ends_with(live.as_str()),
        "the live leg was patched"
    );

    // An ended leg (an ACD leg after the agent answered): already gone, nothing sent.
    let (conversation, acd) = snapshot
        .conversations
        .iter()
        .filter(|c| c.id != record.id)
        .find_map(|c| {
            c.ended_legs
                .iter()
                .find(|p| p.is_acd())
                .map(|p| (c.id.clone(), p.participant_id.clone()))
        })
        .expect("an ended ACD leg");
    let plan = actions.plan_drop(&conversation, &acd).await.expect("plan");
    assert_eq!(plan.verdict, PlanVerdict::AlreadyGone);
    let since = rig.request_seq();
    let report = actions.execute_drop(&plan).await.expect("no error");
    assert!(
        matches!(
            report.outcome,
            ActionOutcome::AlreadyGone {
                request_sent: false,
                ..
            }
        ),
        "{:?}",
        report.outcome
    );
    assert!(
        rig.participant_patches(since).is_empty(),
        "nothing was sent"
    );
    // Mute of an ended leg: the same.
    let report = actions
        .set_muted(&conversation, &acd, true)
        .await
        .expect("no error");
    assert!(matches!(report.outcome, ActionOutcome::AlreadyGone { .. }));
    assert!(rig.participant_patches(since).is_empty());
    let log = rig.audit_log("audit.jsonl").read_all().expect("audit");
    let outcomes: Vec<AuditOutcome> = log.records.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        vec![
            AuditOutcome::Confirmed,
            AuditOutcome::AlreadyGone,
            AuditOutcome::AlreadyGone
        ]
    );
    roster.shutdown().await;
}

#[tokio::test]
async fn a_leg_that_leaves_between_plan_and_execute_is_already_gone() {
    let rig = Rig::start().await;
    let (roster, client) = rig.supervisor_roster().await;
    let actions = rig.actions(&client, &roster, "audit.jsonl").await;
    let (conversation, parties) = find_call(&rig, 3, true).await;
    let external = parties
        .iter()
        .find(|(_, p)| p == "external")
        .or_else(|| parties.last())
        .map(|(id, _)| id.clone())
        .expect("party");
    let (c, p) = ids(&conversation, &external);
    let plan = actions.plan_drop(&c, &p).await.expect("plan");
    let resp = rig
        .http
        .post(format!(
            "{}/_emulator/conversations/{conversation}/participants/{external}/leave",
            rig.base
        ))
        .json(&json!({}))
        .send()
        .await
        .expect("leave");
    assert!(resp.status().is_success());
    assert!(
        wait_record(&roster, &conversation, Duration::from_secs(2), |r| r
            .is_some_and(|r| r.live_party(&p).is_none()))
        .await
    );
    let since = rig.request_seq();
    let report = actions.execute_drop(&plan).await.expect("no error");
    assert!(
        matches!(
            report.outcome,
            ActionOutcome::AlreadyGone {
                request_sent: false,
                ..
            }
        ),
        "{:?}",
        report.outcome
    );
    assert!(rig.participant_patches(since).is_empty());
    roster.shutdown().await;
}

#[tokio::test]
async fn a_changed_call_or_an_old_plan_must_be_reviewed_again() {
    let rig = Rig::start().await;
    let (roster, client) = rig.supervisor_roster().await;
    let actions = rig.actions(&client, &roster, "audit.jsonl").await;
    let (conversation, parties) = find_call(&rig, 3, true).await;
    let agent = with_purpose(&parties, "agent").to_owned();
    let other = parties
        .iter()
        .find(|(id, p)| id != &agent && p != "customer")
        .map(|(id, _)| id.clone())
        .expect("a third party");
    let (c, target) = ids(&conversation, &other);
    let plan = actions.plan_drop(&c, &target).await.expect("plan");
    assert!(!plan.call_will_end);
    // The agent leaves: dropping the third party would now end the call.
    rig.http
        .post(format!(
            "{}/_emulator/conversations/{conversation}/participants/{agent}/leave",
            rig.base
        ))
        .json(&json!({}))
        .send()
        .await
        .expect("leave");
    assert!(
        wait_record(&roster, &conversation, Duration::from_secs(2), |r| r
            .is_some_and(|r| r.live_people_count() == 2))
        .await
    );
    let since = rig.request_seq();
    match actions.execute_drop(&plan).await {
        Err(ActionError::PlanExpired {
            fresh: Some(fresh), ..
        }) => {
            assert!(fresh.call_will_end);
            assert!(fresh.warnings.contains(&DropWarning::CallWillEnd));
        }
        other => panic!("expected PlanExpired, got {other:?}"),
    }
    assert!(rig.participant_patches(since).is_empty());

    // A plan older than its time to live is refused too.
    let strict = Actions::new(
        client.clone(),
        roster.clone(),
        rig.audit_log("strict.jsonl"),
        ActionsConfig {
            plan_ttl: Duration::from_millis(50),
            ..actions_config()
        },
    )
    .await
    .expect("actions");
    let plan = strict.plan_drop(&c, &target).await.expect("plan");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let err = strict.execute_drop(&plan).await.expect_err("too old");
    assert_eq!(err.code(), ErrorCode::PlanExpired);
    assert!(rig.participant_patches(since).is_empty());
    let log = rig.audit_log("strict.jsonl").read_all().expect("audit");
    assert_eq!(log.records[0].outcome, AuditOutcome::Failed);
    roster.shutdown().await;
}

#[tokio::test]
async fn a_phantom_drop_is_not_confirmed_and_says_what_the_platform_shows() {
    let rig = Rig::start().await;
    let (roster, client) = rig.supervisor_roster().await;
    let actions = rig.actions(&client, &roster, "audit.jsonl").await;
    let (conversation, parties) = find_call(&rig, 3, true).await;
    let target = parties.last().map(|(id, _)| id.clone()).expect("party");
    rig.fault(&FaultSpec::PhantomDrop {
        participant_id: target.to_string(),
    })
    .await;
    let (c, p) = ids(&conversation, &target);
    let plan = actions.plan_drop(&c, &p).await.expect("plan");
    let since = rig.request_seq();
    let report = actions.execute_drop(&plan).await.expect("outcome");
    match &report.outcome {
        ActionOutcome::NotConfirmed {
            still_shows,
            explanation,
            communication_id,
            waited,
        } => {
            let view = still_shows.as_ref().expect("what the platform shows");
            assert!(view.live);
            assert_eq!(view.state.as_deref(), Some("connected"));
            assert!(explanation.contains("still shows"), "{explanation}");
            assert!(
                communication_id.is_some(),
                "offers the per-communication disconnect"
            );
            assert!(*waited >= actions_config().confirm_timeout);
        }
        other => panic!("expected NotConfirmed, got {other:?}"),
    }
    assert_eq!(
        truth_leg(&rig, &conversation, &target)["state"],
        "connected"
    );
    assert_eq!(rig.participant_patches(since).len(), 1, "one request only");
    assert_eq!(
        rig.conversation_reads(since, &conversation),
        1,
        "exactly one confirming re-read"
    );
    let log = rig.audit_log("audit.jsonl").read_all().expect("audit");
    assert_eq!(log.records[0].outcome, AuditOutcome::NotConfirmed);
    roster.shutdown().await;
}

#[tokio::test]
async fn a_late_event_is_confirmed_by_one_re_read() {
    let rig = Rig::start().await;
    let (roster, client) = rig.supervisor_roster().await;
    let actions = rig.actions(&client, &roster, "audit.jsonl").await;
    let (conversation, parties) = find_call(&rig, 3, true).await;
    let target = parties.last().map(|(id, _)| id.clone()).expect("party");
    // The drop's state change publishes no event.
    rig.fault(&FaultSpec::DropEvents {
        count: Some(1),
        rate: None,
    })
    .await;
    let (c, p) = ids(&conversation, &target);
    let plan = actions.plan_drop(&c, &p).await.expect("plan");
    let since = rig.request_seq();
    let report = actions.execute_drop(&plan).await.expect("drop");
    assert!(
        matches!(
            report.outcome,
            ActionOutcome::Confirmed {
                via: ConfirmedVia::Reread,
                call_ended: false,
                ..
            }
        ),
        "{:?}",
        report.outcome
    );
    assert_eq!(rig.conversation_reads(since, &conversation), 1);
    // The re-read also fixed the board.
    assert!(
        roster
            .conversation(&c)
            .is_some_and(|r| r.live_party(&p).is_none())
    );
    roster.shutdown().await;
}

#[tokio::test]
async fn mute_and_hold_are_verified_both_ways() {
    let rig = Rig::start().await;
    let (roster, client) = rig.supervisor_roster().await;
    let actions = rig.actions(&client, &roster, "audit.jsonl").await;
    let (conversation, parties) = find_call(&rig, 2, false).await;
    let customer = with_purpose(&parties, "customer").to_owned();
    let (c, p) = ids(&conversation, &customer);
    for (muted, field) in [(true, "muted"), (false, "muted")] {
        let report = actions.set_muted(&c, &p, muted).await.expect("mute");
        assert!(report.outcome.is_confirmed(), "{:?}", report.outcome);
        assert_eq!(truth_leg(&rig, &conversation, &customer)[field], muted);
        assert_eq!(
            roster
                .conversation(&c)
                .and_then(|r| r.live_party(&p).and_then(|x| x.muted)),
            Some(muted)
        );
    }
    for held in [true, false] {
        let report = actions.set_held(&c, &p, held).await.expect("hold");
        assert!(report.outcome.is_confirmed(), "{:?}", report.outcome);
        assert_eq!(truth_leg(&rig, &conversation, &customer)["held"], held);
    }
    let log = rig.audit_log("audit.jsonl").read_all().expect("audit");
    let actions_done: Vec<&str> = log.records.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions_done, ["mute", "unmute", "hold", "unhold"]);
    assert!(
        log.records
            .iter()
            .all(|r| r.outcome == AuditOutcome::Confirmed && r.correlation_id.is_some())
    );
    roster.shutdown().await;
}

#[tokio::test]
async fn without_the_permission_the_drop_is_refused_locally_and_by_the_platform() {
    let rig = Rig::start().await;
    let token = rig.token(OBSERVER_EMAIL).await;
    let client = rig.client(&token);
    let roster = rig.roster(client.clone(), rig.all_queues());
    assert!(roster.wait_until_trusted(Duration::from_secs(10)).await);
    let actions = rig.actions(&client, &roster, "audit.jsonl").await;
    assert!(!actions.actor().can_act_on_others);
    let (conversation, parties) = find_call(&rig, 3, true).await;
    let target = parties.last().map(|(id, _)| id.clone()).expect("party");
    let (c, p) = ids(&conversation, &target);
    let since = rig.request_seq();

    let err = actions
        .plan_drop(&c, &p)
        .await
        .expect_err("refused locally");
    assert_eq!(err.code(), ErrorCode::Forbidden);
    assert!(
        err.to_string()
            .contains("conversation:communication:disconnect"),
        "{err}"
    );
    let err = actions
        .set_muted(&c, &p, true)
        .await
        .expect_err("refused locally");
    assert_eq!(err.code(), ErrorCode::Forbidden);
    assert!(rig.participant_patches(since).is_empty(), "nothing sent");

    // Forced: the platform refuses, with its code and correlation id.
    let plan = actions
        .plan_drop_with(
            &c,
            &p,
            PlanOptions {
                skip_permission_check: true,
            },
        )
        .await
        .expect("plan");
    assert!(!plan.permitted);
    let report = actions.execute_drop(&plan).await.expect("outcome");
    match &report.outcome {
        ActionOutcome::Refused {
            status,
            code,
            correlation_id,
            explanation,
            ..
        } => {
            assert_eq!(*status, Some(403));
            assert_eq!(code.as_deref(), Some("missing.any.permissions"));
            assert!(correlation_id.is_some());
            assert_eq!(correlation_id, &report.correlation_id);
            assert!(explanation.contains("permission"), "{explanation}");
        }
        other => panic!("expected Refused, got {other:?}"),
    }
    assert_eq!(
        truth_leg(&rig, &conversation, &target)["state"],
        "connected"
    );
    let log = rig.audit_log("audit.jsonl").read_all().expect("audit");
    let outcomes: Vec<AuditOutcome> = log.records.iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes, vec![AuditOutcome::Failed, AuditOutcome::Refused]);
    assert_eq!(log.records[1].correlation_id, report.correlation_id);
    roster.shutdown().await;
}
