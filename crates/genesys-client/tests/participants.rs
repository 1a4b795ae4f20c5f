//! Participant and communication PATCH: the drop, mute and hold requests.

mod common;

use std::time::{Duration, Instant};

use common::*;
use genesys_client::ErrorKind;
use genesys_model::{CommunicationId, ConversationId, MediaParticipantRequest, ParticipantId};
use wiremock::Mock;
use wiremock::matchers::{body_json, header, method, path};

const CONV: &str = "4f1b2c3d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
const PART: &str = "e4f5a6b7-c8d9-4e0f-9a2b-3c4d5e6f7a8b";
const COMM: &str = "55555555-6666-4777-8888-999999999999";

fn ids() -> (ConversationId, ParticipantId) {
    (ConversationId::new(CONV), ParticipantId::new(PART))
}

fn patch_path() -> String {
    format!("/api/v2/conversations/calls/{CONV}/participants/{PART}")
}

#[tokio::test]
async fn drop_sends_state_disconnected_and_returns_the_correlation_id() {
    let (server, client, _) = setup().await;
    Mock::given(method("PATCH"))
        .and(path(patch_path()))
        .and(bearer())
        .and(header("content-type", "application/json"))
        .and(body_json(serde_json::json!({"state": "disconnected"})))
        .respond_with(genesys(202))
        .expect(1)
        .mount(&server)
        .await;
    let (c, p) = ids();
    let accepted = client
        .patch_participant(&c, &p, &MediaParticipantRequest::disconnect())
        .await
        .unwrap();
    assert_eq!(accepted.status, 202);
    assert_eq!(accepted.correlation_id.as_deref(), Some(CORRELATION));
    let raw = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        String::from_utf8_lossy(&raw.body),
        r#"{"state":"disconnected"}"#,
        "exactly one field on the wire"
    );
}

#[tokio::test]
async fn mute_and_hold_bodies() {
    let (server, client, _) = setup().await;
    Mock::given(method("PATCH"))
        .and(path(patch_path()))
        .and(body_json(serde_json::json!({"muted": true})))
        .respond_with(genesys(202))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(patch_path()))
        .and(body_json(serde_json::json!({"held": false})))
        .respond_with(genesys(202))
        .expect(1)
        .mount(&server)
        .await;
    let (c, p) = ids();
    client
        .patch_participant(&c, &p, &MediaParticipantRequest::mute(true))
        .await
        .unwrap();
    client
        .patch_participant(&c, &p, &MediaParticipantRequest::hold(false))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_empty_body_is_refused_before_sending() {
    let (server, client, _) = setup().await;
    Mock::given(method("PATCH"))
        .respond_with(genesys(202))
        .expect(0)
        .mount(&server)
        .await;
    let (c, p) = ids();
    let err = client
        .patch_participant(&c, &p, &MediaParticipantRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
}

#[tokio::test]
async fn already_disconnected_is_a_bad_request_with_vendor_body() {
    let (server, client, _) = setup().await;
    Mock::given(method("PATCH"))
        .and(path(patch_path()))
        .respond_with(genesys_json(400, "error_call_disconnected.json"))
        .expect(1)
        .mount(&server)
        .await;
    let (c, p) = ids();
    let err = client
        .patch_participant(&c, &p, &MediaParticipantRequest::disconnect())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.code(), Some("conversation.error.call.disconnected"));
    assert_eq!(
        err.vendor_message().as_deref(),
        Some("The call is already disconnected.")
    );
    assert_eq!(err.correlation_id(), Some(CORRELATION));
}

#[tokio::test]
async fn forbidden_drop() {
    let (server, client, _) = setup().await;
    Mock::given(method("PATCH"))
        .and(path(patch_path()))
        .respond_with(genesys_json(403, "error_missing_permissions.json"))
        .expect(1)
        .mount(&server)
        .await;
    let (c, p) = ids();
    let err = client
        .patch_participant(&c, &p, &MediaParticipantRequest::disconnect())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
}

