//! The one error shape every command answers with: a code the UI switches on and a sentence for
//! people (the sentences come from [`crate::present`]).

use genesys_model::error::codes;
use serde::Serialize;
use std::fmt;
use ts_rs::TS;

use crate::actions::ActionError;
use crate::audit::AuditError;
use crate::auth::AuthError;
pub use crate::error::ErrorCode;
use crate::present;
use crate::roster::RosterError;
use crate::token_store::TokenStoreError;

/// A command failure as the UI receives it: `{ code, message }` (plus the correlation id or retry delay
/// when Genesys gave one), never a bare string and never token material.
// `Serialize` is written by hand so absent extras are left out (ts-rs does not read `skip_serializing_if`).
#[derive(Debug, Clone, PartialEq, Eq, TS)]
#[ts(rename_all = "camelCase")]
pub struct IpcError {
    /// What kind of failure, for the UI to decide what to offer.
    pub code: ErrorCode,
    /// A sentence a supervisor can read.
    pub message: String,
    /// Genesys `ININ-Correlation-Id` of the failed call, for a support ticket.
    #[ts(optional)]
    pub correlation_id: Option<String>,
    /// For `RateLimited`: seconds Genesys asked us to wait.
    #[ts(optional)]
    pub retry_after_secs: Option<u32>,
}

impl IpcError {
    /// Builds an error from its code and a human-readable message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            correlation_id: None,
            retry_after_secs: None,
        }
    }

    /// A request field the UI sent is unusable; the message names the field.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidArgument, message)
    }

    /// Something that should not happen; the message is kept for support.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }

    /// The caller needs a session first.
    pub fn not_signed_in() -> Self {
        Self::new(ErrorCode::NotSignedIn, present::error::not_signed_in())
    }

    /// Attaches the correlation id of the failed Genesys call.
    pub fn with_correlation_id(mut self, id: Option<&str>) -> Self {
        self.correlation_id = id.map(str::to_owned);
        self
    }
}

impl Serialize for IpcError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let fields = 2
            + usize::from(self.correlation_id.is_some())
            + usize::from(self.retry_after_secs.is_some());
        let mut s = serializer.serialize_struct("IpcError", fields)?;
        s.serialize_field("code", &self.code)?;
        s.serialize_field("message", &self.message)?;
        if let Some(id) = &self.correlation_id {
            s.serialize_field("correlationId", id)?;
        }
        if let Some(secs) = self.retry_after_secs {
            s.serialize_field("retryAfterSecs", &secs)?;
        }
        s.end()
    }
}

impl fmt::Display for IpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)?;
        if let Some(id) = &self.correlation_id {
            write!(f, " (correlation id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for IpcError {}

fn rate_limit_secs(error: &genesys_client::Error) -> Option<u32> {
    error
        .retry_after()
        .map(|d| u32::try_from(d.as_secs().max(1)).unwrap_or(u32::MAX))
}

impl From<genesys_client::Error> for IpcError {
    fn from(error: genesys_client::Error) -> Self {
        use genesys_client::ErrorKind as K;
        let code = match error.kind() {
            K::Unauthorized => ErrorCode::SessionExpired,
            K::NotSignedIn => ErrorCode::NotSignedIn,
            K::Forbidden => ErrorCode::Forbidden,
            K::NotFound => ErrorCode::ParticipantGone,
            K::RateLimited => ErrorCode::RateLimited,
            K::Server | K::Unreachable => ErrorCode::Unreachable,
            K::BadRequest if error.code() == Some(codes::CALL_DISCONNECTED) => {
                ErrorCode::ParticipantGone
            }
            K::BadRequest if error.code() == Some(codes::NOT_A_USER) => ErrorCode::Forbidden,
            K::InvalidConfig | K::InvalidRequest => ErrorCode::InvalidArgument,
            K::OAuth => ErrorCode::SignInFailed,
            _ => ErrorCode::Internal,
        };
        Self {
            code,
            message: present::error::client(&error),
            correlation_id: error.correlation_id().map(str::to_owned),
            retry_after_secs: (code == ErrorCode::RateLimited)
                .then(|| rate_limit_secs(&error))
                .flatten(),
        }
    }
}

impl From<TokenStoreError> for IpcError {
    fn from(error: TokenStoreError) -> Self {
        let code = match &error {
            TokenStoreError::KeyringUnavailable { .. }
            | TokenStoreError::KernelKeyringUnavailable { .. }
            | TokenStoreError::NoTokenStore { .. } => ErrorCode::KeyringUnavailable,
            TokenStoreError::InvalidKey { .. } => ErrorCode::InvalidArgument,
            _ => ErrorCode::Internal,
        };
        Self::new(code, crate::present::sign_in::token_store(&error))
    }
}

impl From<AuthError> for IpcError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Store(store) => store.into(),
            AuthError::Api(api) => api.into(),
            AuthError::TokenRequest(api) | AuthError::Profile(api)
                if api.kind() == genesys_client::ErrorKind::Unreachable =>
            {
                api.into()
            }
            other => {
                let code = match &other {
                    AuthError::PortInUse { .. } => ErrorCode::PortInUse,
                    AuthError::TokenRequest(_)
                    | AuthError::CallbackTimeout { .. }
                    | AuthError::AuthorizationDenied { .. }
                    | AuthError::ClientRejected { .. }
                    | AuthError::Profile(_)
                    | AuthError::Listener { .. } => ErrorCode::SignInFailed,
                    AuthError::SessionExpired => ErrorCode::SessionExpired,
                    AuthError::NotSignedIn => ErrorCode::NotSignedIn,
                    AuthError::InvalidConfig { .. } => ErrorCode::InvalidArgument,
                    _ => ErrorCode::Internal,
                };
                let correlation_id = match &other {
                    AuthError::TokenRequest(api) => api.correlation_id().map(str::to_owned),
                    _ => None,
                };
                Self {
                    correlation_id,
                    ..Self::new(code, present::error::auth(&other))
                }
            }
        }
    }
}

