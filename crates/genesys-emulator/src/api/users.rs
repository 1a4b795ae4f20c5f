//! `/api/v2/users`: who am I, user lookups.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::{Value, json};

use super::{Params, require_user};
use crate::errors::ApiError;
use crate::render;
use crate::tokens::Principal;
use crate::world::Shared;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/v2/users/me", get(me))
        .route("/api/v2/users/{id}", get(by_id))
        .route("/api/v2/users", get(list))
}

/// The TokenInfo of the caller's token (also used by `expand=token`).
pub(crate) fn token_info(shared: &Shared, p: &Principal) -> Value {
    let w = shared.lock();
    let client_name = w
        .clients
        .get(&p.client_id)
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let org = json!({"id": crate::scenario::ORG_ID, "name": crate::scenario::ORG_NAME});
    json!({
        "organization": org,
        "homeOrganization": org,
        "authorizedScope": ["analytics:readonly", "conversations", "notifications", "routing:readonly", "users:readonly"],
        "OAuthClient": {"id": p.client_id, "name": client_name, "organization": org},
    })
}

async fn me(
    State(shared): State<Arc<Shared>>,
    Extension(p): Extension<Principal>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let user_id = require_user(&p)?;
    let params = Params::parse(q.as_deref());
    let expand = params.all("expand");
    let mut body = {
        let w = shared.lock();
        let user = w.users.get(user_id).ok_or_else(ApiError::bad_credentials)?;
        let mut body = render::user(user);
        if expand.contains(&"authorization") {
            body["authorization"] = render::user_authorization(user);
        }
        body
    };
    if expand.contains(&"token") {
        body["token"] = token_info(&shared, &p);
    }
    if expand.contains(&"organization") {
        body["organization"] = json!({"id": crate::scenario::ORG_ID, "name": crate::scenario::ORG_NAME,
            "state": "active", "version": 1, "selfUri": format!("/api/v2/organizations/{}", crate::scenario::ORG_ID)});
    }
    Ok(Json(body))
}

async fn by_id(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(q.as_deref());
    let w = shared.lock();
    let user = w
        .users
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("User [{id}] not found.")))?;
    let mut body = render::user(user);
    if params.all("expand").contains(&"authorization") {
        body["authorization"] = render::user_authorization(user);
    }
    Ok(Json(body))
}

async fn list(
    State(shared): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(q.as_deref());
    let page = params.page(25)?;
    let ids = params.all("id");
    let w = shared.lock();
    let all: Vec<Value> = w
        .ordered_users()
        .filter(|u| ids.is_empty() || ids.contains(&u.id.as_str()))
        .map(render::user)
        .collect();
    Ok(Json(page.listing(all, "/api/v2/users")))
}
