//! The platform's error body (`ErrorBody`) and the error codes the emulator answers with.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::change::ChangeError;

tokio::task_local! {
    /// The correlation id of the request being handled (also the error body's `contextId`).
    pub static CORRELATION_ID: String;
}

/// The current request's correlation id (a fresh one outside a request).
pub fn correlation_id() -> String {
    CORRELATION_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| uuid::Uuid::new_v4().to_string())
}

/// An API error rendered as `ErrorBody` with the request's correlation id as `contextId`.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub message_with_params: Option<String>,
    pub params: Map<String, Value>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with a fixed message.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
            message_with_params: None,
            params: Map::new(),
            retry_after: None,
        }
    }

    /// 400 bad.request (malformed JSON, wrong body shape).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad.request", message)
    }

    /// 400 invalid.value with the platform's message template.
    pub fn invalid_value(value: &str, field_type: &str, allowable: &str) -> Self {
        let mut e = Self::new(
            StatusCode::BAD_REQUEST,
            "invalid.value",
            format!(
                "Value [{value}] is not valid for field type [{field_type}]. Allowable values are: {allowable}"
            ),
        );
        e.message_with_params = Some(
            "Value [{value}] is not valid for field type [{type}]. Allowable values are: {allowable}"
                .to_owned(),
        );
        e.params.insert("value".into(), value.into());
        e.params.insert("type".into(), field_type.into());
        e.params.insert("allowable".into(), allowable.into());
        e
    }

    /// 400 invalid.date.
    pub fn invalid_date(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid.date", message)
    }

    /// 404 not.found.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not.found", message)
    }

    /// 404 conversation.error.conversation.not.found.
    pub fn conversation_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "conversation.error.conversation.not.found",
            "The conversation does not exist.",
        )
    }

    /// 401 authentication.required.
    pub fn authentication_required() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "authentication.required",
            "No authentication bearer token specified in authorization header.",
        )
    }

    /// 401 bad.credentials.
    pub fn bad_credentials() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "bad.credentials",
            "Invalid login credentials.",
        )
    }

    /// 400 not.a.user (client-credentials token on a user-only resource).
    pub fn not_a_user() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "not.a.user",
            "This request requires a user context. Client credentials cannot be used for requests to this resource.",
        )
    }

    /// 403 missing.any.permissions.
    pub fn missing_permissions(any_of: &[&str]) -> Self {
        let list = any_of.join(", ");
        let mut e = Self::new(
            StatusCode::FORBIDDEN,
            "missing.any.permissions",
            format!(
                "Unable to perform the requested action. You must have at least one of the following permissions assigned: [{list}]"
            ),
        );
        e.message_with_params = Some(
            "Unable to perform the requested action. You must have at least one of the following permissions assigned: {permissions}".to_owned(),
        );
        e.params
            .insert("permissions".into(), format!("[{list}]").into());
        e
    }

    /// 429 too.many.requests with Retry-After.
    pub fn too_many_requests(limit: u32, window_secs: u64, retry_after: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too.many.requests",
            format!(
                "Rate limit exceeded the maximum [{limit}] requests within [{window_secs}] seconds"
            ),
        );
        e.message_with_params = Some(
            "Rate limit exceeded the maximum [{limit}] requests within [{window}] seconds"
                .to_owned(),
        );
        e.params.insert("limit".into(), limit.to_string().into());
        e.params
            .insert("window".into(), window_secs.to_string().into());
        e.retry_after = Some(retry_after.max(1));
        e
    }

    /// An arbitrary status forced by the server_error fault.
    pub fn forced(status: u16) -> Self {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let (code, message) = match status.as_u16() {
            503 => (
                "service.unavailable",
                "Service Unavailable - The server is currently unavailable (because it is overloaded or down for maintenance).",
            ),
            504 => ("request.timeout", "The request timed out."),
            502 => (
                "bad.gateway",
                "The server received an invalid response from an upstream server.",
            ),
            429 => ("too.many.requests", "Rate limit exceeded"),
            s if s < 500 => (
                "bad.request",
                "The request could not be understood by the server due to malformed syntax.",
            ),
            _ => (
                "internal.server.error",
                "The server encountered an unexpected condition which prevented it from fulfilling the request.",
            ),
        };
        Self::new(status, code, message)
    }

    /// The ErrorBody JSON for a given context id.
    pub fn body(&self, context_id: &str) -> Value {
        json!({
            "message": self.message,
            "code": self.code,
            "status": self.status.as_u16(),
            "messageWithParams": self.message_with_params.clone().unwrap_or_else(|| self.message.clone()),
            "messageParams": self.params,
            "contextId": context_id,
            "details": [],
            "errors": [],
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.body(&correlation_id());
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}

impl From<ChangeError> for ApiError {
    fn from(e: ChangeError) -> Self {
        match e {
            ChangeError::ConversationNotFound => ApiError::conversation_not_found(),
            ChangeError::ParticipantNotFound(id) => ApiError::not_found(format!(
                "The participant [{id}] is not part of this conversation."
            )),
            ChangeError::CommunicationNotFound(id) => ApiError::not_found(format!(
                "The communication [{id}] is not part of this participant."
            )),
            ChangeError::ConversationEnded | ChangeError::LegEnded => ApiError::new(
                StatusCode::BAD_REQUEST,
                "conversation.error.call.disconnected",
                "The call is already disconnected.",
            ),
            ChangeError::HoldAlerting => ApiError::new(
                StatusCode::BAD_REQUEST,
                "conversation.error.hold.alerting",
                "An alerting call cannot be placed on hold.",
            ),
            ChangeError::CannotConfine => ApiError::new(
                StatusCode::BAD_REQUEST,
                "conversation.error.cannot.confine.party",
                "Unable to confine the party: confining is only possible in a conference.",
            ),
            ChangeError::UnknownUser(id) => ApiError::not_found(format!("User [{id}] not found.")),
            ChangeError::UnknownQueue(id) => {
                ApiError::not_found(format!("Queue [{id}] not found."))
            }
            ChangeError::Invalid(m) => ApiError::bad_request(m),
        }
    }
}