impl From<AuditError> for IpcError {
    fn from(error: AuditError) -> Self {
        Self::internal(present::error::audit(&error))
    }
}

impl From<ActionError> for IpcError {
    fn from(error: ActionError) -> Self {
        let code = error.code();
        Self {
            code,
            message: present::error::action_sentence(&error),
            correlation_id: error.correlation_id().map(str::to_owned),
            retry_after_secs: error
                .retry_after()
                .map(|d| u32::try_from(d.as_secs().max(1)).unwrap_or(u32::MAX)),
        }
    }
}

impl From<RosterError> for IpcError {
    fn from(error: RosterError) -> Self {
        match error {
            RosterError::Api(api) => api.into(),
            other => {
                let code = match &other {
                    RosterError::ConversationNotFound(_) => ErrorCode::ParticipantGone,
                    o if o.is_session_expired() => ErrorCode::SessionExpired,
                    _ => ErrorCode::Unreachable,
                };
                Self::new(code, present::error::roster(&other))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn serialises_as_code_and_message_only_when_nothing_else_is_known() {
        let e = IpcError::new(ErrorCode::DemoUnavailable, "no demo");
        assert_eq!(
            serde_json::to_value(&e).expect("json"),
            serde_json::json!({"code": "DemoUnavailable", "message": "no demo"})
        );
        let e = IpcError::new(ErrorCode::RateLimited, "slow down").with_correlation_id(Some("c-1"));
        assert_eq!(
            serde_json::to_value(&e).expect("json"),
            serde_json::json!({"code": "RateLimited", "message": "slow down", "correlationId": "c-1"})
        );
    }

    #[test]
    fn code_names_match_their_json() {
        for code in ErrorCode::ALL {
            assert_eq!(
                serde_json::to_value(code).expect("json"),
                serde_json::Value::String(code.as_str().to_owned())
            );
        }
    }

    #[test]
    fn auth_errors_map_to_the_codes_the_ui_acts_on() {
        let e: IpcError = AuthError::PortInUse { port: 8765 }.into();
        assert_eq!(e.code, ErrorCode::PortInUse);
        assert!(e.message.starts_with("Port 8765"), "{}", e.message);
        let e: IpcError = AuthError::SessionExpired.into();
        assert_eq!(e.code, ErrorCode::SessionExpired);
        let e: IpcError = AuthError::CallbackTimeout {
            waited: Duration::from_secs(300),
        }
        .into();
        assert_eq!(e.code, ErrorCode::SignInFailed);
        let e: IpcError = AuthError::Store(TokenStoreError::KeyringUnavailable {
            reason: "Secret Service: no result found".into(),
        })
        .into();
        assert_eq!(e.code, ErrorCode::KeyringUnavailable);
        assert!(e.message.contains("GNOME Keyring"), "{}", e.message);
        let e: IpcError = AuthError::InvalidConfig {
            reason: "bad".into(),
            source: None,
        }
        .into();
        assert_eq!(e.code, ErrorCode::InvalidArgument);
    }
}
