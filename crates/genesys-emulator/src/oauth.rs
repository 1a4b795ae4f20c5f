//! The login host's OAuth endpoints (`/oauth/authorize`, `/oauth/token`, `/oauth/logout`),
//! served on the same origin as the API.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{Duration, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::api::Params;
use crate::tokens::AuthCode;
use crate::world::Shared;

/// Authorization codes live this long.
pub const CODE_TTL_SECS: i64 = 60;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/oauth/authorize", get(authorize))
        .route("/oauth/token", post(token))
        .route("/oauth/logout", get(logout))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The login host's error page, shown instead of redirecting to an untrusted redirect_uri.
fn error_page(message: &str) -> Response {
    let body = format!(
        "<!doctype html><html><head><title>Sign-in error</title></head><body><h1>Sign-in error</h1><p>{}</p></body></html>",
        escape(message)
    );
    (StatusCode::BAD_REQUEST, Html(body)).into_response()
}

fn redirect(redirect_uri: &str, pairs: &[(&str, &str)]) -> Response {
    match url::Url::parse(redirect_uri) {
        Ok(mut u) => {
            if !pairs.is_empty() {
                let mut q = u.query_pairs_mut();
                for (k, v) in pairs {
                    q.append_pair(k, v);
                }
            }
            (StatusCode::FOUND, [(header::LOCATION, u.to_string())]).into_response()
        }
        Err(_) => error_page("The registered redirect_uri is not a valid URL."),
    }
}

/// Whether a PKCE value (verifier or challenge) has the RFC 7636 form.
pub fn valid_pkce_value(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~'))
}

/// BASE64URL(SHA-256(verifier)) without padding.
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

async fn authorize(State(shared): State<Arc<Shared>>, RawQuery(q): RawQuery) -> Response {
    let params = Params::parse(q.as_deref());
    let Some(client_id) = params.get("client_id").filter(|s| !s.is_empty()) else {
        return error_page("The request is missing client_id.");
    };
    let mut w = shared.lock();
    let Some(client) = w.clients.get(client_id).cloned() else {
        return error_page(&format!("Unknown OAuth client [{client_id}]."));
    };
    let Some(redirect_uri) = params.get("redirect_uri") else {
        return error_page("The request is missing redirect_uri.");
    };
    if !client.redirect_uris.iter().any(|r| r == redirect_uri) {
        return error_page(&format!(
            "redirect_uri [{redirect_uri}] is not registered for client [{client_id}]."
        ));
    }
    let state = params.get("state");
    let fail = |error: &str, description: &str| {
        let mut pairs = vec![("error", error), ("error_description", description)];
        if let Some(s) = state {
            pairs.push(("state", s));
        }
        redirect(redirect_uri, &pairs)
    };
    if params.get("response_type") != Some("code") {
        return fail(
            "unsupported_response_type",
            "response_type must be code (the emulator does not implement the implicit grant).",
        );
    }
    if !client.allows("authorization_code") {
        return fail(
            "unauthorized_client",
            "This client may not use the authorization code grant.",
        );
    }
    let challenge = params.get("code_challenge");
    let method = params.get("code_challenge_method");
    if client.is_public() && challenge.is_none() {
        return fail(
            "invalid_request",
            "code_challenge is required for this client (PKCE).",
        );
    }
    if challenge.is_some() && method != Some("S256") {
        return fail("invalid_request", "code_challenge_method must be S256.");
    }
    if let Some(c) = challenge {
        if !valid_pkce_value(c) {
            return fail(
                "invalid_request",
                "code_challenge must be 43-128 characters of [A-Za-z0-9-._~].",
            );
        }
    }
    let hint = params
        .get("login_hint")
        .unwrap_or(crate::scenario::SUPERVISOR_EMAIL);
    let email = hint.split(':').next().unwrap_or(hint);
    let Some(user_id) = w.user_by_email(email).map(|u| u.id.clone()) else {
        return fail(
            "access_denied",
            &format!("No user [{email}] in this organization."),
        );
    };
    let code = w.tokens.new_code(AuthCode {
        client_id: client.id.clone(),
        user_id,
        redirect_uri: redirect_uri.to_owned(),
        challenge: challenge.map(str::to_owned),
        expires_at: Utc::now() + Duration::seconds(CODE_TTL_SECS),
    });
    drop(w);
    let mut pairs = vec![("code", code.as_str())];
    if let Some(s) = state {
        pairs.push(("state", s));
    }
    redirect(redirect_uri, &pairs)
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(
            json!({"error": error, "description": description, "error_description": description}),
        ),
    )
        .into_response()
}

