//! `/api/v2/routing/queues`: queue search, my queues, one queue.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::Value;

use super::{Params, require_any, require_user};
use crate::errors::ApiError;
use crate::render;
use crate::scenario::{PERM_QUEUE_VIEW, members};
use crate::tokens::Principal;
use crate::world::Shared;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/v2/routing/queues", get(list))
        .route("/api/v2/routing/queues/me", get(mine))
        .route("/api/v2/routing/queues/{id}", get(one))
}

/// Name filter: leading/trailing `*` are wildcards, otherwise exact; case-insensitive.
fn name_matches(pattern: &str, name: &str) -> bool {
    let p = pattern.to_lowercase();
    let n = name.to_lowercase();
    match (p.strip_prefix('*'), p.strip_suffix('*')) {
        (Some(_), Some(_)) if p.len() >= 2 => n.contains(&p[1..p.len() - 1]),
        (Some(rest), _) => n.ends_with(rest),
        (_, Some(rest)) => n.starts_with(rest),
        _ => n == p,
    }
}

async fn list(
    State(shared): State<Arc<Shared>>,
    Extension(p): Extension<Principal>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    require_any(&p, &[PERM_QUEUE_VIEW])?;
    let params = Params::parse(q.as_deref());
    let page = params.page(25)?;
    let name = params.get("name");
    let ids = params.all("id");
    let desc = match params.get("sortOrder") {
        None => false,
        Some(s) if s.eq_ignore_ascii_case("asc") => false,
        Some(s) if s.eq_ignore_ascii_case("desc") => true,
        Some(s) => return Err(ApiError::invalid_value(s, "SortOrder", "asc, desc")),
    };
    let w = shared.lock();
    let mut queues: Vec<_> = w
        .ordered_queues()
        .filter(|q| name.is_none_or(|n| name_matches(n, &q.name)))
        .filter(|q| ids.is_empty() || ids.contains(&q.id.as_str()))
        .collect();
    queues.sort_by_key(|q| q.name.to_lowercase());
    if desc {
        queues.reverse();
    }
    let all = queues
        .into_iter()
        .map(|q| {
            render::queue(
                q,
                members(&w.users, &q.id),
                w.transcription.settings.active(),
            )
        })
        .collect();
    Ok(Json(page.listing(all, "/api/v2/routing/queues")))
}

async fn mine(
    State(shared): State<Arc<Shared>>,
    Extension(p): Extension<Principal>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let user_id = require_user(&p)?;
    let page = Params::parse(q.as_deref()).page(25)?;
    let w = shared.lock();
    let user = w.users.get(user_id).ok_or_else(ApiError::bad_credentials)?;
    let all = w
        .ordered_queues()
        .filter(|q| user.queue_ids.contains(&q.id))
        .map(|q| {
            let mut v = render::queue(
                q,
                members(&w.users, &q.id),
                w.transcription.settings.active(),
            );
            // UserQueue has `joined` but not the Queue-only `autoAnswerOnly`.
            if let Some(o) = v.as_object_mut() {
                o.remove("autoAnswerOnly");
                o.insert("joined".into(), true.into());
            }
            v
        })
        .collect();
    Ok(Json(page.listing(all, "/api/v2/routing/queues/me")))
}

async fn one(
    State(shared): State<Arc<Shared>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    require_any(&p, &[PERM_QUEUE_VIEW])?;
    let w = shared.lock();
    let q = w
        .queues
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("Queue [{id}] not found.")))?;
    Ok(Json(render::queue(
        q,
        members(&w.users, &q.id),
        w.transcription.settings.active(),
    )))
}

#[cfg(test)]
mod tests {
    use super::name_matches;

    #[test]
    fn wildcards_match_like_the_platform() {
        assert!(name_matches("*PORT*", "Support"));
        assert!(name_matches("sup*", "Support"));
        assert!(name_matches("*port", "Support"));
        assert!(name_matches("support", "Support"));
        assert!(!name_matches("supp", "Support"));
        assert!(!name_matches("*bill*", "Support"));
    }
}
