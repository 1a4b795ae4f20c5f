//! The provisioning seam: create a channel and replace its subscriptions.
//!
//! The state machine only needs these two REST calls, so they sit behind a small trait: production implements
//! it on top of `genesys-client` ([`crate::ClientProvisioner`]), tests script it without HTTP.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use genesys_model::ids::ChannelId;

use crate::cause::Cause;

/// A notification channel as the platform created it: where to connect and until when it lives.
#[derive(Clone, PartialEq, Eq)]
pub struct ChannelInfo {
    /// The channel id (`streaming-…`), the key of its subscriptions.
    pub id: ChannelId,
    /// The WebSocket URI (`wss://streaming.{domain}/channels/{id}`, or `ws://127.0.0.1:…` on the emulator).
    pub connect_uri: String,
    /// When the channel lapses; the client replaces it ahead of this time. `None` means "unknown, never renew".
    pub expires: Option<DateTime<Utc>>,
}

impl fmt::Debug for ChannelInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The connect URI holds no secret, but the id already identifies it; keep logs short.
        f.debug_struct("ChannelInfo")
            .field("id", &self.id)
            .field("expires", &self.expires)
            .finish()
    }
}

/// One topic the platform accepted into the list but will not deliver (`ChannelTopic.state = Rejected`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectedTopic {
    /// The topic as subscribed.
    pub topic: String,
    /// The platform's reason, plus any missing permissions, for the UI.
    pub reason: String,
}

/// Why a provisioning call failed, sorted by what the state machine must do about it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProvisionError {
    /// 401 (expired or revoked token): close and ask for a new sign-in; never retried.
    #[error("not authorised (HTTP {status}); the session expired or was revoked")]
    Unauthorized {
        /// The HTTP status (401).
        status: u16,
        /// The response's `ININ-Correlation-Id`, for support.
        correlation_id: Option<String>,
    },
    /// A refusal retrying cannot fix (400 invalid topic without ignoreErrors, 403, ...).
    #[error("refused (HTTP {status}{}): {message}", code.as_deref().map(|c| format!(" {c}")).unwrap_or_default())]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The vendor error code from the body.
        code: Option<String>,
        /// The vendor message from the body.
        message: String,
        /// The response's `ININ-Correlation-Id`, for support.
        correlation_id: Option<String>,
    },
    /// 404 on a channel: it was evicted (20 per user) or lapsed; a new channel fixes it.
    #[error("the notification channel no longer exists")]
    ChannelGone,
    /// 429: retry no sooner than `retry_after`.
    #[error("rate limited (retry after {retry_after:?})")]
    RateLimited {
        /// The `Retry-After` the platform asked for.
        retry_after: Option<Duration>,
    },
    /// Network failures, timeouts and 5xx: retry with backoff.
    #[error("transient failure: {message}")]
    Transient {
        /// The HTTP status when there was a response.
        status: Option<u16>,
        /// What went wrong.
        message: String,
        /// The REST client's error, when there was one, kept for the chain.
        #[source]
        source: Option<Cause>,
    },
}

/// The vendor code of a PUT refused because the list exceeds the platform's topics per channel.
pub const TOO_MANY_SUBSCRIPTIONS: &str = genesys_model::error::codes::TOO_MANY_SUBSCRIPTIONS;

impl ProvisionError {
    /// True for a 400 `notification.subscription.too.many.subscriptions`: the PUT was refused whole and
    /// the channel keeps its previous list; the client reports the topics instead of closing.
    pub fn is_too_many_subscriptions(&self) -> bool {
        matches!(self, Self::Rejected { code: Some(code), .. } if code == TOO_MANY_SUBSCRIPTIONS)
    }

    /// Sorts an HTTP error response into the kinds above, so every `Provisioner` classifies alike.
    pub fn from_http(
        status: u16,
        code: Option<String>,
        message: String,
        correlation_id: Option<String>,
        retry_after: Option<Duration>,
    ) -> Self {
        match status {
            401 => Self::Unauthorized {
                status,
                correlation_id,
            },
            404 => Self::ChannelGone,
            408 => Self::Transient {
                status: Some(status),
                message,
                source: None,
            },
            429 => Self::RateLimited { retry_after },
            400..=499 => Self::Rejected {
                status,
                code,
                message,
                correlation_id,
            },
            _ => Self::Transient {
                status: Some(status),
                message,
                source: None,
            },
        }
    }
}

/// The two REST calls behind a notification channel, so the state machine is testable without HTTP.
///
/// Implementations should subscribe with `ignoreErrors=true`, so one topic the user may not see comes back as a
/// [`RejectedTopic`] instead of failing (and closing) the whole connection.
pub trait Provisioner: Send + Sync + 'static {
    /// `POST /api/v2/notifications/channels`.
    fn create_channel(&self) -> impl Future<Output = Result<ChannelInfo, ProvisionError>> + Send;

    /// `PUT /api/v2/notifications/channels/{id}/subscriptions` with `[{"id": topic}, ...]`: replaces the whole list.
    fn replace_subscriptions(
        &self,
        channel: &ChannelId,
        topics: &[String],
    ) -> impl Future<Output = Result<Vec<RejectedTopic>, ProvisionError>> + Send;
}

impl<P: Provisioner> Provisioner for Arc<P> {
    fn create_channel(&self) -> impl Future<Output = Result<ChannelInfo, ProvisionError>> + Send {
        (**self).create_channel()
    }

    fn replace_subscriptions(
        &self,
        channel: &ChannelId,
        topics: &[String],
    ) -> impl Future<Output = Result<Vec<RejectedTopic>, ProvisionError>> + Send {
        (**self).replace_subscriptions(channel, topics)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_statuses_sort_into_actions() {
        let f = |s| ProvisionError::from_http(s, Some("c".into()), "m".into(), None, None);
        assert!(matches!(
            f(401),
            ProvisionError::Unauthorized { status: 401, .. }
        ));
        assert!(matches!(f(404), ProvisionError::ChannelGone));
        assert!(matches!(f(408), ProvisionError::Transient { .. }));
        assert!(matches!(f(429), ProvisionError::RateLimited { .. }));
        assert!(matches!(
            f(400),
            ProvisionError::Rejected { status: 400, .. }
        ));
        assert!(matches!(
            f(403),
            ProvisionError::Rejected { status: 403, .. }
        ));
        assert!(matches!(
            f(500),
            ProvisionError::Transient {
                status: Some(500),
                ..
            }
        ));
        assert!(matches!(f(503), ProvisionError::Transient { .. }));
        assert_eq!(f(400).to_string(), "refused (HTTP 400 c): m");
        let retry = Some(Duration::from_secs(7));
        assert_eq!(
            ProvisionError::from_http(
                429,
                Some(genesys_model::error::codes::TOO_MANY_REQUESTS.into()),
                "m".into(),
                None,
                retry
            ),
            ProvisionError::RateLimited { retry_after: retry },
            "a 429 keeps its Retry-After whatever the body says"
        );
        let too_many = ProvisionError::from_http(
            400,
            Some(TOO_MANY_SUBSCRIPTIONS.into()),
            "Too many subscriptions".into(),
            None,
            None,
        );
        assert!(too_many.is_too_many_subscriptions());
        assert!(!f(400).is_too_many_subscriptions());
        assert!(!f(429).is_too_many_subscriptions());
    }
}
