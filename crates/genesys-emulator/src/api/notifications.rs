//! `/api/v2/notifications/...`: channels, subscriptions and available topics.

use std::collections::HashSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, head};
use axum::{Extension, Json, Router};
use serde_json::{Value, json};

use super::{Params, json_body};
use crate::errors::ApiError;
use crate::notify::{MAX_TOPICS_PER_CHANNEL, Topic};
use crate::render::fmt_time;
use crate::scenario::PERM_VIEW;
use crate::tokens::Principal;
use crate::transcription::PERM_TRANSCRIPTION;
use crate::world::{Shared, World};

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/api/v2/notifications/channels",
            get(list_channels).post(create_channel),
        )
        .route("/api/v2/notifications/channels/{id}", head(head_channel))
        .route(
            "/api/v2/notifications/channels/{id}/subscriptions",
            get(get_subscriptions)
                .put(put_subscriptions)
                .post(post_subscriptions)
                .delete(delete_subscriptions),
        )
        .route(
            "/api/v2/notifications/availabletopics",
            get(available_topics),
        )
}

/// Channels belong to the user, or to the app for client-credentials tokens.
fn owner(p: &Principal) -> String {
    match &p.user_id {
        Some(u) => u.clone(),
        None => format!("client:{}", p.client_id),
    }
}

fn channel_json(id: &str, connect_uri: &str, expires: chrono::DateTime<chrono::Utc>) -> Value {
    json!({"connectUri": connect_uri, "id": id, "expires": fmt_time(expires)})
}

fn connect_uri(shared: &Shared, id: &str) -> String {
    let ws = shared.base_url.replacen("http://", "ws://", 1);
    format!("{ws}/channels/{id}")
}

async fn create_channel(
    State(shared): State<Arc<Shared>>,
    Extension(p): Extension<Principal>,
) -> Json<Value> {
    let mut w = shared.lock();
    let (id, uri, expires) = w.notifier.create(
        &owner(&p),
        p.user_id.as_deref(),
        &p.client_id,
        &shared.base_url,
    );
    Json(channel_json(&id, &uri, expires))
}

async fn list_channels(
    State(shared): State<Arc<Shared>>,
    Extension(p): Extension<Principal>,
) -> Json<Value> {
    let w = shared.lock();
    let entities: Vec<Value> = w
        .notifier
        .list(&owner(&p))
        .into_iter()
        .map(|c| channel_json(&c.id, &connect_uri(&shared, &c.id), c.expires))
        .collect();
    Json(json!({ "entities": entities }))
}

/// Checks the channel exists and belongs to the caller.
fn owned_channel(w: &World, p: &Principal, id: &str) -> Result<(), ApiError> {
    match w.notifier.get(id) {
        Some(c) if c.owner == owner(p) => Ok(()),
        _ => Err(ApiError::not_found(format!("Channel [{id}] not found."))),
    }
}

async fn head_channel(
    State(shared): State<Arc<Shared>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> StatusCode {
    let mut w = shared.lock();
    if owned_channel(&w, &p, &id).is_ok() {
        w.notifier.touch(&id);
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    }
}

fn topic_listing(topics: &[String], rejected: Vec<Value>) -> Value {
    let mut entities: Vec<Value> = topics
        .iter()
        .map(|t| json!({"id": t, "state": "Permitted"}))
        .collect();
    entities.extend(rejected);
    json!({ "entities": entities })
}

async fn get_subscriptions(
    State(shared): State<Arc<Shared>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut w = shared.lock();
    owned_channel(&w, &p, &id)?;
    w.notifier.touch(&id);
    let topics = w
        .notifier
        .get(&id)
        .map(|c| c.topics.clone())
        .unwrap_or_default();
    Ok(Json(topic_listing(&topics, Vec::new())))
}

/// Why a requested topic cannot be subscribed.
enum Refusal {
    Invalid,
    Permission(&'static str),
}

/// Topics for ids that do not exist are accepted (they never fire), like a well-formed
/// topic for a queue the org does not have.
fn check_topic(p: &Principal, name: &str) -> Result<(), Refusal> {
    let topic = Topic::parse(name).ok_or(Refusal::Invalid)?;
    match topic {
        Topic::QueueCalls(_) | Topic::QueueConversations(_) => {
            if !p.has(PERM_VIEW) {
                return Err(Refusal::Permission(PERM_VIEW));
            }
        }
        Topic::UserCalls(u) | Topic::UserConversations(u) => {
            if p.user_id.as_deref() != Some(u.as_str()) && !p.has(PERM_VIEW) {
                return Err(Refusal::Permission(PERM_VIEW));
            }
        }
        // Only this permission, whoever's call it is (it is not division-aware).
        Topic::Transcription(_) => {
            if !p.has(PERM_TRANSCRIPTION) {
                return Err(Refusal::Permission(PERM_TRANSCRIPTION));
            }
        }
    }
    Ok(())
}

fn parse_topics(bytes: &Bytes) -> Result<Vec<String>, ApiError> {
    let body = json_body(bytes, false)?;
    let Value::Array(items) = body else {
        return Err(ApiError::bad_request(
            "The request body must be a JSON array of {\"id\": topic}.",
        ));
    };
    items
        .iter()
        .map(|item| {
            item.get("id")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    ApiError::bad_request("Every subscription must be an object with a string id.")
                })
        })
        .collect()
}

