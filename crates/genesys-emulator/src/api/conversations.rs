//! `/api/v2/conversations/...`: call reads, participant PATCH (the drop), communication PATCH,
//! and the whole-conversation endpoints that end a call for everyone.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use axum::{Extension, Json, Router};
use serde_json::{Map, Value, json};

use super::{json_body, opt_bool, require_any, require_user, value_text};
use crate::change::{Change, LegUpdate, TargetState, check_update};
use crate::errors::ApiError;
use crate::model::Conversation;
use crate::render;
use crate::scenario::{PERM_DISCONNECT, PERM_VIEW};
use crate::tokens::Principal;
use crate::world::Shared;

/// Values of `MediaParticipantRequest.state` (the SDK's request model).
const PARTICIPANT_STATES: &[&str] = &[
    "alerting",
    "dialing",
    "contacting",
    "offering",
    "connected",
    "disconnected",
    "terminated",
    "converting",
    "uploading",
    "transmitting",
    "parked",
    "none",
];

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/v2/conversations", get(list_mine))
        .route("/api/v2/conversations/calls", get(list_my_calls))
        .route(
            "/api/v2/conversations/calls/maximumconferenceparties",
            get(max_parties),
        )
        .route(
            "/api/v2/conversations/calls/{c}",
            get(get_call).patch(patch_call),
        )
        .route(
            "/api/v2/conversations/{c}",
            get(get_conversation).delete(delete_conversation),
        )
        .route(
            "/api/v2/conversations/{c}/disconnect",
            post(post_disconnect),
        )
        .route(
            "/api/v2/conversations/calls/{c}/participants/{p}",
            patch(patch_participant),
        )
        .route(
            "/api/v2/conversations/{c}/participants/{p}",
            patch(patch_participant),
        )
        .route(
            "/api/v2/conversations/calls/{c}/participants/{p}/communications/{m}",
            patch(patch_communication),
        )
}

/// Runs a state change after the configured patch delay (the platform applies PATCHes
/// asynchronously; the 202 comes first).
fn apply_later(shared: &Arc<Shared>, change: Change) {
    let shared = shared.clone();
    let delay = shared.config.patch_delay;
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let result = shared.lock().change(change);
        if let Err(e) = result {
            tracing::debug!(error = %e, "delayed change no longer applies");
        }
    });
}

fn my_active<'a>(
    convs: impl Iterator<Item = &'a Conversation>,
    user: &str,
) -> Vec<&'a Conversation> {
    convs
        .filter(|c| c.is_active() && c.has_live_user(user))
        .collect()
}

async fn list_my_calls(
    State(shared): State<Arc<Shared>>,
    Extension(p): Extension<Principal>,
) -> Result<Json<Value>, ApiError> {
    let user = require_user(&p)?;
    let w = shared.lock();
    let names = w.names();
    let all: Vec<Value> = my_active(w.ordered_conversations(), user)
        .into_iter()
        .map(|c| render::call_conversation(c, &names))
        .collect();
    let page = super::Page {
        number: 1,
        size: all.len().max(25),
    };
    Ok(Json(page.listing(all, "/api/v2/conversations/calls")))
}

async fn list_mine(
    State(shared): State<Arc<Shared>>,
    Extension(p): Extension<Principal>,
) -> Result<Json<Value>, ApiError> {
    let user = require_user(&p)?;
    let w = shared.lock();
    let names = w.names();
    let all: Vec<Value> = my_active(w.ordered_conversations(), user)
        .into_iter()
        .map(|c| render::conversation(c, &names))
        .collect();
    let page = super::Page {
        number: 1,
        size: all.len().max(25),
    };
    Ok(Json(page.listing(all, "/api/v2/conversations")))
}

async fn max_parties() -> Json<Value> {
    Json(json!({"maxParticipants": 20}))
}

async fn get_call(
    State(shared): State<Arc<Shared>>,
    Extension(p): Extension<Principal>,
    Path(c): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let w = shared.lock();
    let conv = w
        .conversations
        .get(&c)
        .ok_or_else(ApiError::conversation_not_found)?;
    let is_party = p.user_id.as_deref().is_some_and(|u| conv.has_user(u));
    if !is_party {
        require_any(&p, &[PERM_VIEW])?;
    }
    Ok(Json(render::call_conversation(conv, &w.names())))
}

