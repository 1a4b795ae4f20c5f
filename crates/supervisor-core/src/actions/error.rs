//! Action failures that are not outcomes: nothing was changed (or nothing could be learnt), and
//! the UI acts on the code. `Display` is for logs and the audit trail's support detail; the
//! sentence a supervisor reads is `present::error::action`.

use std::time::Duration;

use genesys_model::{ConversationId, ParticipantId};

use super::outcome::ActionReport;
use super::plan::DropPlan;
use crate::audit::AuditError;
use crate::error::ErrorCode;
use crate::roster::RosterError;

/// Why an action (or its plan) did not produce an outcome. Each variant has a stable [`code`]
/// matching the IPC error codes (`NotSignedIn`, `SessionExpired`, `Forbidden`, `ParticipantGone`,
/// `RateLimited`, `Unreachable`, `PlanExpired`, `InvalidArgument`, `Internal`).
///
/// [`code`]: ActionError::code
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ActionError {
    /// Nobody is signed in.
    #[error("not signed in")]
    NotSignedIn,
    /// The session expired or was revoked. Nothing is queued: every later action fails the same way
    /// without a request until the user signs in again (and a new `Actions` is built).
    #[error("session expired or revoked (nothing sent)")]
    SessionExpired,
    /// Refused locally: the signed-in user lacks the permission to act on someone else's leg.
    #[error("forbidden: {verb} {party} needs {permission} (nothing sent)")]
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
    #[error("participant gone from conversation {conversation_id}: {detail}")]
    ParticipantGone {
        /// The conversation.
        conversation_id: ConversationId,
        /// The participant, when the conversation exists.
        participant_id: Option<ParticipantId>,
        /// Plain words.
        detail: String,
    },
    /// Genesys kept answering 429 beyond the retry budget; nothing was executed.
    #[error("rate limited{} (nothing executed)", retry_after.map(|d| format!(", retry after {} s", d.as_secs().max(1))).unwrap_or_default())]
    RateLimited {
        /// What the platform asked for.
        retry_after: Option<Duration>,
        /// `ININ-Correlation-Id` of the last 429.
        correlation_id: Option<String>,
    },
    /// The platform could not be reached or failed, and nothing could be verified. The client's
    /// error is kept as the source (status, vendor code, correlation id, the I/O error below it).
    #[error(
        "unreachable or failed: {source}{}",
        unchanged.as_deref().map(|party| format!(" (change not seen afterwards: {party} most likely unchanged)")).unwrap_or_default()
    )]
    Unreachable {
        /// What failed.
        #[source]
        source: genesys_client::Error,
        /// Set when the request went out and the change was not seen afterwards: who is most
        /// likely unchanged.
        unchanged: Option<String>,
    },
    /// The plan is too old, or the call changed so that its consequences differ: plan again and
    /// ask the supervisor again. Carries the fresh plan when one could be made.
    #[error("plan expired: {reason} (nothing sent)")]
    PlanExpired {
        /// What changed.
        reason: String,
        /// The plan for the situation now.
        fresh: Option<Box<DropPlan>>,
    },
    /// The request could not be built (an empty id, say).
    #[error("invalid request: {0}")]
    InvalidArgument(String),
    /// The client refused to build the request (an id that cannot be a path segment, say).
    #[error("invalid request: {0}")]
    InvalidRequest(#[source] genesys_client::Error),
    /// The action ran but its audit record could not be written: the outcome is here, and the
    /// supervisor must be told it is not in the log.
    #[error("outcome {} not written to the audit log: {source}", report.outcome.name())]
    AuditFailed {
        /// The outcome that was reached.
        report: Box<ActionReport>,
        /// Why the record could not be written (the file system error is its source).
        #[source]
        source: AuditError,
    },
    /// A bug or an unexpected answer from the roster (it stopped, say).
    #[error("internal error: {0}")]
    Internal(#[source] RosterError),
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
            Self::InvalidArgument(_) | Self::InvalidRequest(_) => ErrorCode::InvalidArgument,
            Self::AuditFailed { .. } | Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// `ININ-Correlation-Id` of the failed call, when there was one.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            Self::RateLimited { correlation_id, .. } => correlation_id.as_deref(),
            Self::Unreachable { source, .. } | Self::InvalidRequest(source) => {
                source.correlation_id()
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

#[cfg(test)]
mod tests {
    use std::error::Error as _;
    use std::time::Duration;

    use genesys_client::request::build;
    use genesys_model::MediaParticipantRequest;

    use super::*;
    use crate::actions::outcome::{ActionKind, ActionOutcome, ActionTimings, PartySummary};
    use crate::audit::AuditLog;

    /// Every error below `error`, in order, by its text.
    fn chain(error: &dyn std::error::Error) -> Vec<String> {
        let mut out = Vec::new();
        let mut next = error.source();
        while let Some(e) = next {
            out.push(e.to_string());
            next = e.source();
        }
        out
    }

    #[test]
    fn a_refused_request_keeps_the_clients_error_as_its_source() {
        let refused = build::patch_participant(
            &ConversationId::new(".."),
            &ParticipantId::new("p-1"),
            &MediaParticipantRequest::disconnect(),
        )
        .expect_err("\"..\" is not a valid id");
        let error = ActionError::InvalidRequest(refused);
        assert_eq!(error.code(), ErrorCode::InvalidArgument);
        let below = error
            .source()
            .and_then(|s| s.downcast_ref::<genesys_client::Error>())
            .expect("the client's error is the source");
        assert_eq!(below.kind(), genesys_client::ErrorKind::InvalidRequest);
        assert!(
            error.to_string().starts_with("invalid request: "),
            "{error}"
        );
    }

    #[test]
    fn an_unwritten_audit_record_keeps_the_file_system_error_below_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("a-file");
        std::fs::write(&file, b"not a folder").expect("write");
        let audit = AuditLog::open(file.join("logs").join("audit.jsonl"))
            .expect_err("a file is not a folder");
        let error = ActionError::AuditFailed {
            report: Box::new(ActionReport {
                action: ActionKind::Drop,
                conversation_id: "c-1".into(),
                participant: PartySummary {
                    participant_id: "p-2".into(),
                    name: "Jane Doe".into(),
                    purpose: "external".into(),
                    user_id: None,
                },
                requested_participant_id: "p-2".into(),
                resolution: None,
                outcome: ActionOutcome::Confirmed {
                    latency: Duration::from_millis(240),
                    via: crate::actions::ConfirmedVia::Event,
                    call_ended: false,
                    others_left: vec![],
                },
                correlation_id: Some("corr-1".into()),
                audit_id: uuid::Uuid::nil(),
                timings: ActionTimings::default(),
            }),
            source: audit,
        };
        let audit = error
            .source()
            .and_then(|s| s.downcast_ref::<AuditError>())
            .expect("the audit error is the source");
        assert!(matches!(audit, AuditError::Io { .. }), "{audit:?}");
        assert!(
            audit
                .source()
                .is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some()),
            "the OS error is below the audit error"
        );
        assert_eq!(chain(&error).len(), 2, "{:?}", chain(&error));
        assert_eq!(error.correlation_id(), Some("corr-1"));
    }
}
