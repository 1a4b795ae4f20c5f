//! The request gateway: correlation id, latency and request faults, bearer auth, the per-token
//! rate limit, the standard headers, and the request log. Wraps every route.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::time::Instant;

use crate::errors::{ApiError, CORRELATION_ID};
use crate::faults::Forced;
use crate::render::fmt_time;
use crate::tokens::{Principal, TokenRejection};
use crate::world::{RequestRecord, Shared};

/// The fixed rate-limit window.
pub const RATE_WINDOW: Duration = Duration::from_secs(60);
const MAX_BODY: usize = 4 * 1024 * 1024;
const MAX_LOGGED_BODY: usize = 4096;

/// Fixed-window request counters per token.
#[derive(Default)]
pub struct RateLimiter {
    windows: HashMap<u64, (Instant, u32)>,
}

/// The rate-limit state reported in the `inin-ratelimit-*` headers.
#[derive(Debug, Clone, Copy)]
pub struct RateInfo {
    pub count: u32,
    pub reset_secs: u64,
}

impl RateLimiter {
    /// Counts one request for the token; returns the window state after counting.
    pub fn hit(&mut self, token_id: u64) -> RateInfo {
        let now = Instant::now();
        if self.windows.len() > 10_000 {
            self.windows
                .retain(|_, (start, _)| now.duration_since(*start) < RATE_WINDOW);
        }
        let entry = self.windows.entry(token_id).or_insert((now, 0));
        if now.duration_since(entry.0) >= RATE_WINDOW {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        let elapsed = now.duration_since(entry.0);
        let reset = RATE_WINDOW.saturating_sub(elapsed);
        RateInfo {
            count: entry.1,
            reset_secs: reset.as_secs() + u64::from(reset.subsec_nanos() > 0),
        }
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = v.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Resolves the caller from the Authorization header.
pub(crate) fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let token = bearer(headers).ok_or_else(ApiError::authentication_required)?;
    let w = shared.lock();
    let t = match w.tokens.lookup(token) {
        Ok(t) => t,
        Err(TokenRejection::Unknown) | Err(TokenRejection::Expired) => {
            return Err(ApiError::bad_credentials());
        }
    };
    let permissions = match &t.user_id {
        Some(u) => w
            .users
            .get(u)
            .map(|u| u.permissions.clone())
            .ok_or_else(ApiError::bad_credentials)?,
        None => w
            .clients
            .get(&t.client_id)
            .map(|c| c.permissions.clone())
            .unwrap_or_default(),
    };
    Ok(Principal {
        token_id: t.id,
        session: t.session,
        client_id: t.client_id.clone(),
        user_id: t.user_id.clone(),
        permissions,
    })
}

fn body_for_log(path: &str, bytes: &Bytes) -> Option<Value> {
    if bytes.is_empty() {
        return None;
    }
    if path.starts_with("/oauth/") {
        // Never log codes, verifiers, secrets or refresh tokens: keep only the grant type.
        let grant = url::form_urlencoded::parse(bytes)
            .find(|(k, _)| k == "grant_type")
            .map(|(_, v)| v.into_owned());
        return Some(serde_json::json!({ "grant_type": grant }));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => Some(v),
        Err(_) => {
            let s = String::from_utf8_lossy(bytes);
            Some(Value::String(s.chars().take(MAX_LOGGED_BODY).collect()))
        }
    }
}

struct Outcome {
    response: Response,
    principal: Option<Principal>,
    rate: Option<RateInfo>,
}

async fn handle(shared: &Arc<Shared>, mut req: Request, next: Next, path: &str) -> Outcome {
    let is_api = path.starts_with("/api/v2");
    let is_platform = is_api || path.starts_with("/oauth/");
    let mut out = Outcome {
        response: Response::default(),
        principal: None,
        rate: None,
    };
    if is_platform {
        let delay = shared.config.latency + shared.lock().faults.latency_for(path);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let forced = shared.lock().faults.forced_response(path);
        match forced {
            Some(Forced::TooManyRequests { retry_after }) => {
                out.response = ApiError::too_many_requests(
                    shared.config.rate_limit_per_minute,
                    RATE_WINDOW.as_secs(),
                    retry_after,
                )
                .into_response();
                return out;
            }
            Some(Forced::Status(s)) => {
                out.response = ApiError::forced(s).into_response();
                return out;
            }
            None => {}
        }
    }
    if is_api {
        let principal = match authenticate(shared, req.headers()) {
            Ok(p) => p,
            Err(e) => {
                out.response = e.into_response();
                return out;
            }
        };
        let info = shared
            .rate
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .hit(principal.token_id);
        out.rate = Some(info);
        out.principal = Some(principal.clone());
        let limit = shared.config.rate_limit_per_minute;
        if info.count > limit {
            out.response =
                ApiError::too_many_requests(limit, RATE_WINDOW.as_secs(), info.reset_secs)
                    .into_response();
            return out;
        }
        req.extensions_mut().insert(principal);
    }
    out.response = next.run(req).await;
    out
}

/// The middleware wrapping every route.
pub(crate) async fn gateway(
    State(shared): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
    let cid = uuid::Uuid::new_v4().to_string();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let is_control = path.starts_with("/_emulator");
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        let mut r = CORRELATION_ID
            .scope(cid.clone(), async {
                ApiError::new(
                    axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                    "request.entity.too.large",
                    "The request body is too large or could not be read.",
                )
                .into_response()
            })
            .await;
        if let Ok(v) = HeaderValue::from_str(&cid) {
            r.headers_mut().insert("inin-correlation-id", v);
        }
        return r;
    };
    let logged_body = if matches!(method, Method::POST | Method::PATCH | Method::PUT) {
        body_for_log(&path, &bytes)
    } else {
        None
    };
    let req = Request::from_parts(parts, Body::from(bytes));
    let outcome = CORRELATION_ID
        .scope(cid.clone(), handle(&shared, req, next, &path))
        .await;
    let mut response = outcome.response;
    let limit = shared.config.rate_limit_per_minute;
    let rate = outcome.rate.unwrap_or(RateInfo {
        count: 0,
        reset_secs: RATE_WINDOW.as_secs(),
    });
    let headers = response.headers_mut();
    let mut put = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    put("inin-correlation-id", cid.clone());
    put("inin-ratelimit-allowed", limit.to_string());
    put("inin-ratelimit-count", rate.count.to_string());
    put("inin-ratelimit-reset", rate.reset_secs.to_string());
    if !is_control {
        let status = response.status().as_u16();
        let record = RequestRecord {
            seq: 0,
            time: fmt_time(chrono::Utc::now()),
            method: method.to_string(),
            path,
            query,
            status,
            correlation_id: cid,
            user_id: outcome.principal.as_ref().and_then(|p| p.user_id.clone()),
            client_id: outcome.principal.as_ref().map(|p| p.client_id.clone()),
            body: logged_body,
        };
        shared.lock().log.push(record);
    }
    response
}
