//! When the cheap way to read the board is closed, the board still completes, and says what is
//! missing: no permission for the details query, a details query that refuses deep pages, a
//! person whose topic the platform refuses, and a bridge without a queue seen only through a
//! watched person.

use std::time::Duration;

use bridgekeeper_tests::{Rig, converge, notify_config, roster_config};
use genesys_emulator::{
    AnalyticsRequest, NewCallRequest, PERM_QUEUE_OBSERVATION, PERM_QUEUE_VIEW, PERM_VIEW,
    PartyRequest, SUPERVISOR_EMAIL, UserRequest,
};
use genesys_model::UserId;
use supervisor_core::roster::{DETAILS_PERMISSION, Roster, RosterStatus, Watch, WatchRequest};

fn watch(rig: &Rig, users: Vec<UserId>) -> WatchRequest {
    WatchRequest {
        watch: Watch {
            queues: rig.all_queues().into_iter().collect(),
            users: users.into_iter().collect(),
        },
        queue_people: false,
    }
}

fn detail_requests(rig: &Rig, since: u64) -> usize {
    rig.requests(since)
        .into_iter()
        .filter(|(_, p, _)| p.ends_with("/details/query"))
        .count()
}

#[tokio::test]
async fn without_the_details_permission_the_board_completes_call_by_call_and_says_why() {
    let rig = Rig::start().await;
    let queues: Vec<String> = rig
        .all_queues()
        .iter()
        .map(|q| q.as_str().to_owned())
        .collect();
    rig.emu
        .world()
        .upsert_user(UserRequest {
            email: "lead@demo.example".into(),
            name: Some("Lee Lead".into()),
            permissions: Some(vec![
                PERM_VIEW.into(),
                PERM_QUEUE_OBSERVATION.into(),
                PERM_QUEUE_VIEW.into(),
            ]),
            queue_ids: Some(queues),
        })
        .expect("user");
    let token = rig.token("lead@demo.example").await;
    let since = rig.request_seq();
    let roster = Roster::connect_watching(
        rig.client(&token),
        watch(&rig, Vec::new()),
        notify_config(),
        roster_config(),
    );
    assert!(
        roster.wait_until_trusted(Duration::from_secs(10)).await,
        "{:?}",
        roster.status()
    );
    let status: RosterStatus = roster.status();
    assert_eq!(
        status.completeness.missing_permissions,
        vec![DETAILS_PERMISSION.to_owned()],
        "the board names the permission that would make it cheaper"
    );
    assert_eq!(
        detail_requests(&rig, since),
        1,
        "one refused details query, never retried in the session"
    );
    // Observations find the calls with an agent or a waiting customer; each is read in full.
    converge(&rig, &roster, Duration::from_secs(5))
        .await
        .unwrap_or_else(|diff| panic!("board differs from truth:\n{diff}"));
    roster.shutdown().await;
}

#[tokio::test]
async fn a_details_query_that_refuses_deep_pages_leaves_a_notice_and_a_complete_board() {
    let rig = Rig::start().await;
    // Deeper than one result is refused: page 1 (size 100) already reaches past it.
    rig.emu
        .world()
        .set_analytics(AnalyticsRequest {
            lag_ms: None,
            max_results: Some(1),
        })
        .expect("analytics settings");
    let token = rig.token(SUPERVISOR_EMAIL).await;
    let roster = Roster::connect_watching(
        rig.client(&token),
        watch(&rig, Vec::new()),
        notify_config(),
        roster_config(),
    );
    assert!(
        roster.wait_until_trusted(Duration::from_secs(10)).await,
        "{:?}",
        roster.status()
    );
    let notices = roster.status().completeness.notices;
    assert!(
        notices
            .iter()
            .any(|n| n.contains("analytics query was refused")),
        "{notices:?}"
    );
    converge(&rig, &roster, Duration::from_secs(5))
        .await
        .unwrap_or_else(|diff| panic!("board differs from truth:\n{diff}"));
    roster.shutdown().await;
}

#[tokio::test]
async fn a_bridge_without_a_queue_shows_through_the_watched_person_only() {
    let rig = Rig::start().await;
    let supervisor = rig.user(SUPERVISOR_EMAIL);
    let bridge = rig
        .emu
        .world()
        .create_call(NewCallRequest {
            queue_id: None,
            parties: vec![
                PartyRequest {
                    purpose: "user".into(),
                    user_id: Some(supervisor.clone()),
                    ..PartyRequest::default()
                },
                PartyRequest {
                    purpose: "external".into(),
                    name: Some("Bridge Guest".into()),
                    ..PartyRequest::default()
                },
                PartyRequest {
                    purpose: "external".into(),
                    name: Some("Second Guest".into()),
                    ..PartyRequest::default()
                },
            ],
        })
        .expect("bridge");
    let bridge_id = bridge["id"].as_str().expect("id").to_owned();
    let token = rig.token(SUPERVISOR_EMAIL).await;
    // Queues only: the bridge is not on the board.
    let roster = Roster::connect_watching(
        rig.client(&token),
        watch(&rig, Vec::new()),
        notify_config(),
        roster_config(),
    );
    assert!(roster.wait_until_trusted(Duration::from_secs(10)).await);
    let id = genesys_model::ConversationId::new(bridge_id.clone());
    assert!(roster.conversation(&id).is_none());
    // Watching the supervisor brings it, named by the person it came through.
    roster
        .set_watch(watch(&rig, vec![UserId::new(supervisor.clone())]))
        .await
        .expect("watch the supervisor");
    assert!(
        bridgekeeper_tests::wait_record(&roster, &bridge_id, Duration::from_secs(5), |r| r
            .is_some_and(|r| r.watched_users == vec![UserId::new(supervisor.clone())]
                && r.queues.is_empty()
                && r.parties.len() == 3))
        .await,
        "the bridge came onto the board: {:?}",
        roster.conversation(&id)
    );
    // Its changes arrive on the person's topic.
    let guest = roster
        .conversation(&id)
        .and_then(|r| {
            r.parties
                .iter()
                .find(|p| p.name == "Bridge Guest")
                .map(|p| p.participant_id.clone())
        })
        .expect("guest leg");
    rig.emu
        .world()
        .leave(&bridge_id, guest.as_str(), None)
        .expect("guest leaves");
    assert!(
        bridgekeeper_tests::wait_record(&roster, &bridge_id, Duration::from_secs(5), |r| r
            .is_some_and(|r| r.live_party(&guest).is_none()))
        .await
    );
    roster.shutdown().await;
}

#[tokio::test]
async fn a_refused_person_topic_is_reported_and_the_rest_of_the_board_stays() {
    let rig = Rig::start().await;
    // Someone without conversation:communication:view may watch their own calls only.
    let agent = "newcomer@demo.example".to_owned();
    rig.emu
        .world()
        .upsert_user(UserRequest {
            email: agent.clone(),
            name: Some("Nia Newcomer".into()),
            permissions: Some(Vec::new()),
            queue_ids: None,
        })
        .expect("user");
    let token = rig.token(&agent).await;
    let other = UserId::new(rig.user(SUPERVISOR_EMAIL));
    let roster = Roster::connect_watching(
        rig.client(&token),
        WatchRequest {
            watch: Watch {
                queues: Default::default(),
                users: [other.clone(), UserId::new(rig.user(&agent))]
                    .into_iter()
                    .collect(),
            },
            queue_people: false,
        },
        notify_config(),
        roster_config(),
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let status = roster.status();
        if status
            .rejected_queues
            .iter()
            .any(|r| r.user_id.as_ref() == Some(&other))
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the refusal was reported: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    roster.shutdown().await;
}
