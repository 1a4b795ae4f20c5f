//! The notification WebSocket (`GET /channels/{id}`): events, heartbeats, ping/pong, closing.

use std::sync::Arc;

use axum::Router;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};

use crate::errors::ApiError;
use crate::notify::Outbound;
use crate::world::Shared;

/// The heartbeat message.
pub const HEARTBEAT: &str =
    r#"{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}"#;
/// The reply to a client `{"message":"ping"}`.
pub const PONG: &str = r#"{"topicName":"channel.metadata","eventBody":{"message":"pong"}}"#;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/channels/{id}", get(upgrade))
}

async fn upgrade(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    if shared.lock().notifier.get(&id).is_none() {
        return ApiError::not_found(format!("Channel [{id}] not found.")).into_response();
    }
    match ws {
        Ok(ws) => ws.on_upgrade(move |socket| run(socket, shared, id)),
        Err(rejection) => ApiError::bad_request(format!(
            "This endpoint only accepts WebSocket upgrades: {rejection}"
        ))
        .into_response(),
    }
}

fn is_ping(text: &str) -> bool {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(Value::as_str)
                .map(|m| m == "ping")
        })
        .unwrap_or(false)
}

async fn run(socket: WebSocket, shared: Arc<Shared>, channel_id: String) {
    let Some((conn_id, mut rx)) = shared.lock().notifier.connect(&channel_id) else {
        return;
    };
    tracing::debug!(channel = %channel_id, conn = conn_id, "socket connected");
    let (mut sink, mut stream) = socket.split();
    let period = shared
        .config
        .heartbeat
        .max(std::time::Duration::from_millis(10));
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    let mut shutdown = shared.shutdown.clone();
    loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(Outbound::Event { text, not_before }) => {
                    if let Some(t) = not_before {
                        tokio::time::sleep_until(t).await;
                    }
                    if sink.send(Message::Text(text.as_ref().into())).await.is_err() {
                        break;
                    }
                }
                Some(Outbound::Text(text)) => {
                    if sink.send(Message::Text(text.as_ref().into())).await.is_err() {
                        break;
                    }
                }
                Some(Outbound::Close { code, reason }) => {
                    let frame = CloseFrame { code, reason: reason.into() };
                    let _ = sink.send(Message::Close(Some(frame))).await;
                    break;
                }
                None => break,
            },
            _ = heartbeat.tick() => {
                if sink.send(Message::Text(HEARTBEAT.into())).await.is_err() {
                    break;
                }
            }
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(t))) => {
                    if is_ping(t.as_str()) && sink.send(Message::Text(PONG.into())).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            _ = shutdown.changed() => {
                let frame = CloseFrame { code: 1001, reason: "server shutting down".into() };
                let _ = sink.send(Message::Close(Some(frame))).await;
                break;
            }
        }
    }
    shared.lock().notifier.disconnect(&channel_id, conn_id);
    tracing::debug!(channel = %channel_id, conn = conn_id, "socket closed");
}

/// Sends `v2.system.token_revoked.{channelId}` to the open sockets of the revoked tokens
/// channels (all of them, or one user's), as the platform announces a revocation on the channel
/// (docs/genesys-api.md). The sockets stay open; the client is expected to stop using them.
pub(crate) fn token_revoked(shared: &Arc<Shared>, user_id: Option<&str>) -> usize {
    let w = shared.lock();
    let mut n = 0;
    w.notifier.each_connected(|ch, conn| {
        if user_id.is_some() && ch.user_id.as_deref() != user_id {
            return;
        }
        let body = json!({
            "channelId": ch.id,
            "systemTopicType": "token_revoked",
            "correlationId": uuid::Uuid::new_v4().to_string(),
            "organizationId": crate::scenario::ORG_ID,
            "userId": ch.user_id,
            "oauthClientId": ch.client_id,
            "reason": "user_tokens_revoked",
            "message": "The tokens of this channel were revoked.",
        });
        let topic = format!("v2.system.token_revoked.{}", ch.id);
        let text = crate::notify::envelope(&topic, &body.to_string());
        if conn.tx.send(Outbound::Text(text.into())).is_ok() {
            n += 1;
        }
    });
    n
}

/// Sends `v2.system.socket_closing` to every socket now and closes them after `grace`.
pub(crate) fn socket_closing(shared: &Arc<Shared>, grace: std::time::Duration) -> usize {
    let mut targets = Vec::new();
    {
        let w = shared.lock();
        w.notifier.each_connected(|ch, conn| {
            let body = json!({
                "channelId": ch.id,
                "correlationId": uuid::Uuid::new_v4().to_string(),
                "organizationId": crate::scenario::ORG_ID,
                "userId": ch.user_id,
                "oauthClientId": ch.client_id,
                "message": format!("This socket will close in {} ms; reconnect to the channel.", grace.as_millis()),
                "data": {"graceMs": grace.as_millis() as u64},
            });
            let text = crate::notify::envelope("v2.system.socket_closing", &body.to_string());
            let _ = conn.tx.send(Outbound::Text(text.into()));
            targets.push((ch.id.clone(), conn.id, conn.tx.clone()));
        });
    }
    let n = targets.len();
    let shared = shared.clone();
    tokio::spawn(async move {
        tokio::time::sleep(grace).await;
        for (channel, conn_id, tx) in targets {
            let _ = tx.send(Outbound::Close {
                code: 1001,
                reason: "socket closing".to_owned(),
            });
            shared.lock().notifier.disconnect(&channel, conn_id);
        }
    });
    n
}
