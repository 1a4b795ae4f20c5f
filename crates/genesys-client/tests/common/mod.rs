//! Shared helpers: a wiremock server, a client pointed at it, and the model crate's JSON fixtures.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use genesys_client::{AccessToken, Client, Environment, RetryPolicy, TokenFuture, TokenSource};
use serde_json::Value;
use wiremock::{MockServer, Request, ResponseTemplate};

pub const TOKEN: &str = "test-access-token-5f1c";
pub const CORRELATION: &str = "corr-0000-1111-2222";

/// Reads a fixture shared with genesys-model (one source of truth for wire shapes).
pub fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../genesys-model/tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A fixture as JSON.
pub fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).expect("fixture is JSON")
}

/// A response with the headers Genesys puts on every response.
pub fn genesys(status: u16) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("ININ-Correlation-Id", CORRELATION)
        .insert_header("inin-ratelimit-allowed", "300")
        .insert_header("inin-ratelimit-count", "7")
        .insert_header("inin-ratelimit-reset", "42")
}

/// A JSON response from a fixture.
pub fn genesys_json(status: u16, fixture_name: &str) -> ResponseTemplate {
    genesys(status).set_body_raw(fixture(fixture_name), "application/json")
}

/// A retry policy with short backoff so 5xx tests stay fast.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        max_total_wait: Duration::from_secs(5),
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(80),
    }
}

/// A token source that counts calls and records invalidations.
#[derive(Default)]
pub struct RecordingTokens {
    pub invalidated: Mutex<Vec<String>>,
    pub calls: Mutex<u32>,
}

impl TokenSource for RecordingTokens {
    fn access_token(&self) -> TokenFuture<'_> {
        *self.calls.lock().unwrap() += 1;
        Box::pin(async { Ok(AccessToken::new(TOKEN)) })
    }

    fn invalidate(&self, rejected: &AccessToken) {
        self.invalidated
            .lock()
            .unwrap()
            .push(rejected.expose_secret().to_owned());
    }
}

/// A server and a client talking to it with [`TOKEN`].
pub async fn setup() -> (MockServer, Client, Arc<RecordingTokens>) {
    let server = MockServer::start().await;
    let tokens = Arc::new(RecordingTokens::default());
    let client = Client::builder(Environment::custom(&server.uri()).expect("loopback is allowed"))
        .shared_token_source(tokens.clone())
        .retry_policy(fast_retry())
        .build()
        .expect("client builds");
    (server, client, tokens)
}

/// Matches requests that carry `Authorization: Bearer TOKEN`.
pub fn bearer() -> wiremock::matchers::HeaderExactMatcher {
    wiremock::matchers::header("authorization", format!("Bearer {TOKEN}").as_str())
}

/// Matches requests without an Authorization header.
pub struct NoAuthorization;

impl wiremock::Match for NoAuthorization {
    fn matches(&self, request: &Request) -> bool {
        !request.headers.contains_key("authorization")
    }
}
