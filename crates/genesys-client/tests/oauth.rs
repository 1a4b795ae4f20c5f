//! The token endpoint: PKCE (no Authorization header), code with secret, refresh, client credentials, errors.

mod common;

use base64::Engine as _;
use common::*;
use genesys_client::{ClientCredentials, Environment, ErrorKind, OAuthClient, PkceVerifier};
use genesys_model::{ClientSecret, RefreshToken};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN_JSON: &str =
    r#"{"access_token":"issued-access-1","token_type":"bearer","expires_in":86400}"#;
const TOKEN_JSON_REFRESH: &str = r#"{"access_token":"issued-access-2","token_type":"bearer","expires_in":3600,"refresh_token":"issued-refresh-2"}"#;

async fn oauth() -> (MockServer, OAuthClient) {
    let server = MockServer::start().await;
    let client = OAuthClient::new(&Environment::custom(&server.uri()).unwrap()).unwrap();
    (server, client)
}

fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

fn form_of(req: &wiremock::Request) -> Vec<(String, String)> {
    url::form_urlencoded::parse(&req.body)
        .into_owned()
        .collect()
}

#[tokio::test]
async fn pkce_exchange_sends_the_form_and_no_authorization() {
    let (server, client) = oauth().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(NoAuthorization)
        .respond_with(ResponseTemplate::new(200).set_body_raw(TOKEN_JSON, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let verifier = PkceVerifier::generate();
    let token = client
        .exchange_pkce(
            "auth-code-1",
            &verifier,
            "bridgekeeper-desktop",
            "http://localhost:8765/oauth/callback",
        )
        .await
        .unwrap();
    assert_eq!(token.access_token.expose_secret(), "issued-access-1");
    assert_eq!(token.expires_in, Some(86400));
    assert!(token.refresh_token.is_none());
    assert!(!format!("{token:?}").contains("issued-access-1"));
    let req = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        form_of(req),
        [
            ("grant_type".to_owned(), "authorization_code".to_owned()),
            ("code".to_owned(), "auth-code-1".to_owned()),
            (
                "code_verifier".to_owned(),
                verifier.expose_secret().to_owned()
            ),
            ("client_id".to_owned(), "bridgekeeper-desktop".to_owned()),
            (
                "redirect_uri".to_owned(),
                "http://localhost:8765/oauth/callback".to_owned()
            ),
        ]
    );
}

#[tokio::test]
async fn code_exchange_with_secret_uses_basic() {
    let (server, client) = oauth().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(header(
            "authorization",
            basic("demo-confidential", "demo-secret").as_str(),
        ))
        .and(body_string_contains("grant_type=authorization_code"))
        .and(body_string_contains("code=c-2"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(TOKEN_JSON_REFRESH, "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let creds = ClientCredentials::new("demo-confidential", ClientSecret::new("demo-secret"));
    let token = client
        .exchange_code("c-2", "http://localhost:8765/oauth/callback", &creds)
        .await
        .unwrap();
    assert_eq!(
        token
            .refresh_token
            .as_ref()
            .map(RefreshToken::expose_secret),
        Some("issued-refresh-2")
    );
}

#[tokio::test]
async fn refresh_and_client_credentials_use_basic() {
    let (server, client) = oauth().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(header(
            "authorization",
            basic("demo-confidential", "demo-secret").as_str(),
        ))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=old-refresh"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(TOKEN_JSON_REFRESH, "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(header(
            "authorization",
            basic("demo-service", "demo-secret").as_str(),
        ))
        .and(body_string_contains("grant_type=client_credentials"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(TOKEN_JSON, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let creds = ClientCredentials::new("demo-confidential", ClientSecret::new("demo-secret"));
    let refreshed = client
        .refresh(&RefreshToken::new("old-refresh"), &creds)
        .await
        .unwrap();
    assert_eq!(refreshed.access_token.expose_secret(), "issued-access-2");
    let service = ClientCredentials::new("demo-service", ClientSecret::new("demo-secret"));
    let token = client.client_credentials(&service).await.unwrap();
    assert_eq!(token.token_type.as_deref(), Some("bearer"));
}

#[tokio::test]
async fn oauth_errors_are_parsed() {
    let (server, client) = oauth().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string_contains("grant_type=authorization_code"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(
            r#"{"error":"invalid_grant","description":"authorization code expired","error_description":"authorization code expired"}"#,
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string_contains("grant_type=client_credentials"))
        .respond_with(ResponseTemplate::new(401).set_body_raw(
            r#"{"error":"invalid_client","description":"bad secret"}"#,
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = client
        .exchange_pkce(
            "stale",
            &PkceVerifier::generate(),
            "bridgekeeper-desktop",
            "http://localhost:8765/oauth/callback",
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OAuth);
    assert_eq!(err.code(), Some("invalid_grant"));
    assert_eq!(
        err.oauth_error().and_then(|o| o.text()),
        Some("authorization code expired")
    );
    assert!(err.to_string().contains("invalid_grant"), "{err}");

    let creds = ClientCredentials::new("demo-service", ClientSecret::new("wrong-secret-value"));
    let err = client.client_credentials(&creds).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OAuth);
    assert_eq!(err.code(), Some("invalid_client"));
    assert!(!format!("{err:?} {err}").contains("wrong-secret-value"));
}

#[tokio::test]
async fn token_endpoint_server_errors_are_not_retried() {
    let (server, client) = oauth().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(502))
        .expect(1)
        .mount(&server)
        .await;
    let creds = ClientCredentials::new("demo-service", ClientSecret::new("demo-secret"));
    assert_eq!(
        client.client_credentials(&creds).await.unwrap_err().kind(),
        ErrorKind::Server
    );
}

#[tokio::test]
async fn the_rest_client_offers_the_same_oauth_client() {
    let (server, rest, _) = setup().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(NoAuthorization)
        .respond_with(ResponseTemplate::new(200).set_body_raw(TOKEN_JSON, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let token = rest
        .oauth()
        .exchange_pkce(
            "c",
            &PkceVerifier::generate(),
            "id",
            "http://localhost:1/cb",
        )
        .await
        .unwrap();
    assert_eq!(token.access_token.expose_secret(), "issued-access-1");
}
