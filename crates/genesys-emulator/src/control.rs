//! The emulator's own control plane under `/_emulator/` (no auth): reset, scenarios, truth,
//! call scripting, churn, the request log, faults and OAuth clients.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::api::{Params, json_body};
use crate::change::{NewCallRequest, PartyRequest};
use crate::config::ScenarioName;
use crate::errors::ApiError;
use crate::faults::{ActiveFault, FaultSpec};
use crate::history::AnalyticsSettings;
use crate::model::{OAuthClient, User};
use crate::transcription::{SilentRequest, SpeakRequest, TranscriptionRequest};
use crate::world::{Shared, UserInfo, World, WorldHandle};

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/reset", post(reset))
        .route("/scenario", post(scenario))
        .route("/conversations", get(conversations).post(create_call))
        .route("/conversations/{c}", get(conversation))
        .route("/conversations/{c}/participants", post(join))
        .route("/conversations/{c}/participants/{p}/leave", post(leave))
        .route("/conversations/{c}/end", post(end))
        .route("/conversations/{c}/participants/{p}/speak", post(speak))
        .route("/conversations/{c}/participants/{p}/silent", post(silent))
        .route(
            "/transcription",
            get(get_transcription).post(set_transcription),
        )
        .route("/users", get(users).post(upsert_user_route))
        .route("/analytics", get(get_analytics).post(set_analytics))
        .route("/queues", get(queues))
        .route("/churn", get(get_churn).post(set_churn))
        .route("/requests", get(requests).delete(clear_requests))
        .route(
            "/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/faults/{id}", delete(remove_fault))
        .route(
            "/oauth/clients",
            get(list_clients).post(upsert_client_route),
        )
        .route("/stats", get(stats))
}

fn handle(shared: &Arc<Shared>) -> WorldHandle {
    WorldHandle {
        shared: shared.clone(),
    }
}

fn parse<T: for<'de> Deserialize<'de>>(bytes: &Bytes, empty_ok: bool) -> Result<T, ApiError> {
    let v = json_body(bytes, empty_ok)?;
    serde_json::from_value(v).map_err(|e| ApiError::bad_request(format!("Invalid body: {e}")))
}

async fn reset(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let h = handle(&shared);
    h.reset();
    shared.churn.send_replace(shared.config.churn_per_minute);
    let w = shared.lock();
    Json(
        json!({"scenario": w.scenario.as_str(), "seed": w.seed, "conversations": w.conversations.len()}),
    )
}

/// `POST /_emulator/scenario`: loads a scenario afresh.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioRequest {
    /// The scenario's name (`demo`, `empty`, ...; see [`ScenarioName`]).
    pub name: String,
    /// The seed (default: the one the emulator runs with).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// How many conversations to generate (default: the configured count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversations: Option<usize>,
}

async fn scenario(State(shared): State<Arc<Shared>>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let req: ScenarioRequest = parse(&body, false)?;
    let name: ScenarioName = req.name.parse().map_err(ApiError::bad_request)?;
    let mut w = shared.lock();
    let seed = req.seed.unwrap_or(w.seed);
    let n = req.conversations.unwrap_or(w.load_count);
    if n > 100_000 {
        return Err(ApiError::bad_request(
            "conversations must be at most 100000",
        ));
    }
    w.load(name, seed, n);
    Ok(Json(
        json!({"scenario": name.as_str(), "seed": seed, "conversations": w.conversations.len()}),
    ))
}

async fn conversations(State(shared): State<Arc<Shared>>, RawQuery(q): RawQuery) -> Json<Value> {
    let params = Params::parse(q.as_deref());
    let active_only = params.get("active") == Some("true");
    let all = handle(&shared).conversations();
    let entities: Vec<Value> = all
        .into_iter()
        .filter(|c| !active_only || c.get("endTime").is_none())
        .collect();
    Json(json!({ "entities": entities }))
}

async fn conversation(
    State(shared): State<Arc<Shared>>,
    Path(c): Path<String>,
) -> Result<Json<Value>, ApiError> {
    handle(&shared)
        .conversation(&c)
        .map(Json)
        .ok_or_else(ApiError::conversation_not_found)
}

async fn create_call(
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: NewCallRequest = parse(&body, false)?;
    Ok(Json(handle(&shared).create_call(req)?))
}

async fn join(
    State(shared): State<Arc<Shared>>,
    Path(c): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let party: PartyRequest = parse(&body, false)?;
    Ok(Json(handle(&shared).join(&c, party)?))
}

/// `POST /_emulator/conversations/{c}/participants/{p}/leave`: a party hangs up by itself.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct LeaveRequest {
    /// The `disconnectType` to record (default `endpoint`: the phone hung up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disconnect_type: Option<String>,
}

async fn leave(
    State(shared): State<Arc<Shared>>,
    Path((c, p)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: LeaveRequest = parse(&body, true)?;
    Ok(Json(handle(&shared).leave(
        &c,
        &p,
        req.disconnect_type.as_deref(),
    )?))
}

async fn end(
    State(shared): State<Arc<Shared>>,
    Path(c): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(handle(&shared).end(&c)?))
}

