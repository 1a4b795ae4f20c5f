//! A failure that is not an outcome, as the sentence a supervisor reads: the IPC errors
//! (`ipc/error.rs` takes its messages from here) and the CLI's one-line errors use the same words.

use genesys_model::error::codes;

use super::{capitalise, vendor::explain_vendor_code};
use crate::actions::ActionError;
use crate::audit::AuditError;
use crate::auth::AuthError;
use crate::roster::RosterError;

/// An action failure as a clause ("your session has expired ...; sign in again"), for a CLI line;
/// [`action_sentence`] is the same for the UI.
pub fn action(error: &ActionError) -> String {
    match error {
        ActionError::NotSignedIn => {
            "you are not signed in; sign in to your Genesys Cloud organisation first".to_owned()
        }
        ActionError::SessionExpired => {
            "your session has expired or was revoked; sign in again (nothing was sent)".to_owned()
        }
        ActionError::Forbidden {
            verb,
            party,
            permission,
        } => format!(
            "you cannot {verb} {party}: acting on someone else's call needs the Genesys Cloud \
             permission {permission}, which your role does not have; ask your administrator \
             (nothing was sent)"
        ),
        ActionError::ParticipantGone { detail, .. } => detail.clone(),
        ActionError::RateLimited { retry_after, .. } => format!(
            "Genesys Cloud is rate-limiting requests{}; nothing was changed, try again shortly",
            retry_after
                .map(|d| format!(" (retry after {} s)", d.as_secs().max(1)))
                .unwrap_or_default()
        ),
        ActionError::Unreachable { source, unchanged } => format!(
            "Genesys Cloud could not be reached or failed ({source}{}); check the connection and \
             try again",
            unchanged
                .as_deref()
                .map(|party| format!(
                    "; the change was not seen afterwards, so {party} is most likely unchanged"
                ))
                .unwrap_or_default()
        ),
        ActionError::PlanExpired { reason, .. } => {
            format!("{reason}; review the new situation and confirm again (nothing was sent)")
        }
        ActionError::InvalidArgument(why) => format!("invalid request: {why}"),
        ActionError::InvalidRequest(source) => format!("invalid request: {source}"),
        ActionError::AuditFailed { report, source } => format!(
            "the action's outcome ({}) could not be written to the audit log: {source}",
            report.outcome.name()
        ),
        ActionError::Internal(source) => format!("internal error: {source}"),
    }
}

/// [`action`] as a sentence, for the UI.
pub fn action_sentence(error: &ActionError) -> String {
    capitalise(&action(error))
}

/// A failed Genesys call as a sentence: the vendor code in plain words when we have them, else
/// what kind of failure it was and the platform's own message.
pub fn client(error: &genesys_client::Error) -> String {
    use genesys_client::ErrorKind as K;
    let plain = error.code().and_then(explain_vendor_code);
    let vendor = error.vendor_message().unwrap_or_else(|| error.to_string());
    let said = |fallback: &str| plain.map_or_else(|| format!("{fallback} {vendor}"), str::to_owned);
    match error.kind() {
        K::Unauthorized => session_ended().to_owned(),
        K::NotSignedIn => not_signed_in().to_owned(),
        K::Forbidden => said("Genesys Cloud refused:"),
        K::NotFound => said("Not found:"),
        K::RateLimited => said("Genesys Cloud is busy:"),
        K::Server => format!(
            "Genesys Cloud answered with a server error{}; try again in a moment.",
            error
                .status()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default()
        ),
        K::Unreachable => {
            format!(
                "Genesys Cloud could not be reached ({error}). Check the network and try again."
            )
        }
        K::BadRequest
            if matches!(
                error.code(),
                Some(codes::CALL_DISCONNECTED) | Some(codes::NOT_A_USER)
            ) =>
        {
            said("")
        }
        K::OAuth => format!("Genesys Cloud refused the sign-in: {vendor}"),
        _ => error.to_string(),
    }
}

/// The session ended by itself (expired or revoked).
pub fn session_ended() -> &'static str {
    "Your session has expired or was revoked. Sign in again."
}

/// Nobody is signed in.
pub fn not_signed_in() -> &'static str {
    "You are not signed in. Sign in to your Genesys Cloud organisation first."
}

/// A sign-in or session failure as a sentence (written per variant in [`super::sign_in`]).
pub fn auth(error: &AuthError) -> String {
    super::sign_in::auth(error)
}

/// The audit log could not be read or written.
pub fn audit(error: &AuditError) -> String {
    format!("The audit log could not be read or written: {error}")
}

/// A roster request failed (the conversation is gone, the live list is not available).
pub fn roster(error: &RosterError) -> String {
    match error {
        RosterError::Api(api) => client(api),
        RosterError::ConversationNotFound(id) => {
            format!("The call {id} is no longer known to Genesys Cloud; it has ended.")
        }
        other if other.is_session_expired() => session_ended().to_owned(),
        other => format!("The live call list is not available: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn action_errors_read_as_sentences_for_the_ui_and_clauses_for_the_cli() {
        let e = ActionError::RateLimited {
            retry_after: Some(Duration::from_millis(1500)),
            correlation_id: None,
        };
        assert_eq!(
            action(&e),
            "Genesys Cloud is rate-limiting requests (retry after 1 s); nothing was changed, try \
             again shortly"
        );
        let e = ActionError::SessionExpired;
        assert!(action(&e).starts_with("your session"), "{}", action(&e));
        assert!(action_sentence(&e).starts_with("Your session"));
        assert!(action(&e).contains("nothing was sent"));
    }

    #[test]
    fn capitalise_makes_a_sentence_of_a_clause() {
        assert_eq!(capitalise("port 8765 is in use"), "Port 8765 is in use");
        assert_eq!(capitalise(""), "");
    }
}
