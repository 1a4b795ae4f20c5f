//! Command failures as one line a person (or a script's log) can act on, with the exit code.

use std::fmt;

use genesys_client::ErrorKind;
use supervisor_core::audit::AuditError;
use supervisor_core::auth::AuthError;
use supervisor_core::token_store::TokenStoreError;

use crate::output::Exit;

/// Why a command failed: a single-line message for stderr and the exit code it maps to.
#[derive(Debug)]
pub struct CliError {
    /// One line, no trailing period needed; never token material.
    pub message: String,
    /// Process exit code (1 unless an action outcome says otherwise).
    pub exit: Exit,
    /// Only a new sign-in fixes it (no stored session, or it ended): `policy run` exits
    /// [`Exit::SignInAgain`] for it.
    pub needs_sign_in: bool,
}

impl CliError {
    /// A failure that is not an action outcome (exit 1).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: one_line(&message.into()),
            exit: Exit::Failure,
            needs_sign_in: false,
        }
    }

    /// A failure carrying a specific exit code (refused, not confirmed).
    pub fn with_exit(message: impl Into<String>, exit: Exit) -> Self {
        Self {
            message: one_line(&message.into()),
            exit,
            needs_sign_in: false,
        }
    }

    /// No stored session for this account.
    pub fn not_signed_in() -> Self {
        Self {
            needs_sign_in: true,
            ..Self::new(
                "not signed in; run `bridgekeeper-cli login --client-id ID --region REGION` first",
            )
        }
    }

    /// The session ended by itself (expired or revoked).
    pub fn session_expired() -> Self {
        Self {
            needs_sign_in: true,
            ..Self::new(
                "your session has expired or was revoked; sign in again with `bridgekeeper-cli login`",
            )
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// Messages from lower layers may span lines (keyring help); stderr gets exactly one.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl From<AuthError> for CliError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::NotSignedIn => Self::not_signed_in(),
            AuthError::SessionExpired => Self::session_expired(),
            AuthError::Api(inner) | AuthError::Profile(inner) if inner.is_session_expired() => {
                Self::session_expired()
            }
            other => Self::new(supervisor_core::present::sign_in::auth(&other)),
        }
    }
}

impl From<TokenStoreError> for CliError {
    fn from(e: TokenStoreError) -> Self {
        Self::new(supervisor_core::present::sign_in::token_store(&e))
    }
}

impl From<AuditError> for CliError {
    fn from(e: AuditError) -> Self {
        Self::new(e.to_string())
    }
}

impl From<genesys_client::Error> for CliError {
    fn from(e: genesys_client::Error) -> Self {
        match e.kind() {
            ErrorKind::Unauthorized => Self::session_expired(),
            // The session refused to hand out a token: it ended (sign in again), or something
            // else (the keyring) stopped it, which the message names.
            ErrorKind::NotSignedIn if e.is_session_ended() => Self::session_expired(),
            ErrorKind::NotSignedIn => Self::new(e.to_string()),
            ErrorKind::Forbidden => Self::new(format!(
                "permission denied by Genesys Cloud: {}",
                describe_api_error(&e)
            )),
            _ => Self::new(e.to_string()),
        }
    }
}

/// The vendor's message and code with the correlation id, for support.
pub fn describe_api_error(e: &genesys_client::Error) -> String {
    let mut text = e
        .vendor_message()
        .unwrap_or_else(|| e.kind_text().to_owned());
    if let Some(code) = e.code() {
        text.push_str(&format!(" [{code}]"));
    }
    if let Some(id) = e.correlation_id() {
        text.push_str(&format!(" (correlation id {id})"));
    }
    text
}

/// A short description of an error kind when the vendor said nothing.
trait KindText {
    fn kind_text(&self) -> &'static str;
}

impl KindText for genesys_client::Error {
    fn kind_text(&self) -> &'static str {
        match self.kind() {
            ErrorKind::BadRequest => "request refused",
            ErrorKind::Unauthorized => "session expired or revoked",
            ErrorKind::Forbidden => "permission denied",
            ErrorKind::NotFound => "not found",
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::Server => "server error",
            ErrorKind::Unreachable => "Genesys Cloud unreachable",
            _ => "request failed",
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        Self::new(format!("I/O error: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line_and_sessions_say_sign_in_again() {
        let e = CliError::from(TokenStoreError::KeyringUnavailable {
            reason: "Secret Service: no result found".into(),
        });
        assert!(!e.message.contains('\n'));
        assert!(e.message.contains("gnome-keyring"), "{e}");
        assert_eq!(e.exit, Exit::Failure);
        assert!(
            CliError::from(AuthError::SessionExpired)
                .message
                .contains("sign in again")
        );
        assert!(
            CliError::from(AuthError::NotSignedIn)
                .message
                .contains("login")
        );
        assert_eq!(CliError::new("a\n  b\tc").message, "a b c");
    }
}