async fn get_conversation(
    State(shared): State<Arc<Shared>>,
    Extension(p): Extension<Principal>,
    Path(c): Path<String>,
) -> Result<Json<Value>, ApiError> {
    require_any(&p, &[PERM_VIEW])?;
    let w = shared.lock();
    let conv = w
        .conversations
        .get(&c)
        .ok_or_else(ApiError::conversation_not_found)?;
    Ok(Json(render::conversation(conv, &w.names())))
}

/// Parses and validates a `MediaParticipantRequest`; unknown fields are ignored.
pub fn parse_media_participant_request(bytes: &Bytes) -> Result<LegUpdate, ApiError> {
    let body = json_body(bytes, true)?;
    let Value::Object(obj) = body else {
        return Err(ApiError::bad_request(
            "The request body must be a JSON object (MediaParticipantRequest).",
        ));
    };
    let state = match obj.get("state") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if PARTICIPANT_STATES.contains(&s.as_str()) => match s.as_str() {
            "disconnected" => Some(TargetState::Disconnected),
            "connected" => Some(TargetState::Connected),
            other => {
                return Err(ApiError::bad_request(format!(
                    "A participant's state can only be changed to connected or disconnected, not [{other}]."
                )));
            }
        },
        Some(other) => {
            return Err(ApiError::invalid_value(
                &value_text(other),
                "State",
                &PARTICIPANT_STATES.join(", "),
            ));
        }
    };
    check_typed_extras(&obj)?;
    Ok(LegUpdate {
        state,
        muted: opt_bool(&obj, "muted")?,
        held: opt_bool(&obj, "held")?,
        confined: opt_bool(&obj, "confined")?,
        recording: opt_bool(&obj, "recording")?,
    })
}

/// Type-checks the recognised fields the emulator accepts but does not act on.
fn check_typed_extras(obj: &Map<String, Value>) -> Result<(), ApiError> {
    opt_bool(obj, "wrapupSkipped")?;
    match obj.get("wrapup") {
        None | Some(Value::Null) | Some(Value::Object(_)) => {}
        Some(other) => {
            return Err(ApiError::invalid_value(
                &value_text(other),
                "WrapupInput",
                "a JSON object",
            ));
        }
    }
    match obj.get("resumeTime") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => Ok(()),
        Some(other) => Err(ApiError::invalid_date(format!(
            "Value [{}] is not a valid date-time for field [resumeTime].",
            value_text(other)
        ))),
    }
}

async fn patch_participant(
    State(shared): State<Arc<Shared>>,
    Extension(p): Extension<Principal>,
    Path((c, pid)): Path<(String, String)>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let update = parse_media_participant_request(&body)?;
    let caller = require_user(&p)?;
    {
        let mut w = shared.lock();
        let conv = w
            .conversations
            .get(&c)
            .ok_or_else(ApiError::conversation_not_found)?;
        let part = conv.participant(&pid).ok_or_else(|| {
            ApiError::not_found(format!(
                "The participant [{pid}] is not part of conversation [{c}]."
            ))
        })?;
        if part.user_id.as_deref() != Some(caller) {
            require_any(&p, &[PERM_DISCONNECT])?;
        }
        if update.is_empty() {
            // Nothing recognised (e.g. {"dispositionCode":..}): accepted, changes nothing.
            return Ok(StatusCode::ACCEPTED);
        }
        check_update(conv, part, &update)?;
        if w.faults.ignores_patch(&pid) {
            tracing::info!(participant = %pid, "ignore_patch fault: PATCH accepted and ignored");
            return Ok(StatusCode::ACCEPTED);
        }
        if update.state == Some(TargetState::Disconnected) && w.faults.take_phantom(&pid) {
            tracing::info!(participant = %pid, "phantom_drop fault: drop accepted and ignored");
            return Ok(StatusCode::ACCEPTED);
        }
    }
    apply_later(
        &shared,
        Change::Update {
            conversation_id: c,
            participant_id: pid,
            update,
        },
    );
    Ok(StatusCode::ACCEPTED)
}

