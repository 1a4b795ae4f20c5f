//! The platform REST API (`/api/v2/...`), split by area.

pub mod analytics;
pub mod conversations;
pub mod notifications;
pub mod routing;
pub mod tokens;
pub mod users;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use serde_json::{Value, json};

use crate::errors::ApiError;
use crate::tokens::Principal;
use crate::world::Shared;

/// Every `/api/v2` route.
pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .merge(users::routes())
        .merge(tokens::routes())
        .merge(routing::routes())
        .merge(analytics::routes())
        .merge(conversations::routes())
        .merge(notifications::routes())
}

/// Query parameters, keeping repeats (`id=a&id=b`); unknown ones are simply never read.
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Parses a raw query string.
    pub fn parse(raw: Option<&str>) -> Self {
        Params(
            raw.map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default(),
        )
    }

    /// The first value of a parameter (names compared case-insensitively).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a parameter, comma-separated lists split.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// A boolean parameter (`true`/`false`), default when absent.
    pub fn flag(&self, name: &str, default: bool) -> Result<bool, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(ApiError::invalid_value(v, "Boolean", "true, false")),
        }
    }

    /// Paging from `pageNumber`/`pageSize`.
    pub fn page(&self, default_size: usize) -> Result<Page, ApiError> {
        let parse = |name: &str, default: usize| -> Result<usize, ApiError> {
            match self.get(name) {
                None => Ok(default),
                Some(v) => v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| ApiError::invalid_value(v, "Integer", "a positive integer")),
            }
        };
        let size = parse("pageSize", default_size)?;
        if size > 500 {
            return Err(ApiError::bad_request("pageSize must be at most 500"));
        }
        Ok(Page {
            number: parse("pageNumber", 1)?,
            size,
        })
    }
}

/// A requested page.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub number: usize,
    pub size: usize,
}

impl Page {
    /// The platform's entity listing with paging fields and URIs.
    pub fn listing(&self, all: Vec<Value>, path: &str) -> Value {
        let total = all.len();
        let page_count = total.div_ceil(self.size).max(1);
        let start = (self.number - 1).saturating_mul(self.size);
        let entities: Vec<Value> = all.into_iter().skip(start).take(self.size).collect();
        let uri = |n: usize| format!("{path}?pageSize={}&pageNumber={n}", self.size);
        let mut v = json!({
            "entities": entities,
            "pageSize": self.size,
            "pageNumber": self.number,
            "total": total,
            "pageCount": page_count,
            "firstUri": uri(1),
            "lastUri": uri(page_count),
            "selfUri": uri(self.number),
        });
        if self.number < page_count {
            v["nextUri"] = uri(self.number + 1).into();
        }
        if self.number > 1 {
            v["previousUri"] = uri(self.number - 1).into();
        }
        v
    }
}

/// Parses a JSON request body; an empty body counts as `{}` when `empty_ok`.
pub fn json_body(bytes: &Bytes, empty_ok: bool) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return if empty_ok {
            Ok(Value::Object(Default::default()))
        } else {
            Err(ApiError::bad_request("The request body is missing."))
        };
    }
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(format!(
            "The request could not be understood by the server due to malformed syntax: {e}"
        ))
    })
}

/// The caller's user id, or 400 not.a.user for client-credentials tokens.
pub fn require_user(p: &Principal) -> Result<&str, ApiError> {
    p.user_id.as_deref().ok_or_else(ApiError::not_a_user)
}

/// 403 missing.any.permissions unless the caller holds one of the permissions.
pub fn require_any(p: &Principal, any_of: &[&str]) -> Result<(), ApiError> {
    if any_of.iter().any(|perm| p.has(perm)) {
        Ok(())
    } else {
        Err(ApiError::missing_permissions(any_of))
    }
}

/// Reads an optional boolean field; wrong type -> 400 invalid.value.
pub fn opt_bool(
    obj: &serde_json::Map<String, Value>,
    field: &str,
) -> Result<Option<bool>, ApiError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(ApiError::invalid_value(
            &value_text(other),
            "Boolean",
            "true, false",
        )),
    }
}

/// A JSON value as the platform quotes it in messages.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
