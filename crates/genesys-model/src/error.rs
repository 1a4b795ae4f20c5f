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
