//! One error type with a kind the caller switches on, plus everything support needs: HTTP status,
//! the vendor's error body, the `ININ-Correlation-Id`, and for decode failures the JSON path.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use genesys_model::{ErrorBody, OAuthErrorBody};

/// What went wrong, in terms the caller can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 400: the request was refused as invalid (see the vendor `code`, e.g. `conversation.error.call.disconnected`).
    BadRequest,
    /// 401: the token is missing, expired or revoked: the user must sign in again. Never retried.
    Unauthorized,
    /// 403: the user lacks a permission.
    Forbidden,
    /// 404: the conversation, participant or channel does not exist (or is not visible to this user).
    NotFound,
    /// 429 after the retry budget was spent; `retry_after` says when to try again.
    RateLimited,
    /// 5xx after retries (reads) or at once (writes, which are never repeated).
    Server,
    /// Another non-success status (409, 415, ...).
    UnexpectedStatus,
    /// No response: DNS, connect, TLS, timeout or a broken connection.
    Unreachable,
    /// The response did not match the model; `decode_path` names where.
    Decode,
    /// The configuration is unusable (e.g. plain http to a non-loopback host).
    InvalidConfig,
    /// The request could not be built (e.g. an empty id, an empty PATCH body).
    InvalidRequest,
    /// The token source had no token: nobody is signed in.
    NotSignedIn,
    /// The OAuth token endpoint refused (`invalid_grant`, `invalid_client`, ...).
    OAuth,
}

impl ErrorKind {
    fn describe(self) -> &'static str {
        match self {
            ErrorKind::BadRequest => "request refused",
            ErrorKind::Unauthorized => "not authorised (session expired or revoked: sign in again)",
            ErrorKind::Forbidden => "permission denied",
            ErrorKind::NotFound => "not found",
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::Server => "server error",
            ErrorKind::UnexpectedStatus => "unexpected response",
            ErrorKind::Unreachable => "Genesys Cloud unreachable",
            ErrorKind::Decode => "unexpected response shape",
            ErrorKind::InvalidConfig => "invalid configuration",
            ErrorKind::InvalidRequest => "invalid request",
            ErrorKind::NotSignedIn => "not signed in",
            ErrorKind::OAuth => "sign-in refused",
        }
    }

    /// Maps an HTTP status to a kind.
    pub fn from_status(status: u16) -> Self {
        match status {
            400 => ErrorKind::BadRequest,
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::UnexpectedStatus,
        }
    }
}

