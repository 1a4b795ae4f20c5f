//! Conversation reads: the user's calls, one call conversation, one generic conversation.

mod common;

use std::time::Duration;

use common::*;
use genesys_client::{Client, Environment, ErrorKind, RetryPolicy, StaticToken};
use genesys_model::{ConversationId, ParticipantView};
use wiremock::Mock;
use wiremock::matchers::{method, path};

const CONV: &str = "4f1b2c3d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";

#[tokio::test]
async fn my_call_conversations() {
    let (server, client, _) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/conversations/calls"))
        .and(bearer())
        .respond_with(genesys_json(200, "call_conversations_listing.json"))
        .expect(1)
        .mount(&server)
        .await;
    let listing = client.call_conversations().await.unwrap();
    assert_eq!(listing.entities[0].live_count(), 4);
}

#[tokio::test]
async fn one_call_conversation() {
    let (server, client, _) = setup().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v2/conversations/calls/{CONV}")))
        .and(bearer())
        .respond_with(genesys_json(200, "call_conversation_conference.json"))
        .expect(1)
        .mount(&server)
        .await;
    let conv = client
        .call_conversation(&ConversationId::new(CONV))
        .await
        .unwrap();
    assert_eq!(conv.id, CONV);
    assert_eq!(conv.participants.len(), 5);
    assert!(conv.participants[0].ended());
}

#[tokio::test]
async fn one_generic_conversation() {
    let (server, client, _) = setup().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v2/conversations/{CONV}")))
        .and(bearer())
        .respond_with(genesys_json(200, "conversation_generic.json"))
        .expect(1)
        .mount(&server)
        .await;
    let conv = client
        .conversation(&ConversationId::new(CONV))
        .await
        .unwrap();
    assert!(conv.participants[2].is_muted());
}

#[tokio::test]
async fn not_found() {
    let (server, client, _) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/conversations/calls/nope"))
        .respond_with(genesys_json(404, "error_not_found.json"))
        .expect(1)
        .mount(&server)
        .await;
    let err = client
        .call_conversation(&ConversationId::new("nope"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(
        err.code(),
        Some("conversation.error.conversation.not.found")
    );
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.route(), "get_call_conversation");
}

#[tokio::test]
async fn server_errors_are_retried_for_get() {
    let (server, client, _) = setup().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v2/conversations/calls/{CONV}")))
        .respond_with(genesys_json(502, "error_server.json"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v2/conversations/calls/{CONV}")))
        .respond_with(genesys_json(200, "call_conversation_conference.json"))
        .expect(1)
        .mount(&server)
        .await;
    let conv = client
        .call_conversation(&ConversationId::new(CONV))
        .await
        .unwrap();
    assert_eq!(conv.live_count(), 4);
}

#[tokio::test]
async fn server_errors_give_up_after_the_attempt_budget() {
    let (server, client, _) = setup().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v2/conversations/{CONV}")))
        .respond_with(genesys_json(503, "error_server.json"))
        .expect(3) // fast_retry(): 3 attempts
        .mount(&server)
        .await;
    let err = client
        .conversation(&ConversationId::new(CONV))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.code(), Some("service.unavailable"));
}

#[tokio::test]
async fn non_json_error_body_is_kept_as_detail() {
    let (server, client, _) = setup().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v2/conversations/{CONV}")))
        .respond_with(genesys(409).set_body_string("<html>conflict at the proxy</html>"))
        .mount(&server)
        .await;
    let err = client
        .conversation(&ConversationId::new(CONV))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedStatus);
    assert!(err.body().is_none());
    assert!(err.to_string().contains("conflict at the proxy"), "{err}");
}

#[tokio::test]
async fn unreachable_server_and_timeouts() {
    // A port nobody listens on: connection refused, retried (read) and reported as Unreachable.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = Client::builder(Environment::custom(&format!("http://127.0.0.1:{port}")).unwrap())
        .token_source(StaticToken::new(TOKEN))
        .retry_policy(fast_retry())
        .build()
        .unwrap();
    let err = client
        .conversation(&ConversationId::new(CONV))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unreachable);
    assert!(err.to_string().contains("3 attempt"), "{err}");

    let (server, _, _) = setup().await;
    Mock::given(method("GET"))
        .respond_with(genesys(200).set_delay(Duration::from_millis(800)))
        .mount(&server)
        .await;
    let slow = Client::builder(Environment::custom(&server.uri()).unwrap())
        .token_source(StaticToken::new(TOKEN))
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let err = slow
        .conversation(&ConversationId::new(CONV))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unreachable);
    assert!(err.to_string().contains("timed out"), "{err}");
}
