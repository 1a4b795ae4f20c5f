//! The live roster against the emulator: equal to the truth at start, under churn, across queue
//! changes; records shared and numbered changes.

use std::sync::Arc;
use std::time::Duration;

use bridgekeeper_tests::{Rig, converge, notify_config, roster_board, truth_board};
use genesys_emulator::{EmulatorConfig, SUPERVISOR_EMAIL, ScenarioName, agent_email};
use genesys_model::{ConversationId, Purpose, QueueId};
use serde_json::json;
use supervisor_core::roster::{ChangeKind, LegStatus, Roster};

#[tokio::test]
async fn the_roster_equals_the_demo_truth_and_sorts_legs() {
    let rig = Rig::start().await;
    let (roster, _) = rig.supervisor_roster().await;
    let took = converge(&rig, &roster, Duration::from_secs(2))
        .await
        .unwrap_or_else(|diff| panic!("roster differs from truth:\n{diff}"));
    eprintln!("converged {took:?} after trust");

    let snapshot = roster.snapshot();
    assert!(snapshot.status.trusted);
    assert!(
        snapshot.conversations.len() >= 10,
        "demo calls on the board"
    );
    // Conferences: more than two live non-ACD parties.
    let conferences = snapshot
        .conversations
        .iter()
        .filter(|c| c.is_conference)
        .count();
    assert!(
        conferences >= 3,
        "demo has three conferences, saw {conferences}"
    );
    // The stale duplicate (agent12 twice, the older leg terminated) is kept apart.
    let agent12 = rig.user(&agent_email(12));
    let dup = snapshot
        .conversations
        .iter()
        .find(|c| !c.stale_duplicates.is_empty())
        .expect("the demo's stale duplicate");
    let stale = &dup.stale_duplicates[0];
    assert_eq!(
        stale.user_id.as_ref().map(|u| u.as_str()),
        Some(agent12.as_str())
    );
    assert_eq!(
        dup.live_legs_of(stale.user_id.as_ref().expect("user"))
            .len(),
        1
    );
    assert!(matches!(
        dup.leg(&stale.participant_id),
        Some((LegStatus::StaleDuplicate, _))
    ));
    // Ended ACD legs are visible but not live; the waiting call's ACD leg is live.
    assert!(
        snapshot
            .conversations
            .iter()
            .any(|c| c.ended_legs.iter().any(|p| p.purpose == Some(Purpose::Acd)))
    );
    assert!(
        snapshot
            .conversations
            .iter()
            .any(|c| c.parties.iter().any(|p| p.purpose == Some(Purpose::Acd)))
    );
    // Muted and held flags from the scenario are on the board.
    assert!(
        snapshot
            .conversations
            .iter()
            .any(|c| c.parties.iter().any(|p| p.is_muted()))
    );
    assert!(
        snapshot
            .conversations
            .iter()
            .any(|c| c.parties.iter().any(|p| p.is_held()))
    );
    roster.shutdown().await;
}

#[tokio::test]
async fn the_roster_follows_churn_and_changes_are_numbered() {
    let rig = Rig::start().await;
    let (roster, _) = rig.supervisor_roster().await;
    let (start, mut changes) = roster.subscribe();
    rig.churn(1_200.0).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    rig.churn(0.0).await;
    converge(&rig, &roster, Duration::from_secs(2))
        .await
        .unwrap_or_else(|diff| panic!("roster differs from truth after churn:\n{diff}"));

    // Every change after the snapshot arrives once, in order, without gaps.
    let mut expected = start.seq + 1;
    let mut upserts = 0;
    let mut removals = 0;
    while let Ok(change) = changes.try_recv() {
        assert_eq!(change.seq, expected, "changes are numbered without gaps");
        expected += 1;
        match change.kind {
            ChangeKind::Upserted { .. } => upserts += 1,
            ChangeKind::Removed { .. } => removals += 1,
            _ => {}
        }
    }
    assert!(upserts > 5, "churn produced upserts ({upserts})");
    assert!(removals > 0, "churn ended some calls");
    assert_eq!(roster.snapshot().seq, expected - 1);
    roster.shutdown().await;
}