async fn patch_communication(
    State(shared): State<Arc<Shared>>,
    Extension(p): Extension<Principal>,
    Path((c, pid, mid)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let body = json_body(&body, true)?;
    let disconnect = body.get("state").and_then(Value::as_str) == Some("disconnected");
    if !disconnect {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "communication.state.required",
            "Can only update a communication's state to disconnected.",
        ));
    }
    let caller = require_user(&p)?;
    {
        let w = shared.lock();
        let conv = w
            .conversations
            .get(&c)
            .ok_or_else(ApiError::conversation_not_found)?;
        let part = conv.participant(&pid).ok_or_else(|| {
            ApiError::not_found(format!(
                "The participant [{pid}] is not part of conversation [{c}]."
            ))
        })?;
        if part.user_id.as_deref() != Some(caller) {
            require_any(&p, &[PERM_DISCONNECT])?;
        }
        let comm = part.calls.iter().find(|m| m.id == mid).ok_or_else(|| {
            ApiError::not_found(format!(
                "The communication [{mid}] is not part of participant [{pid}]."
            ))
        })?;
        if !comm.state.is_live() || !conv.is_active() {
            return Err(crate::change::ChangeError::LegEnded.into());
        }
    }
    apply_later(
        &shared,
        Change::EndCommunication {
            conversation_id: c,
            participant_id: pid,
            communication_id: mid,
        },
    );
    Ok(StatusCode::ACCEPTED)
}

/// Ends the whole conversation now (shared by the three whole-call endpoints); `teardown` is
/// the emergency disconnect, which also applies the system wrap-up code.
fn end_now(shared: &Shared, p: &Principal, c: &str, teardown: bool) -> Result<(), ApiError> {
    require_any(p, &[PERM_DISCONNECT])?;
    let mut w = shared.lock();
    let conversation_id = c.to_owned();
    w.change(if teardown {
        Change::Teardown { conversation_id }
    } else {
        Change::End {
            conversation_id,
            disconnect_type: "client".to_owned(),
        }
    })?;
    Ok(())
}

async fn patch_call(
    State(shared): State<Arc<Shared>>,
    Extension(p): Extension<Principal>,
    Path(c): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body = json_body(&body, false)?;
    let Value::Object(obj) = body else {
        return Err(ApiError::bad_request(
            "The request body must be a JSON object (Conversation).",
        ));
    };
    require_user(&p)?;
    match obj.get("state") {
        Some(Value::String(s)) if s == "disconnected" => {}
        Some(Value::String(s)) if PARTICIPANT_STATES.contains(&s.as_str()) => {
            return Err(ApiError::bad_request(format!(
                "A conversation's state can only be set to disconnected, not [{s}]."
            )));
        }
        Some(other) => {
            return Err(ApiError::invalid_value(
                &value_text(other),
                "State",
                &PARTICIPANT_STATES.join(", "),
            ));
        }
        None => {
            return Err(ApiError::bad_request(
                "The emulator supports only {\"state\":\"disconnected\"} on this endpoint (no merge or recording changes).",
            ));
        }
    }
    end_now(&shared, &p, &c, false)?;
    let w = shared.lock();
    let conv = w
        .conversations
        .get(&c)
        .ok_or_else(ApiError::conversation_not_found)?;
    Ok(Json(render::conversation(conv, &w.names())))
}

async fn delete_conversation(
    State(shared): State<Arc<Shared>>,
    Extension(p): Extension<Principal>,
    Path(c): Path<String>,
) -> Result<StatusCode, ApiError> {
    end_now(&shared, &p, &c, false)?;
    Ok(StatusCode::OK)
}

async fn post_disconnect(
    State(shared): State<Arc<Shared>>,
    Extension(p): Extension<Principal>,
    Path(c): Path<String>,
) -> Result<StatusCode, ApiError> {
    end_now(&shared, &p, &c, true)?;
    Ok(StatusCode::ACCEPTED)
}