/// A failed Genesys call. Boxed inside so `Result<T, Error>` stays one pointer wide.
#[non_exhaustive]
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    route: &'static str,
    status: Option<u16>,
    body: Option<Box<ErrorBody>>,
    oauth: Option<Box<OAuthErrorBody>>,
    correlation_id: Option<String>,
    retry_after: Option<Duration>,
    decode_path: Option<String>,
    detail: Option<String>,
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, route: &'static str) -> Self {
        Self(Box::new(Inner {
            kind,
            route,
            status: None,
            body: None,
            oauth: None,
            correlation_id: None,
            retry_after: None,
            decode_path: None,
            detail: None,
            source: None,
        }))
    }

    pub(crate) fn invalid_config(detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidConfig, "config").with_detail(detail)
    }

    pub(crate) fn invalid_request(route: &'static str, detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidRequest, route).with_detail(detail)
    }

    pub(crate) fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.0.detail = Some(detail.into());
        self
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.0.status = Some(status);
        self
    }

    pub(crate) fn with_body(mut self, body: Option<ErrorBody>) -> Self {
        self.0.body = body.map(Box::new);
        self
    }

    pub(crate) fn with_oauth(mut self, body: Option<OAuthErrorBody>) -> Self {
        self.0.oauth = body.map(Box::new);
        self
    }

    pub(crate) fn with_correlation_id(mut self, id: Option<String>) -> Self {
        self.0.correlation_id = id;
        self
    }

    pub(crate) fn with_retry_after(mut self, after: Option<Duration>) -> Self {
        self.0.retry_after = after;
        self
    }

    pub(crate) fn with_decode_path(mut self, path: impl Into<String>) -> Self {
        self.0.decode_path = Some(path.into());
        self
    }

    pub(crate) fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.0.source = Some(Box::new(source));
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The route that failed (e.g. `patch_call_participant`), for logs and the audit trail.
    pub fn route(&self) -> &'static str {
        self.0.route
    }

    /// The HTTP status, when a response arrived.
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }

    /// The vendor error body, when the response carried one.
    pub fn body(&self) -> Option<&ErrorBody> {
        self.0.body.as_deref()
    }

    /// The vendor error code (`conversation.error.call.disconnected`, `too.many.requests`, ...).
    pub fn code(&self) -> Option<&str> {
        self.0
            .body
            .as_ref()
            .and_then(|b| b.code.as_deref())
            .or_else(|| self.0.oauth.as_ref().and_then(|o| o.error.as_deref()))
    }

    /// The vendor's human message, parameters filled in.
    pub fn vendor_message(&self) -> Option<String> {
        self.0
            .body
            .as_ref()
            .and_then(|b| b.rendered_message())
            .or_else(|| {
                self.0
                    .oauth
                    .as_ref()
                    .and_then(|o| o.text().map(str::to_owned))
            })
    }

    /// The OAuth error JSON, for token endpoint failures.
    pub fn oauth_error(&self) -> Option<&OAuthErrorBody> {
        self.0.oauth.as_deref()
    }

    /// `ININ-Correlation-Id` of the failed response: what Genesys support asks for.
    pub fn correlation_id(&self) -> Option<&str> {
        self.0.correlation_id.as_deref()
    }

    /// For 429 (and some 503): how long the server asked us to wait.
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// For decode errors: the JSON path that failed, e.g. `participants[2].state`.
    pub fn decode_path(&self) -> Option<&str> {
        self.0.decode_path.as_deref()
    }

    /// True for 401: the UI should say "sign in again", not "retry".
    pub fn is_session_expired(&self) -> bool {
        self.0.kind == ErrorKind::Unauthorized
    }

    /// True when no request was sent because the session ended (the token source said so, by
    /// kind): "sign in again", as opposed to never having signed in or a keyring fault.
    pub fn is_session_ended(&self) -> bool {
        self.0.kind == ErrorKind::NotSignedIn
            && self
                .0
                .source
                .as_deref()
                .and_then(|s| s.downcast_ref::<crate::auth::TokenError>())
                .is_some_and(|t| t.kind() == crate::auth::TokenErrorKind::SessionEnded)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.route, self.0.kind.describe())?;
        if let Some(status) = self.0.status {
            write!(f, " (HTTP {status})")?;
        }
        if let Some(code) = self.code() {
            write!(f, " [{code}]")?;
        }
        if let Some(message) = self.vendor_message() {
            write!(f, ": {message}")?;
        }
        if let Some(path) = &self.0.decode_path {
            write!(f, " at `{path}`")?;
        }
        if let Some(detail) = &self.0.detail {
            write!(f, ": {detail}")?;
        }
        if let Some(after) = self.0.retry_after {
            write!(f, "; retry after {}s", after.as_secs_f64().ceil())?;
        }
        if let Some(id) = &self.0.correlation_id {
            write!(f, " (correlation id {id})")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("route", &self.0.route)
            .field("status", &self.0.status)
            .field("code", &self.code())
            .field("correlation_id", &self.0.correlation_id)
            .field("retry_after", &self.0.retry_after)
            .field("decode_path", &self.0.decode_path)
            .field("detail", &self.0.detail)
            .field("source", &self.0.source)
            .finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|s| s as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_that_ended_is_told_by_kind_not_by_words() {
        use crate::auth::TokenError;
        let no_token = |e: TokenError| {
            Error::new(ErrorKind::NotSignedIn, "get_conversation")
                .with_detail(e.to_string())
                .with_source(e)
        };
        // Words that mention signing in again do not make it an ended session; the kind does.
        assert!(
            !no_token(TokenError::new("keyring locked; sign in again later")).is_session_ended()
        );
        assert!(!no_token(TokenError::not_signed_in()).is_session_ended());
        assert!(no_token(TokenError::session_ended("expired")).is_session_ended());
        // A 401 is "expired" (the platform said so), not "ended before sending".
        assert!(!Error::new(ErrorKind::Unauthorized, "get_conversation").is_session_ended());
    }

    #[test]
    fn display_carries_code_message_and_correlation_id() {
        let body = ErrorBody {
            code: Some("conversation.error.call.disconnected".into()),
            message: Some("The call is already disconnected.".into()),
            status: Some(400),
            ..ErrorBody::default()
        };
        let e = Error::new(ErrorKind::BadRequest, "patch_call_participant")
            .with_status(400)
            .with_body(Some(body))
            .with_correlation_id(Some("corr-1".into()));
        let text = e.to_string();
        assert!(text.contains("patch_call_participant"), "{text}");
        assert!(text.contains("HTTP 400"), "{text}");
        assert!(
            text.contains("conversation.error.call.disconnected"),
            "{text}"
        );
        assert!(text.contains("already disconnected"), "{text}");
        assert!(text.contains("corr-1"), "{text}");
        assert_eq!(e.code(), Some("conversation.error.call.disconnected"));
    }

    #[test]
    fn status_mapping() {
        assert_eq!(ErrorKind::from_status(400), ErrorKind::BadRequest);
        assert_eq!(ErrorKind::from_status(401), ErrorKind::Unauthorized);
        assert_eq!(ErrorKind::from_status(403), ErrorKind::Forbidden);
        assert_eq!(ErrorKind::from_status(404), ErrorKind::NotFound);
        assert_eq!(ErrorKind::from_status(429), ErrorKind::RateLimited);
        assert_eq!(ErrorKind::from_status(503), ErrorKind::Server);
        assert_eq!(ErrorKind::from_status(409), ErrorKind::UnexpectedStatus);
    }
}