#[tokio::test]
async fn unknown_participant_is_not_found() {
    let (server, client, _) = setup().await;
    Mock::given(method("PATCH"))
        .and(path(patch_path()))
        .respond_with(genesys(404).set_body_raw(
            r#"{"message":"User is not a participant in the conversation.","code":"conversation.error.not.conversation.participant","status":404}"#,
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let (c, p) = ids();
    let err = client
        .patch_participant(&c, &p, &MediaParticipantRequest::disconnect())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(
        err.code(),
        Some("conversation.error.not.conversation.participant")
    );
}

#[tokio::test]
async fn server_error_on_patch_is_never_retried() {
    let (server, client, _) = setup().await;
    Mock::given(method("PATCH"))
        .and(path(patch_path()))
        .respond_with(genesys_json(503, "error_server.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(genesys(202))
        .expect(0)
        .mount(&server)
        .await;
    let (c, p) = ids();
    let err = client
        .patch_participant(&c, &p, &MediaParticipantRequest::disconnect())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn rate_limited_patch_waits_for_retry_after_then_succeeds() {
    let (server, client, _) = setup().await;
    Mock::given(method("PATCH"))
        .and(path(patch_path()))
        .respond_with(
            genesys_json(429, "error_rate_limited.json").insert_header("Retry-After", "1"),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(patch_path()))
        .and(body_json(serde_json::json!({"state": "disconnected"})))
        .respond_with(genesys(202).insert_header("ININ-Correlation-Id", "second-attempt"))
        .expect(1)
        .mount(&server)
        .await;
    let (c, p) = ids();
    let start = Instant::now();
    let accepted = client
        .patch_participant(&c, &p, &MediaParticipantRequest::disconnect())
        .await
        .unwrap();
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_secs(1),
        "Retry-After honoured, waited {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(4), "waited {elapsed:?}");
    assert_eq!(
        accepted.correlation_id.as_deref(),
        Some("second-attempt"),
        "the audit log gets the accepted attempt's id"
    );
}

#[tokio::test]
async fn rate_limit_beyond_the_budget_is_reported_with_retry_after() {
    let (server, client, _) = setup().await;
    Mock::given(method("PATCH"))
        .and(path(patch_path()))
        .respond_with(
            genesys_json(429, "error_rate_limited.json").insert_header("Retry-After", "60"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (c, p) = ids();
    let err = client
        .patch_participant(&c, &p, &MediaParticipantRequest::disconnect())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(60)));
    assert_eq!(err.code(), Some("too.many.requests"));
    assert!(err.to_string().contains("retry after 60s"), "{err}");
}

#[tokio::test]
async fn communication_patch() {
    let (server, client, _) = setup().await;
    Mock::given(method("PATCH"))
        .and(path(format!(
            "/api/v2/conversations/calls/{CONV}/participants/{PART}/communications/{COMM}"
        )))
        .and(bearer())
        .and(body_json(serde_json::json!({"state": "disconnected"})))
        .respond_with(genesys(200).set_body_raw("{}", "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let (c, p) = ids();
    let accepted = client
        .patch_communication(
            &c,
            &p,
            &CommunicationId::new(COMM),
            &MediaParticipantRequest::disconnect(),
        )
        .await
        .unwrap();
    assert_eq!(accepted.status, 200);
    assert_eq!(accepted.correlation_id.as_deref(), Some(CORRELATION));
}

#[tokio::test]
async fn connection_failure_on_patch_is_not_retried() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = genesys_client::Client::builder(
        genesys_client::Environment::custom(&format!("http://127.0.0.1:{port}")).unwrap(),
    )
    .token_source(genesys_client::StaticToken::new(TOKEN))
    .retry_policy(fast_retry())
    .build()
    .unwrap();
    let (c, p) = ids();
    let err = client
        .patch_participant(&c, &p, &MediaParticipantRequest::disconnect())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unreachable);
    assert!(err.to_string().contains("after 1 attempt"), "{err}");
}

#[tokio::test]
async fn whole_conversation_disconnect_posts_without_a_body_and_is_not_retried() {
    let (server, client, _) = setup().await;
    Mock::given(method("POST"))
        .and(path(format!("/api/v2/conversations/{CONV}/disconnect")))
        .and(bearer())
        .respond_with(genesys(503))
        .expect(1)
        .mount(&server)
        .await;
    let (c, _) = ids();
    client.disconnect_conversation(&c).await.unwrap_err();
    let got = server.received_requests().await.unwrap();
    assert_eq!(got.len(), 1);
    assert!(got[0].body.is_empty(), "no body is sent");
}

#[tokio::test]
async fn whole_conversation_disconnect_returns_202_accepted() {
    let (server, client, _) = setup().await;
    Mock::given(method("POST"))
        .and(path(format!("/api/v2/conversations/{CONV}/disconnect")))
        .and(bearer())
        .respond_with(genesys(202))
        .expect(1)
        .mount(&server)
        .await;
    let (c, _) = ids();
    let accepted = client.disconnect_conversation(&c).await.unwrap();
    assert_eq!(accepted.status, 202);
    assert_eq!(accepted.correlation_id.as_deref(), Some(CORRELATION));
}
