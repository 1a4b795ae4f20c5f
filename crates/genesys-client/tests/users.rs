//! `GET /api/v2/users/me` and the behaviour shared by every bearer call (auth header, 401, token redaction).

mod common;

use common::*;
use genesys_client::{AccessToken, Client, Environment, ErrorKind, NoToken, StaticToken};
use genesys_model::PERMISSION_DISCONNECT;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

#[tokio::test]
async fn users_me_with_authorization() {
    let (server, client, tokens) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/users/me"))
        .and(query_param("expand", "authorization"))
        .and(bearer())
        .respond_with(genesys_json(200, "user_me_authorization.json"))
        .expect(1)
        .mount(&server)
        .await;
    let me = client.users_me(&["authorization"]).await.unwrap();
    assert_eq!(me.display_name(), "Sam Supervisor");
    assert!(me.has_permission(PERMISSION_DISCONNECT));
    assert_eq!(*tokens.calls.lock().unwrap(), 1);
    let rl = client.rate_limit().expect("rate-limit headers recorded");
    assert_eq!(
        (rl.allowed, rl.count, rl.reset),
        (Some(300), Some(7), Some(42))
    );
    let req = &server.received_requests().await.unwrap()[0];
    assert_eq!(req.headers.get("accept").unwrap(), "application/json");
}

#[tokio::test]
async fn unauthorized_is_session_expired_and_invalidates_the_token() {
    let (server, client, tokens) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/users/me"))
        .respond_with(genesys_json(401, "error_bad_credentials.json"))
        .expect(1) // never retried
        .mount(&server)
        .await;
    let err = client.users_me(&[]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert!(err.is_session_expired());
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some("bad.credentials"));
    assert_eq!(err.correlation_id(), Some(CORRELATION));
    assert_eq!(*tokens.invalidated.lock().unwrap(), [TOKEN.to_owned()]);
    assert!(!err.to_string().contains(TOKEN), "{err}");
    assert!(!format!("{err:?}").contains(TOKEN));
}

#[tokio::test]
async fn without_a_token_nothing_is_sent() {
    let server = wiremock::MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let client = Client::builder(Environment::custom(&server.uri()).unwrap())
        .token_source(NoToken)
        .build()
        .unwrap();
    let err = client.users_me(&[]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotSignedIn);
}

#[tokio::test]
async fn token_debug_is_redacted_everywhere() {
    let token = AccessToken::new("super-secret-bearer");
    assert_eq!(format!("{token:?}"), "AccessToken(<redacted>)");
    let source = StaticToken::from(token);
    assert!(!format!("{source:?}").contains("super-secret"));
    let client = Client::builder(Environment::custom("http://127.0.0.1:9").unwrap())
        .token_source(source)
        .build()
        .unwrap();
    assert!(!format!("{client:?}").contains("super-secret"));
}

#[tokio::test]
async fn malformed_success_body_is_a_decode_error_with_path() {
    let (server, client, _) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/users/me"))
        .respond_with(genesys(200).set_body_raw(
            r#"{"id":"u","authorization":{"permissions":[1]}}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let err = client.users_me(&["authorization"]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.decode_path(), Some("authorization.permissions[0]"));
    assert_eq!(err.correlation_id(), Some(CORRELATION));
    assert!(
        err.to_string().contains("authorization.permissions[0]"),
        "{err}"
    );
}