fn basic_auth(headers: &HeaderMap) -> Option<Result<(String, String), ()>> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = v.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Some(Err(()));
    }
    let decoded = STANDARD.decode(rest.trim()).ok();
    let pair = decoded
        .and_then(|d| String::from_utf8(d).ok())
        .and_then(|s| s.split_once(':').map(|(a, b)| (a.to_owned(), b.to_owned())));
    Some(pair.ok_or(()))
}

async fn token(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The body must be application/x-www-form-urlencoded.",
        );
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .fold(HashMap::new(), |mut m, (k, v)| {
            m.entry(k).or_insert(v);
            m
        });
    let Some(grant) = form.get("grant_type").map(String::as_str) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "grant_type is required.",
        );
    };
    if !matches!(
        grant,
        "authorization_code" | "refresh_token" | "client_credentials"
    ) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("The grant type [{grant}] is not supported."),
        );
    }
    // Client authentication: Basic for confidential clients, client_id alone for public ones.
    let mut w = shared.lock();
    let client = match basic_auth(&headers) {
        Some(Ok((id, secret))) => match w.clients.get(&id) {
            Some(c) if c.secret.as_deref() == Some(secret.as_str()) => c.clone(),
            _ => {
                return oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "Client authentication failed.",
                );
            }
        },
        Some(Err(())) => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Malformed Authorization header (expected Basic).",
            );
        }
        None => match form.get("client_id").and_then(|id| w.clients.get(id)) {
            Some(c) if c.is_public() => c.clone(),
            Some(_) => {
                return oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "This client must authenticate with HTTP Basic.",
                );
            }
            None => {
                return oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "Unknown client or missing client authentication.",
                );
            }
        },
    };
    if !client.allows(grant) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            &format!("This client may not use the {grant} grant."),
        );
    }
    let ttl = shared.config.token_ttl;
    let issued = match grant {
        "client_credentials" => w.tokens.issue(&client.id, None, ttl, None, false),
        "authorization_code" => {
            let Some(code) = form.get("code") else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "code is required.",
                );
            };
            let Some(record) = w.tokens.take_code(code) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The authorization code is invalid, expired or already used.",
                );
            };
            if record.client_id != client.id || record.expires_at <= Utc::now() {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The authorization code is invalid, expired or already used.",
                );
            }
            if let Some(r) = form.get("redirect_uri") {
                if *r != record.redirect_uri {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "redirect_uri does not match the one used to authorize.",
                    );
                }
            }
            if let Some(challenge) = &record.challenge {
                let Some(verifier) = form.get("code_verifier") else {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_request",
                        "code_verifier is required.",
                    );
                };
                if !valid_pkce_value(verifier) {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_request",
                        "code_verifier must be 43-128 characters of [A-Za-z0-9-._~].",
                    );
                }
                if s256(verifier) != *challenge {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "code_verifier does not match the code_challenge.",
                    );
                }
            }
            let refresh = !client.is_public() && client.allows("refresh_token");
            w.tokens
                .issue(&client.id, Some(&record.user_id), ttl, None, refresh)
        }
        _ => {
            let Some(rt) = form.get("refresh_token") else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "refresh_token is required.",
                );
            };
            let Some(record) = w.tokens.take_refresh(rt) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The refresh token is invalid or revoked.",
                );
            };
            if record.client_id != client.id {
                w.tokens.restore_refresh(rt.clone(), record);
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The refresh token was issued to another client.",
                );
            }
            if !w.users.contains_key(&record.user_id) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The refresh token's user no longer exists.",
                );
            }
            w.tokens.issue(
                &client.id,
                Some(&record.user_id),
                ttl,
                Some(record.session),
                true,
            )
        }
    };
    drop(w);
    let mut body = json!({
        "access_token": issued.access_token,
        "token_type": "bearer",
        "expires_in": issued.expires_in,
    });
    if let Some(r) = issued.refresh_token {
        body["refresh_token"] = r.into();
    }
    (
        StatusCode::OK,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
        .into_response()
}

async fn logout(State(shared): State<Arc<Shared>>, RawQuery(q): RawQuery) -> Response {
    let params = Params::parse(q.as_deref());
    let target = {
        let w = shared.lock();
        match (params.get("client_id"), params.get("redirect_uri")) {
            (Some(c), Some(r)) => w
                .clients
                .get(c)
                .filter(|cl| cl.redirect_uris.iter().any(|u| u == r))
                .map(|_| r.to_owned()),
            _ => None,
        }
    };
    match target {
        Some(r) => redirect(&r, &[]),
        None => Html("<!doctype html><html><body><p>You are signed out.</p></body></html>")
            .into_response(),
    }
}