#[tokio::test]
async fn unchanged_conversations_keep_their_identity() {
    let rig = Rig::start().await;
    let (roster, _) = rig.supervisor_roster().await;
    let before = roster.snapshot();
    // Change one conversation: a party joins a two-party call.
    let (conversation, _) = bridgekeeper_tests::find_call(&rig, 2, true).await;
    let mut changes = roster.changes();
    let resp = rig
        .http
        .post(format!(
            "{}/_emulator/conversations/{conversation}/participants",
            rig.base
        ))
        .json(&json!({"purpose": "external", "name": "Late Consultant"}))
        .send()
        .await
        .expect("join");
    assert!(resp.status().is_success());
    let id = ConversationId::new(&conversation);
    tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            if let Ok(change) = changes.recv().await {
                if matches!(&change.kind, ChangeKind::Upserted { conversation } if conversation.id == id)
                {
                    break;
                }
            }
        }
    })
    .await
    .expect("the join reaches the roster");
    let after = roster.snapshot();
    let mut same = 0;
    for record in &after.conversations {
        let old = before
            .conversations
            .iter()
            .find(|c| c.id == record.id)
            .expect("no call appeared");
        if record.id == id {
            assert!(
                !Arc::ptr_eq(old, record),
                "the changed call is a new record"
            );
            assert!(record.is_conference);
        } else {
            assert!(
                Arc::ptr_eq(old, record),
                "{} kept its allocation",
                record.id
            );
            same += 1;
        }
    }
    assert!(same > 5);
    roster.shutdown().await;
}

#[tokio::test]
async fn queue_changes_remove_and_add_conversations() {
    let rig = Rig::start().await;
    let token = rig.token(SUPERVISOR_EMAIL).await;
    let support = rig.queue("Support");
    let billing = rig.queue("Billing");
    let roster = rig.roster(rig.client(&token), vec![support.clone()]);
    assert!(roster.wait_until_trusted(Duration::from_secs(10)).await);
    converge(&rig, &roster, Duration::from_secs(2))
        .await
        .unwrap_or_else(|d| panic!("support only:\n{d}"));
    let support_only = roster.snapshot().conversations.len();
    assert!(support_only > 0);

    roster
        .set_queues([support.clone(), billing.clone()])
        .await
        .expect("add billing");
    assert_eq!(roster.queues(), {
        let mut q = vec![support.clone(), billing.clone()];
        q.sort();
        q
    });
    converge(&rig, &roster, Duration::from_secs(3))
        .await
        .unwrap_or_else(|d| panic!("support and billing:\n{d}"));
    assert!(roster.snapshot().conversations.len() > support_only);

    roster
        .set_queues([billing.clone()])
        .await
        .expect("only billing");
    let on_support_only = roster
        .snapshot()
        .conversations
        .iter()
        .filter(|c| !c.on_any_queue([&billing]))
        .count();
    assert_eq!(on_support_only, 0, "support calls left the board at once");
    converge(&rig, &roster, Duration::from_secs(2))
        .await
        .unwrap_or_else(|d| panic!("billing only:\n{d}"));
    roster.shutdown().await;
}

#[tokio::test]
async fn a_call_left_without_an_agent_is_found_by_the_snapshot() {
    let rig = Rig::start_with(EmulatorConfig {
        scenario: ScenarioName::Empty,
        ..bridgekeeper_tests::emulator_config()
    })
    .await;
    let support = rig.queue("Support");
    let agent = rig.user(&agent_email(1));
    let call: serde_json::Value = rig
        .http
        .post(format!("{}/_emulator/conversations", rig.base))
        .json(&json!({
            "queueId": support.as_str(),
            "parties": [
                {"purpose": "customer", "name": "Carla Customer"},
                {"purpose": "agent", "userId": agent},
                {"purpose": "external", "name": "Outside Counsel"},
            ]
        }))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let agent_leg = call["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .find(|p| p["purpose"] == "agent")
        .and_then(|p| p["id"].as_str())
        .expect("agent leg")
        .to_owned();
    let id = call["id"].as_str().expect("id").to_owned();
    let resp = rig
        .http
        .post(format!(
            "{}/_emulator/conversations/{id}/participants/{agent_leg}/leave",
            rig.base
        ))
        .json(&json!({}))
        .send()
        .await
        .expect("leave");
    assert!(resp.status().is_success());

    // Queue observations no longer list it (no agent, no waiting ACD leg); the roster finds it anyway.
    let (roster, _) = rig.supervisor_roster().await;
    let record = roster
        .conversation(&ConversationId::new(&id))
        .expect("the agentless call is on the board");
    assert_eq!(record.live_people_count(), 2);
    converge(&rig, &roster, Duration::from_secs(2))
        .await
        .unwrap_or_else(|d| panic!("{d}"));
    roster.shutdown().await;
}

#[tokio::test]
async fn an_unknown_queue_id_does_not_disturb_the_board() {
    let rig = Rig::start().await;
    let token = rig.token(SUPERVISOR_EMAIL).await;
    let support = rig.queue("Support");
    let roster = Roster::connect(
        rig.client(&token),
        vec![support.clone(), QueueId::new("no-such-queue")],
        notify_config(),
        bridgekeeper_tests::roster_config(),
    );
    assert!(roster.wait_until_trusted(Duration::from_secs(10)).await);
    converge(&rig, &roster, Duration::from_secs(2))
        .await
        .unwrap_or_else(|d| panic!("{d}"));
    let board = roster_board(&roster);
    let truth = truth_board(&rig.truth().await, &[support]);
    assert_eq!(board.len(), truth.len());
    roster.shutdown().await;
}