async fn speak(
    State(shared): State<Arc<Shared>>,
    Path((c, p)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: SpeakRequest = parse(&body, false)?;
    let out = handle(&shared).speak(&c, &p, &req.text)?;
    Ok(Json(serde_json::to_value(out).unwrap_or_default()))
}

async fn silent(
    State(shared): State<Arc<Shared>>,
    Path((c, p)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: SilentRequest = parse(&body, true)?;
    handle(&shared).set_silent(&c, &p, req.silent)?;
    Ok(Json(json!({"silent": req.silent})))
}

async fn get_transcription(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(handle(&shared).transcription().to_json())
}

async fn set_transcription(
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: TranscriptionRequest = parse(&body, false)?;
    let s = handle(&shared)
        .set_transcription(&req)
        .map_err(ApiError::bad_request)?;
    Ok(Json(s.to_json()))
}

async fn users(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({ "entities": handle(&shared).users() }))
}

async fn queues(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({ "entities": handle(&shared).queues() }))
}

async fn upsert_user_route(
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: UserRequest = parse(&body, false)?;
    let user = handle(&shared)
        .upsert_user(req)
        .map_err(ApiError::bad_request)?;
    Ok(Json(serde_json::to_value(user).unwrap_or_default()))
}

/// A user to add, or to change by email, through the control plane (for permission tests).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UserRequest {
    /// Matched case-insensitively against existing users; a new email adds a user.
    pub email: String,
    /// Display name (default: the part of the email before `@` for a new user; kept otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The user's permissions, replacing the old ones (required for a new user).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<String>>,
    /// Queue memberships, replacing the old ones (default: none for a new user; kept otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_ids: Option<Vec<String>>,
}

/// Adds or changes a user; returns the result.
pub(crate) fn upsert_user(w: &mut World, req: UserRequest) -> Result<UserInfo, String> {
    let email = req.email.trim().to_owned();
    if !email.contains('@') {
        return Err("email is required (name@domain)".into());
    }
    if let Some(qs) = &req.queue_ids {
        if let Some(q) = qs.iter().find(|q| !w.queues.contains_key(*q)) {
            return Err(format!("unknown queue {q}"));
        }
    }
    let existing = w.user_by_email(&email).map(|u| u.id.clone());
    let id = match existing {
        Some(id) => id,
        None => {
            let Some(permissions) = req.permissions.clone() else {
                return Err("permissions are required for a new user".into());
            };
            let id = crate::ids::name_uuid(&format!("control-plane-user:{}", email.to_lowercase()));
            let name = req
                .name
                .clone()
                .unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_owned());
            w.users.insert(
                id.clone(),
                User {
                    id: id.clone(),
                    name,
                    email: email.clone(),
                    title: "Test User".to_owned(),
                    department: "Testing".to_owned(),
                    role: "Custom".to_owned(),
                    permissions,
                    queue_ids: Vec::new(),
                },
            );
            w.user_order.push(id.clone());
            id
        }
    };
    let Some(u) = w.users.get_mut(&id) else {
        return Err("user vanished".into());
    };
    if let Some(n) = req.name {
        u.name = n;
    }
    if let Some(p) = req.permissions {
        u.permissions = p;
    }
    if let Some(q) = req.queue_ids {
        u.queue_ids = q;
    }
    Ok(UserInfo {
        id: u.id.clone(),
        name: u.name.clone(),
        email: u.email.clone(),
        permissions: u.permissions.clone(),
        queue_ids: u.queue_ids.clone(),
    })
}

/// New analytics settings; absent fields stay as they are.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsRequest {
    /// How stale the details query is, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lag_ms: Option<u64>,
    /// Deepest result a details page may reach (`pageNumber * pageSize`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_results: Option<usize>,
}

fn analytics_json(a: AnalyticsSettings) -> Value {
    json!({"lagMs": a.lag.num_milliseconds(), "maxResults": a.max_results})
}

async fn get_analytics(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(analytics_json(shared.lock().analytics))
}

async fn set_analytics(
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: AnalyticsRequest = parse(&body, false)?;
    let a = handle(&shared)
        .set_analytics(req)
        .map_err(ApiError::bad_request)?;
    Ok(Json(analytics_json(a)))
}

/// `POST /_emulator/churn`: the background churn rate.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ChurnRequest {
    /// Changes per minute (0 stops the churn; at most 60,000).
    pub per_minute: f64,
}

async fn set_churn(
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: ChurnRequest = parse(&body, false)?;
    if !req.per_minute.is_finite() || req.per_minute < 0.0 || req.per_minute > 60_000.0 {
        return Err(ApiError::bad_request("perMinute must be within 0..60000"));
    }
    handle(&shared).set_churn(req.per_minute);
    Ok(Json(json!({ "perMinute": req.per_minute })))
}

async fn get_churn(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({ "perMinute": *shared.churn.borrow() }))
}