/// Shared by PUT (replace) and POST (add).
fn subscribe(
    shared: &Shared,
    p: &Principal,
    id: &str,
    query: Option<&str>,
    bytes: &Bytes,
    replace: bool,
) -> Result<Value, ApiError> {
    let requested = parse_topics(bytes)?;
    let ignore_errors = Params::parse(query).flag("ignoreErrors", false)?;
    let mut w = shared.lock();
    owned_channel(&w, p, id)?;
    let mut accepted: Vec<String> = Vec::new();
    let mut rejected: Vec<Value> = Vec::new();
    for name in &requested {
        match check_topic(p, name) {
            Ok(()) => accepted.push(name.clone()),
            Err(Refusal::Invalid) if !ignore_errors => {
                let mut e = ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "notification.invalid.topic",
                    format!("The subscription topic is not valid: {name}"),
                );
                e.params.insert("topic".into(), name.clone().into());
                return Err(e);
            }
            Err(Refusal::Permission(perm)) if !ignore_errors => {
                return Err(ApiError::missing_permissions(&[perm]));
            }
            Err(Refusal::Invalid) => rejected.push(json!({
                "id": name, "state": "Rejected",
                "rejectionReason": "The subscription topic is not valid."})),
            Err(Refusal::Permission(perm)) => rejected.push(json!({
                "id": name, "state": "Rejected",
                "rejectionReason": "Missing permissions", "missingPermissions": [perm]})),
        }
    }
    let mut topics = if replace {
        Vec::new()
    } else {
        w.notifier
            .get(id)
            .map(|c| c.topics.clone())
            .unwrap_or_default()
    };
    let mut seen: HashSet<String> = topics.iter().cloned().collect();
    for t in accepted {
        if seen.insert(t.clone()) {
            topics.push(t);
        }
    }
    if topics.len() > MAX_TOPICS_PER_CHANNEL {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "notification.subscription.too.many.subscriptions",
            format!(
                "Too many subscriptions: a channel can hold at most {MAX_TOPICS_PER_CHANNEL} topics."
            ),
        ));
    }
    w.notifier.set_topics(id, topics.clone());
    Ok(topic_listing(&topics, rejected))
}

async fn put_subscriptions(
    State(shared): State<Arc<Shared>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    subscribe(&shared, &p, &id, q.as_deref(), &body, true).map(Json)
}

async fn post_subscriptions(
    State(shared): State<Arc<Shared>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    subscribe(&shared, &p, &id, q.as_deref(), &body, false).map(Json)
}

async fn delete_subscriptions(
    State(shared): State<Arc<Shared>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut w = shared.lock();
    owned_channel(&w, &p, &id)?;
    w.notifier.set_topics(&id, Vec::new());
    Ok(StatusCode::OK)
}

async fn available_topics() -> Json<Value> {
    let topic = |id: &str, desc: &str, model: &str, current_user: bool| {
        json!({
            "id": id,
            "description": desc,
            "requiresPermissions": [PERM_VIEW],
            "requiresDivisionPermissions": false,
            "requiresAnyValidator": false,
            "enforced": false,
            "visibility": "Public",
            "requiresCurrentUser": false,
            "requiresCurrentUserOrPermission": current_user,
            "transports": ["All"],
            "publicApiTemplateUriPaths": ["/api/v2/conversations/calls/{id}"],
            "topicParameters": [if current_user { "user" } else { "queue" }],
            "schema": {"title": model},
        })
    };
    Json(json!({"entities": [
        topic("v2.routing.queues.{id}.conversations.calls", "Call conversations on a queue (full snapshot per change).", "QueueConversationCallEventTopicCallConversation", false),
        topic("v2.routing.queues.{id}.conversations", "Conversations on a queue (participants carry calls[]).", "QueueConversationEventTopicConversation", false),
        topic("v2.users.{id}.conversations.calls", "A user's call conversations (full snapshot per change).", "ConversationCallEventTopicCallConversation", true),
        topic("v2.users.{id}.conversations", "A user's conversations (participants carry calls[]).", "ConversationEventTopicConversation", true),
        json!({
            "id": "v2.conversations.{id}.transcription",
            "description": "Real-time transcripts of a conversation, grouped, about 35 s after the speech; a status-only SESSION_ONGOING message at session start and every 5 minutes.",
            "requiresPermissions": [PERM_TRANSCRIPTION],
            "requiresDivisionPermissions": false,
            "requiresAnyValidator": false,
            "enforced": false,
            "visibility": "Public",
            "requiresCurrentUser": false,
            "requiresCurrentUserOrPermission": false,
            "transports": ["All"],
            "publicApiTemplateUriPaths": ["/api/v2/conversations/{id}"],
            "topicParameters": ["conversation"],
            "schema": {"title": "TranscriptionTopicTranscriptionMessage"},
        }),
    ]}))
}
