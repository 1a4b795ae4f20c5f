//! Notification channels and subscriptions.

mod common;

use common::*;
use genesys_client::ErrorKind;
use genesys_model::{ChannelId, ChannelTopic, ChannelTopicState, QueueId, Topic};
use wiremock::Mock;
use wiremock::matchers::{body_json, method, path, query_param, query_param_is_missing};

const CH: &str = "streaming-2-k7d9q0x1r2m3";

fn subs_path() -> String {
    format!("/api/v2/notifications/channels/{CH}/subscriptions")
}

fn topics() -> Vec<ChannelTopic> {
    [
        "8a3e5f7c-1d2b-4c6e-9f0a-2b4d6f8a0c1e",
        "2c4e6a8b-0d1f-4b3c-8e5a-7f9b1d3c5e7a",
    ]
    .into_iter()
    .map(|q| ChannelTopic::new(&Topic::QueueConversationCalls(QueueId::new(q))))
    .collect()
}

fn topics_body() -> serde_json::Value {
    serde_json::json!([
        {"id": "v2.routing.queues.8a3e5f7c-1d2b-4c6e-9f0a-2b4d6f8a0c1e.conversations.calls"},
        {"id": "v2.routing.queues.2c4e6a8b-0d1f-4b3c-8e5a-7f9b1d3c5e7a.conversations.calls"}
    ])
}

#[tokio::test]
async fn create_and_list_channels() {
    let (server, client, _) = setup().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/notifications/channels"))
        .and(bearer())
        .respond_with(genesys_json(200, "channel.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/notifications/channels"))
        .and(bearer())
        .respond_with(genesys_json(200, "channels_listing.json"))
        .expect(1)
        .mount(&server)
        .await;
    let channel = client.create_channel().await.unwrap();
    assert_eq!(channel.id, CH);
    assert_eq!(
        channel.connect_uri.as_deref(),
        Some("wss://streaming.mypurecloud.com/channels/streaming-2-k7d9q0x1r2m3")
    );
    assert_eq!(client.channels().await.unwrap().entities.len(), 1);
}

#[tokio::test]
async fn create_channel_is_not_retried_after_a_server_error() {
    let (server, client, _) = setup().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/notifications/channels"))
        .respond_with(genesys_json(503, "error_server.json"))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        client.create_channel().await.unwrap_err().kind(),
        ErrorKind::Server
    );
}

#[tokio::test]
async fn channel_exists_maps_404_to_false() {
    let (server, client, _) = setup().await;
    Mock::given(method("HEAD"))
        .and(path(format!("/api/v2/notifications/channels/{CH}")))
        .and(bearer())
        .respond_with(genesys(200))
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/api/v2/notifications/channels/streaming-9-gone"))
        .respond_with(genesys(404))
        .mount(&server)
        .await;
    assert!(client.channel_exists(&ChannelId::new(CH)).await.unwrap());
    assert!(
        !client
            .channel_exists(&ChannelId::new("streaming-9-gone"))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn replace_add_list_and_delete_subscriptions() {
    let (server, client, _) = setup().await;
    let ch = ChannelId::new(CH);
    Mock::given(method("PUT"))
        .and(path(subs_path()))
        .and(bearer())
        .and(query_param("ignoreErrors", "true"))
        .and(body_json(topics_body()))
        .respond_with(genesys_json(200, "channel_topics_listing.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(subs_path()))
        .and(query_param_is_missing("ignoreErrors"))
        .and(body_json(topics_body()))
        .respond_with(genesys_json(200, "channel_topics_listing.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(subs_path()))
        .respond_with(genesys_json(200, "channel_topics_listing.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(subs_path()))
        .respond_with(genesys(204))
        .expect(1)
        .mount(&server)
        .await;

    let replaced = client
        .replace_subscriptions(&ch, &topics(), true)
        .await
        .unwrap();
    assert_eq!(
        replaced.entities[1].state,
        Some(ChannelTopicState::Rejected)
    );
    client
        .add_subscriptions(&ch, &topics(), false)
        .await
        .unwrap();
    assert_eq!(client.subscriptions(&ch).await.unwrap().entities.len(), 2);
    assert_eq!(client.delete_subscriptions(&ch).await.unwrap().status, 204);
}

#[tokio::test]
async fn invalid_topic_is_a_bad_request() {
    let (server, client, _) = setup().await;
    Mock::given(method("PUT"))
        .and(path(subs_path()))
        .respond_with(genesys(400).set_body_raw(
            r#"{"message":"Invalid topic","code":"notification.invalid.topic","status":400}"#,
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = client
        .replace_subscriptions(&ChannelId::new(CH), &topics(), false)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    assert_eq!(err.code(), Some("notification.invalid.topic"));
}