async fn requests(
    State(shared): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(q.as_deref());
    let since = match params.get("since") {
        None => 0,
        Some(s) => s
            .parse::<u64>()
            .map_err(|_| ApiError::invalid_value(s, "Integer", "a non-negative integer"))?,
    };
    Ok(Json(json!({ "entities": handle(&shared).requests(since) })))
}

async fn clear_requests(State(shared): State<Arc<Shared>>) -> StatusCode {
    handle(&shared).clear_requests();
    StatusCode::NO_CONTENT
}

/// Performs an action fault or stores a standing one.
pub(crate) fn apply_fault(
    shared: &Arc<Shared>,
    spec: FaultSpec,
) -> Result<Option<ActiveFault>, String> {
    spec.validate()?;
    match &spec {
        FaultSpec::CloseSockets {} => {
            shared
                .lock()
                .notifier
                .close_all(1001, "closed by close_sockets fault");
            Ok(None)
        }
        FaultSpec::SocketClosing { grace_ms } => {
            crate::ws::socket_closing(shared, Duration::from_millis(grace_ms.unwrap_or(1000)));
            Ok(None)
        }
        FaultSpec::RevokeTokens { user_id } => {
            shared.lock().tokens.revoke_user(user_id.as_deref());
            crate::ws::token_revoked(shared, user_id.as_deref());
            Ok(None)
        }
        FaultSpec::ExpireTokens { user_id } => {
            shared.lock().tokens.expire_user(user_id.as_deref());
            Ok(None)
        }
        _ => Ok(Some(shared.lock().faults.add(spec))),
    }
}

async fn add_fault(
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let spec: FaultSpec = parse(&body, false)?;
    let kind = serde_json::to_value(&spec)
        .ok()
        .and_then(|v| v.get("kind").cloned())
        .unwrap_or(Value::Null);
    match apply_fault(&shared, spec).map_err(ApiError::bad_request)? {
        Some(f) => Ok((
            StatusCode::CREATED,
            Json(serde_json::to_value(f).unwrap_or_default()),
        )),
        None => Ok((StatusCode::OK, Json(json!({"kind": kind, "applied": true})))),
    }
}

async fn list_faults(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({ "entities": handle(&shared).faults() }))
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> StatusCode {
    handle(&shared).clear_faults();
    StatusCode::NO_CONTENT
}

async fn remove_fault(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<u64>,
) -> Result<StatusCode, ApiError> {
    if shared.lock().faults.remove(id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("Fault [{id}] not found.")))
    }
}

/// An OAuth client to add or update through the control plane.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ClientRequest {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// None makes it a public (PKCE) client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// authorization_code, refresh_token, client_credentials.
    #[serde(default)]
    pub grants: Vec<String>,
    /// Role permissions of client-credentials tokens.
    #[serde(default)]
    pub permissions: Vec<String>,
}

/// Adds or replaces a client.
pub(crate) fn upsert_client(w: &mut World, req: ClientRequest) -> Result<(), String> {
    if req.id.trim().is_empty() {
        return Err("id is required".into());
    }
    for g in &req.grants {
        if !matches!(
            g.as_str(),
            "authorization_code" | "refresh_token" | "client_credentials"
        ) {
            return Err(format!(
                "unknown grant '{g}' (expected authorization_code, refresh_token or client_credentials)"
            ));
        }
    }
    for r in &req.redirect_uris {
        url::Url::parse(r).map_err(|e| format!("redirect URI '{r}' is not a URL: {e}"))?;
    }
    if req.secret.is_none() && req.grants.iter().any(|g| g != "authorization_code") {
        return Err("a public client (no secret) may only use authorization_code".into());
    }
    let grants = if req.grants.is_empty() {
        vec!["authorization_code".to_owned()]
    } else {
        req.grants
    };
    w.clients.insert(
        req.id.clone(),
        OAuthClient {
            name: req.name.unwrap_or_else(|| req.id.clone()),
            id: req.id,
            secret: req.secret,
            redirect_uris: req.redirect_uris,
            grants,
            permissions: req.permissions,
        },
    );
    Ok(())
}

async fn upsert_client_route(
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: ClientRequest = parse(&body, false)?;
    let id = req.id.clone();
    upsert_client(&mut shared.lock(), req).map_err(ApiError::bad_request)?;
    let w = shared.lock();
    Ok(Json(
        serde_json::to_value(w.clients.get(&id)).unwrap_or_default(),
    ))
}

async fn list_clients(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let w = shared.lock();
    let mut clients: Vec<&OAuthClient> = w.clients.values().collect();
    clients.sort_by(|a, b| a.id.cmp(&b.id));
    Json(json!({ "entities": clients }))
}

async fn stats(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let h = handle(&shared);
    let w = shared.lock();
    let active = w.conversations.values().filter(|c| c.is_active()).count();
    let channels = w.notifier.len();
    let sockets = w.notifier.open_sockets();
    let snapshots = w.history.snapshots();
    let transcription = w.transcription.published;
    drop(w);
    Json(json!({
        "events": h.event_stats(),
        "conversations": {"active": active},
        "analyticsSnapshots": snapshots,
        "channels": channels,
        "sockets": sockets,
        "transcriptionMessages": transcription,
    }))
}
