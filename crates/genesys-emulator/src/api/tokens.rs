//! `/api/v2/tokens/me`: token info, validity check (HEAD) and logout (DELETE).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::Value;

use crate::tokens::Principal;
use crate::world::Shared;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/api/v2/tokens/me", get(info).delete(revoke))
}

async fn info(
    State(shared): State<Arc<Shared>>,
    Extension(p): Extension<Principal>,
) -> Json<Value> {
    Json(super::users::token_info(&shared, &p))
}

/// Revokes the caller's token and every token of its session (refresh tokens included).
async fn revoke(
    State(shared): State<Arc<Shared>>,
    Extension(p): Extension<Principal>,
) -> StatusCode {
    shared.lock().tokens.revoke_session(p.session);
    StatusCode::OK
}
