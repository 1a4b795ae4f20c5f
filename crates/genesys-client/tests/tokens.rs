//! `/api/v2/tokens/me`: token info, verification and revocation (sign-out).

mod common;

use common::*;
use genesys_client::ErrorKind;
use wiremock::Mock;
use wiremock::matchers::{method, path};

#[tokio::test]
async fn token_info() {
    let (server, client, _) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tokens/me"))
        .and(bearer())
        .respond_with(genesys_json(200, "token_info.json"))
        .expect(1)
        .mount(&server)
        .await;
    let info = client.token_info().await.unwrap();
    assert_eq!(
        info.organization.and_then(|o| o.name).as_deref(),
        Some("Demo Org")
    );
    assert!(info.date_token_idles.is_some());
}

#[tokio::test]
async fn revoke_is_a_delete_and_is_not_retried() {
    let (server, client, _) = setup().await;
    Mock::given(method("DELETE"))
        .and(path("/api/v2/tokens/me"))
        .and(bearer())
        .respond_with(genesys(200))
        .expect(1)
        .mount(&server)
        .await;
    let accepted = client.revoke_token().await.unwrap();
    assert_eq!(accepted.status, 200);
    assert_eq!(accepted.correlation_id.as_deref(), Some(CORRELATION));

    let (server, client, _) = setup().await;
    Mock::given(method("DELETE"))
        .and(path("/api/v2/tokens/me"))
        .respond_with(genesys_json(500, "error_server.json"))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        client.revoke_token().await.unwrap_err().kind(),
        ErrorKind::Server
    );
}

#[tokio::test]
async fn verify_token_with_head() {
    let (server, client, tokens) = setup().await;
    Mock::given(method("HEAD"))
        .and(path("/api/v2/tokens/me"))
        .and(bearer())
        .respond_with(genesys(200))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/api/v2/tokens/me"))
        .respond_with(genesys(401))
        .mount(&server)
        .await;
    assert_eq!(client.verify_token().await.unwrap().status, 200);
    let err = client.verify_token().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(tokens.invalidated.lock().unwrap().len(), 1);
}
