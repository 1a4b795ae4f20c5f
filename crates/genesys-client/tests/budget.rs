//! The session's request budget over real HTTP: background reads are paced and pause together on a
//! 429, while interactive requests go straight through.

mod common;

use std::time::{Duration, Instant};

use common::{fast_retry, genesys, genesys_json};
use genesys_client::{BudgetConfig, Client, Environment, ErrorKind, Priority, StaticToken};
use genesys_model::ConversationId;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer};

async fn client(server: &MockServer, budget: BudgetConfig) -> Client {
    Client::builder(Environment::custom(&server.uri()).expect("loopback"))
        .token_source(StaticToken::new(common::TOKEN))
        .retry_policy(fast_retry())
        .budget(budget)
        .build()
        .expect("client")
}

fn conversation_body() -> String {
    common::fixture("conversation_generic.json")
}

#[tokio::test]
async fn background_reads_stop_at_their_share_and_interactive_ones_do_not() {
    let server = MockServer::start().await;
    // No rate-limit headers: the assumed limit (300) and the configured share decide.
    Mock::given(method("GET"))
        .and(path_regex("^/api/v2/conversations/[^/]+$"))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .set_body_raw(conversation_body(), "application/json"),
        )
        .mount(&server)
        .await;
    let client = client(
        &server,
        BudgetConfig {
            background_share: 4.0 / 300.0,
            ..BudgetConfig::default()
        },
    )
    .await;
    let background = client.with_priority(Priority::Background);
    for i in 0..4 {
        background
            .conversation(&ConversationId::new(format!("c{i}")))
            .await
            .expect("read");
    }
    assert!(!client.budget_admits(Priority::Background));
    // A person's read goes at once even though background is out of room.
    let start = Instant::now();
    client
        .conversation(&ConversationId::new("urgent"))
        .await
        .expect("interactive read");
    assert!(start.elapsed() < Duration::from_secs(2));
    // The fifth background read waits for the window instead of being sent.
    let waiting = tokio::time::timeout(
        Duration::from_millis(500),
        background.conversation(&ConversationId::new("c5")),
    )
    .await;
    assert!(waiting.is_err(), "the background read was held back");
    let stats = client.budget_stats();
    assert_eq!(stats.sent, [1, 4, 0]);
    assert_eq!(server.received_requests().await.expect("log").len(), 5);
}

#[tokio::test]
async fn one_429_pauses_every_background_read_for_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/conversations/first"))
        .respond_with(
            genesys_json(429, "error_rate_limited.json").insert_header("Retry-After", "2"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/api/v2/conversations/[^/]+$"))
        .respond_with(genesys(200).set_body_raw(conversation_body(), "application/json"))
        .mount(&server)
        .await;
    let client = client(&server, BudgetConfig::default()).await;
    let background = client.with_priority(Priority::Background);
    let start = Instant::now();
    let first = {
        let b = background.clone();
        tokio::spawn(async move { b.conversation(&ConversationId::new("first")).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Sent after the 429: it must wait out the same pause, not hit the server.
    let second = background
        .conversation(&ConversationId::new("second"))
        .await
        .expect("second read");
    let waited = start.elapsed();
    drop(second);
    first
        .await
        .expect("task")
        .expect("first read after the pause");
    assert!(waited >= Duration::from_secs(2), "paused {waited:?}");
    let requests = server.received_requests().await.expect("log");
    assert_eq!(requests.len(), 3, "429 once, then each read once");
    assert_eq!(client.budget_stats().refused, [0, 1, 0]);
}

#[tokio::test]
async fn an_interactive_request_is_not_held_by_a_background_pause() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/conversations/bg"))
        .respond_with(
            genesys_json(429, "error_rate_limited.json").insert_header("Retry-After", "30"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/conversations/now"))
        .respond_with(genesys(200).set_body_raw(conversation_body(), "application/json"))
        .mount(&server)
        .await;
    let client = client(&server, BudgetConfig::default()).await;
    let bg = client.with_priority(Priority::Background);
    let task = tokio::spawn(async move { bg.conversation(&ConversationId::new("bg")).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(client.budget_stats().paused_for_ms > 20_000);
    let start = Instant::now();
    client
        .conversation(&ConversationId::new("now"))
        .await
        .expect("interactive read during the pause");
    assert!(start.elapsed() < Duration::from_secs(2));
    task.abort();
}

#[tokio::test]
async fn an_interactive_429_is_still_reported_to_the_caller() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/conversations/x"))
        .respond_with(
            genesys_json(429, "error_rate_limited.json").insert_header("Retry-After", "120"),
        )
        .mount(&server)
        .await;
    let client = client(&server, BudgetConfig::default()).await;
    let err = client
        .conversation(&ConversationId::new("x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
}
