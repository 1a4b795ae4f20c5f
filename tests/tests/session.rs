//! Token expiry and revocation mid-session: `SessionExpired`, and nothing is executed later.

use genesys_emulator::FaultSpec;
use genesys_emulator::test_support::{ClientRequest, deliver, follow_authorize};
use std::sync::Arc;
use std::time::Duration;

use bridgekeeper_tests::{Rig, actions_config, find_call, truth_leg};
use genesys_emulator::SUPERVISOR_EMAIL;
use genesys_model::{ConversationId, ParticipantId};
use supervisor_core::actions::{ActionError, Actions};
use supervisor_core::auth::{
    DEFAULT_REDIRECT_PATH, LoopbackConfig, Session, SessionOptions, SessionStatus, SignIn,
    SignInConfig,
};
use supervisor_core::error::ErrorCode;
use supervisor_core::token_store::MemoryStore;

const CLIENT_ID: &str = "e2e-desktop";

/// A real PKCE sign-in through the loopback listener, as the desktop app does it.
async fn sign_in(rig: &Rig) -> Session {
    let config = SignInConfig {
        environment: rig.environment(),
        client_id: CLIENT_ID.into(),
        client_secret: None,
        loopback: LoopbackConfig {
            port: 0,
            path: DEFAULT_REDIRECT_PATH.into(),
            timeout: Duration::from_secs(10),
        },
        login_hint: Some(SUPERVISOR_EMAIL.into()),
        session: SessionOptions::default(),
    };
    let sign_in = SignIn::start(config, Arc::new(MemoryStore::new()))
        .await
        .expect("sign-in starts");
    rig.control
        .register_client(&ClientRequest::loopback(
            CLIENT_ID,
            sign_in.redirect_uri(),
            None,
        ))
        .await;
    let location = follow_authorize(&rig.http, sign_in.authorize_url()).await;
    let browser = rig.http.clone();
    let deliver = tokio::spawn(async move { deliver(&browser, &location).await });
    let session = sign_in.finish().await.expect("signed in");
    let _ = deliver.await;
    session
}

#[tokio::test]
async fn an_expired_session_fails_every_action_and_sends_nothing_later() {
    let rig = Rig::start().await;
    let session = sign_in(&rig).await;
    let client = rig.client_with(session.clone());
    let roster = rig.roster(client.clone(), rig.all_queues());
    assert!(roster.wait_until_trusted(Duration::from_secs(10)).await);
    let actions = Actions::new(
        client,
        roster.clone(),
        rig.audit_log("audit.jsonl"),
        actions_config(),
    )
    .await
    .expect("actions");
    actions.attach_session(session.clone());
    let (conversation, parties) = find_call(&rig, 3, true).await;
    let target = parties.last().map(|(id, _)| id.clone()).expect("party");
    let (c, p) = (
        ConversationId::new(&conversation),
        ParticipantId::new(&target),
    );
    let plan = actions
        .plan_drop(&c, &p)
        .await
        .expect("plan while signed in");

    rig.fault(&FaultSpec::ExpireTokens { user_id: None }).await;
    let since = rig.request_seq();
    let err = actions.execute_drop(&plan).await.expect_err("expired");
    assert_eq!(err.code(), ErrorCode::SessionExpired, "{err}");
    assert_eq!(session.status(), SessionStatus::Expired);
    assert!(actions.session_expired());
    // The one PATCH that was tried was refused as unauthenticated; nothing changed.
    let patches = rig.participant_patches(since);
    assert!(
        patches.iter().all(|(_, status, _)| *status == 401),
        "{patches:?}"
    );
    assert_eq!(
        truth_leg(&rig, &conversation, &target)["state"],
        "connected"
    );

    // Every later action fails at once, without a request.
    let after = rig.request_seq();
    for result in [
        actions.set_muted(&c, &p, true).await,
        actions.set_held(&c, &p, true).await,
        actions.execute_drop(&plan).await,
    ] {
        assert!(
            matches!(result, Err(ActionError::SessionExpired)),
            "{result:?}"
        );
    }
    assert!(matches!(
        actions.plan_drop(&c, &p).await,
        Err(ActionError::SessionExpired)
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let later: Vec<_> = rig
        .requests(after)
        .into_iter()
        .filter(|(m, _, _)| m == "PATCH")
        .collect();
    assert!(later.is_empty(), "nothing executed later: {later:?}");
    let log = rig.audit_log("audit.jsonl").read_all().expect("audit");
    assert_eq!(log.records.len(), 4, "each attempt is audited");
    assert!(
        log.records
            .iter()
            .all(|r| r.outcome == supervisor_core::audit::AuditOutcome::Failed)
    );
    roster.shutdown().await;
}

#[tokio::test]
async fn a_revoked_token_is_session_expired_and_the_roster_says_so() {
    let rig = Rig::start().await;
    let (roster, client) = rig.supervisor_roster().await;
    let actions = rig.actions(&client, &roster, "audit.jsonl").await;
    let (conversation, parties) = find_call(&rig, 2, false).await;
    let (c, p) = (
        ConversationId::new(&conversation),
        ParticipantId::new(&parties[0].0),
    );
    rig.fault(&FaultSpec::RevokeTokens { user_id: None }).await;
    let err = actions.set_muted(&c, &p, true).await.expect_err("revoked");
    assert_eq!(err.code(), ErrorCode::SessionExpired);
    let since = rig.request_seq();
    assert!(matches!(
        actions.set_muted(&c, &p, false).await,
        Err(ActionError::SessionExpired)
    ));
    assert!(rig.requests(since).is_empty(), "no request after the latch");
    // The platform announces the revocation on the channel (v2.system.token_revoked), so the
    // board asks to sign in again by itself: no refresh, no action needed.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while !roster.status().connection.is_session_expired() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "status: {:?}",
            roster.status()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!roster.status().trusted);
    roster.shutdown().await;
}

#[tokio::test]
async fn the_roster_and_the_actions_follow_the_one_session_lifecycle() {
    let rig = Rig::start().await;
    let session = sign_in(&rig).await;
    let client = rig.client_with(session.clone());
    let roster = rig.roster(client.clone(), rig.all_queues());
    assert!(roster.wait_until_trusted(Duration::from_secs(10)).await);
    roster.follow_session(&session);
    let actions = Actions::new(
        client,
        roster.clone(),
        rig.audit_log("audit.jsonl"),
        actions_config(),
    )
    .await
    .expect("actions");
    actions.attach_session(session.clone());
    assert!(!actions.session_expired());
    // The platform revokes the tokens and says so on the channel; nobody makes a request. The
    // roster hears it first and ends the session, which every follower then sees.
    let mut lifecycle = session.subscribe();
    rig.fault(&FaultSpec::RevokeTokens { user_id: None }).await;
    tokio::time::timeout(
        Duration::from_secs(3),
        lifecycle.wait_for(|s| *s == SessionStatus::Expired),
    )
    .await
    .expect("the session ends within 3 s, without any action")
    .expect("the session is alive");
    assert!(actions.session_expired());
    assert!(roster.status().connection.is_session_expired());
    roster.shutdown().await;
}
