//! Analytics queries: reads sent as POST, so 5xx is retried for them.

mod common;

use common::*;
use genesys_client::ErrorKind;
use genesys_model::{ConversationQuery, PagingSpec, QueueId, QueueObservationQuery};
use wiremock::Mock;
use wiremock::matchers::{body_json, header, method, path};

fn queues() -> Vec<QueueId> {
    vec![
        QueueId::new("8a3e5f7c-1d2b-4c6e-9f0a-2b4d6f8a0c1e"),
        QueueId::new("2c4e6a8b-0d1f-4b3c-8e5a-7f9b1d3c5e7a"),
    ]
}

#[tokio::test]
async fn queue_observations_posts_the_documented_body() {
    let (server, client, _) = setup().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/analytics/queues/observations/query"))
        .and(bearer())
        .and(header("content-type", "application/json"))
        .and(body_json(fixture_json("queue_observations_query.json")))
        .respond_with(genesys_json(200, "queue_observations_response.json"))
        .expect(1)
        .mount(&server)
        .await;
    let resp = client
        .queue_observations(&QueueObservationQuery::active_voice_conversations(&queues()))
        .await
        .unwrap();
    assert_eq!(resp.conversation_ids().len(), 2);
}

#[tokio::test]
async fn analytics_reads_are_retried_after_server_errors() {
    let (server, client, _) = setup().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/analytics/queues/observations/query"))
        .respond_with(genesys_json(503, "error_server.json"))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/analytics/queues/observations/query"))
        .respond_with(genesys_json(200, "queue_observations_response.json"))
        .expect(1)
        .mount(&server)
        .await;
    let resp = client
        .queue_observations(&QueueObservationQuery::active_voice_conversations(&queues()))
        .await
        .unwrap();
    assert_eq!(resp.results.len(), 2);
}

#[tokio::test]
async fn conversation_details_query() {
    let (server, client, _) = setup().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/analytics/conversations/details/query"))
        .and(bearer())
        .and(body_json(fixture_json("conversation_details_query.json")))
        .respond_with(genesys_json(200, "conversation_details_response.json"))
        .expect(1)
        .mount(&server)
        .await;
    let query = ConversationQuery::active_on_queues(
        "2026-11-22T00:00:00.000Z/2026-11-23T00:00:00.000Z",
        &queues()[..1],
        PagingSpec {
            page_size: 50,
            page_number: 1,
        },
    );
    let resp = client.conversation_details(&query).await.unwrap();
    assert_eq!(resp.total_hits, Some(1));
    assert!(resp.conversations[0].is_active());
}

#[tokio::test]
async fn bad_request_with_vendor_body() {
    let (server, client, _) = setup().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/analytics/conversations/details/query"))
        .respond_with(genesys_json(400, "error_invalid_value.json"))
        .expect(1)
        .mount(&server)
        .await;
    let query = ConversationQuery::active_on_queues(
        "bad",
        &[],
        PagingSpec {
            page_size: 1,
            page_number: 1,
        },
    );
    let err = client.conversation_details(&query).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    assert_eq!(err.code(), Some("invalid.value"));
    assert_eq!(
        err.body().unwrap().details[0].field_name.as_deref(),
        Some("state")
    );
}
