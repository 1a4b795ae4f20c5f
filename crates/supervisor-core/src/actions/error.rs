//! Action failures that are not outcomes: nothing was changed (or nothing could be learnt), and
//! the UI acts on the code.

use std::time::Duration;

use genesys_model::{ConversationId, ParticipantId};

use super::outcome::ActionReport;
use super::plan::DropPlan;
use crate::error::ErrorCode;

/// Why an action (or its plan) did not produce an outcome. Each variant has a stable [`code`]
/// matching the IPC error codes (`NotSignedIn`, `SessionExpired`, `Forbidden`, `ParticipantGone`,
/// `RateLimited`, `Unreachable`, `PlanExpired`, `InvalidArgument`, `Internal`).
///
/// [`code`]: ActionError::code
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ActionError {
    /// Nobody is signed in.
    #[error("you are not signed in; sign in to your Genesys Cloud organisation first")]
    NotSignedIn,
    /// The session expired or was revoked. Nothing is queued: every later action fails the same way
    /// without a request until the user signs in again (and a new `Actions` is built).
    #[error("your session has expired or was revoked; sign in again (nothing was sent)")]
    SessionExpired,
    /// Refused locally: the signed-in user lacks the permission to act on someone else's leg.
    #[error(
        "you cannot {verb} {party}: acting on someone else's call needs the Genesys Cloud permission \
         {permission}, which your role does not have; ask your administrator (nothing was sent)"
    )]
    Forbidden {
        /// The action's verb.
        verb: &'static str,
        /// Who it was for.
        party: String,
        /// The missing permission.
        permission: &'static str,
    },
    /// The conversation or the participant is not (any more) on the platform, or the leg is in a
    /// state nothing can be done with.
    #[error("{detail}")]
    ParticipantGone {
        /// The conversation.
        conversation_id: ConversationId,
        /// The participant, when the conversation exists.
        participant_id: Option<ParticipantId>,
        /// Plain words.
        detail: String,
    },
    /// Genesys kept answering 429 beyond the retry budget; nothing was executed.
    #[error("Genesys Cloud is rate-limiting requests{}; nothing was changed, try again shortly", retry_after.map(|d| format!(" (retry after {} s)", d.as_secs().max(1))).unwrap_or_default())]
    RateLimited {
        /// What the platform asked for.
        retry_after: Option<Duration>,
        /// `ININ-Correlation-Id` of the last 429.
        correlation_id: Option<String>,
    },
    /// The platform could not be reached or failed, and nothing could be verified.
    #[error(
        "Genesys Cloud could not be reached or failed ({detail}); check the connection and try again"
    )]
    Unreachable {
        /// What failed.
        detail: String,
        /// `ININ-Correlation-Id`, when a response arrived.
        correlation_id: Option<String>,
    },
    /// The plan is too old, or the call changed so that its consequences differ: plan again and
    /// ask the supervisor again. Carries the fresh plan when one could be made.
    #[error("{reason}; review the new situation and confirm again (nothing was sent)")]
    PlanExpired {
        /// What changed.
        reason: String,
        /// The plan for the situation now.
        fresh: Option<Box<DropPlan>>,
    },
    /// The request could not be built (an empty id, say).
    #[error("invalid request: {0}")]
    InvalidArgument(String),
    /// The action ran but its audit record could not be written: the outcome is here, and the
    /// supervisor must be told it is not in the log.
    #[error("the action's outcome ({}) could not be written to the audit log: {detail}", report.outcome.name())]
    AuditFailed {
        /// The outcome that was reached.
        report: Box<ActionReport>,
        /// The file system error.
        detail: String,
    },
    /// A bug or an unexpected platform answer.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ActionError {
    /// The code the UI switches on (the IPC error answers with it unchanged).
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NotSignedIn => ErrorCode::NotSignedIn,
            Self::SessionExpired => ErrorCode::SessionExpired,
            Self::Forbidden { .. } => ErrorCode::Forbidden,
            Self::ParticipantGone { .. } => ErrorCode::ParticipantGone,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Unreachable { .. } => ErrorCode::Unreachable,
            Self::PlanExpired { .. } => ErrorCode::PlanExpired,
            Self::InvalidArgument(_) => ErrorCode::InvalidArgument,
            Self::AuditFailed { .. } | Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// `ININ-Correlation-Id` of the failed call, when there was one.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            Self::RateLimited { correlation_id, .. } | Self::Unreachable { correlation_id, .. } => {
                correlation_id.as_deref()
            }
            Self::AuditFailed { report, .. } => report.correlation_id.as_deref(),
            _ => None,
        }
    }

    /// For `RateLimited`: how long the platform asked to wait.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}
