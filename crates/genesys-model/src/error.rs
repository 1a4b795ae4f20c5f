//! The vendor error body and decoding that names the JSON path that failed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::common::null_as_default;

/// `ErrorBody`: what every Genesys error response carries; the UI shows `code`/`message`, support wants `contextId`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// Human text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Machine code, e.g. `conversation.error.call.disconnected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// HTTP status echoed in the body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Entity the error is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
    /// Entity name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_name: Option<String>,
    /// Message template with `{param}` placeholders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_with_params: Option<String>,
    /// Values for the template.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub message_params: BTreeMap<String, String>,
    /// Server-side context id for support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_id: Option<String>,
    /// Field-level details.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub details: Vec<ErrorDetail>,
    /// Nested errors.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub errors: Vec<ErrorBody>,
    /// The limit that was hit, on limit errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<ErrorLimit>,
}

impl ErrorBody {
    /// The message with its parameters filled in, falling back to `message`.
    pub fn rendered_message(&self) -> Option<String> {
        match &self.message_with_params {
            Some(template) if !self.message_params.is_empty() => {
                let mut out = template.clone();
                for (key, value) in &self.message_params {
                    out = out.replace(&format!("{{{key}}}"), value);
                }
                Some(out)
            }
            _ => self
                .message
                .clone()
                .or_else(|| self.message_with_params.clone()),
        }
    }
}

/// The vendor's machine codes (`ErrorBody::code`) the code acts on or explains, named once so every
/// comparison uses the same spelling. Where each comes from is in docs/genesys-api.md; a code not
/// listed here is shown with the platform's own message.
pub mod codes {
    /// 400 on a PATCH of a leg that has already left the call.
    pub const CALL_DISCONNECTED: &str = "conversation.error.call.disconnected";
    /// 404: the conversation no longer exists.
    pub const CONVERSATION_NOT_FOUND: &str = "conversation.error.conversation.not.found";
    /// 403: the caller is not on the call and may not act on other people's calls.
    pub const NOT_CONVERSATION_PARTICIPANT: &str =
        "conversation.error.not.conversation.participant";
    /// 403: the caller is on the call but not an active party.
    pub const FORBIDDEN_NOT_ACTIVE_PARTICIPANT: &str =
        "conversation.error.forbidden.not.active.participant";
    /// 400: a ringing leg cannot be held.
    pub const HOLD_ALERTING: &str = "conversation.error.hold.alerting";
    /// 400: confining needs a conference.
    pub const CANNOT_CONFINE_PARTY: &str = "conversation.error.cannot.confine.party";
    /// 400: the platform cannot disconnect this call.
    pub const CANNOT_DISCONNECT_CALL: &str = "conversation.error.cannot.disconnect.call";
    /// 400: the token is a client-credentials token, not a user's.
    pub const NOT_A_USER: &str = "not.a.user";
    /// 403: the role lacks any of the permissions the call needs.
    pub const MISSING_ANY_PERMISSIONS: &str = "missing.any.permissions";
    /// 403: the role lacks the permissions the call needs.
    pub const MISSING_PERMISSIONS: &str = "missing.permissions";
    /// 403: not authorised for this resource.
    pub const NOT_AUTHORIZED: &str = "not.authorized";
    /// 404: the entity (participant, user, ...) is unknown.
    pub const NOT_FOUND: &str = "not.found";
    /// 400: the request body or parameters are invalid.
    pub const BAD_REQUEST: &str = "bad.request";
    /// 400: a field has a value the platform does not accept.
    pub const INVALID_VALUE: &str = "invalid.value";
    /// 429: rate limited.
    pub const TOO_MANY_REQUESTS: &str = "too.many.requests";
    /// 401: the token is not (or no longer) valid.
    pub const BAD_CREDENTIALS: &str = "bad.credentials";
    /// 401: no token was sent.
    pub const AUTHENTICATION_REQUIRED: &str = "authentication.required";
    /// 500: the platform failed.
    pub const INTERNAL_SERVER_ERROR: &str = "internal.server.error";
    /// 503: the platform is unavailable for a while.
    pub const SERVICE_UNAVAILABLE: &str = "service.unavailable";
    /// The platform timed out.
    pub const REQUEST_TIMEOUT: &str = "request.timeout";
    /// 400 on a channel's subscription PUT: more topics than the channel may carry.
    pub const TOO_MANY_SUBSCRIPTIONS: &str = "notification.subscription.too.many.subscriptions";
}

/// `Detail` inside an error body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    /// Code of this detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The offending field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_name: Option<String>,
    /// Entity id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
    /// Entity name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_name: Option<String>,
}

/// `Limit` inside an error body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorLimit {
    /// Limit key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Namespace (a long, growing list: kept as text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Limit value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<i64>,
}

/// A JSON document did not match the model; `path` says where (e.g. `participants[2].state`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON at `{path}`: {message}")]
pub struct DecodeError {
    path: String,
    message: String,
}

impl DecodeError {
    /// Builds an error for a path the caller computed (e.g. a field of the notification envelope).
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }

    /// Where in the document decoding failed (`.` for the root).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What was wrong there.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error, located inside a parent field (e.g. `eventBody`).
    pub fn within(self, parent: &str) -> Self {
        let path = if self.path == "." {
            parent.to_owned()
        } else {
            format!("{parent}.{}", self.path)
        };
        Self {
            path,
            message: self.message,
        }
    }
}

/// Decodes `bytes` as `T`. The fast path is plain serde_json; only on failure is the document decoded
/// again with path tracking, so successful decodes pay nothing for good error messages.
pub fn decode<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, DecodeError> {
    match serde_json::from_slice(bytes) {
        Ok(value) => Ok(value),
        Err(fast) => Err(decode_tracked::<T>(bytes)
            .err()
            .unwrap_or_else(|| DecodeError::new(".", fast.to_string()))),
    }
}

/// [`decode`] for text.
pub fn decode_str<'de, T: Deserialize<'de>>(text: &'de str) -> Result<T, DecodeError> {
    decode(text.as_bytes())
}

fn decode_tracked<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, DecodeError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| DecodeError::new(e.path().to_string(), e.into_inner().to_string()))?;
    de.end().map_err(|e| DecodeError::new(".", e.to_string()))?;
    Ok(value)
}
