//! Sign-in and session errors. `Display` is the short log line; the sentence a supervisor reads
//! is in `present::sign_in`.

use std::time::Duration;

use crate::token_store::TokenStoreError;

/// Why sign-in, a token request or sign-out failed. Never carries token material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Another program holds the registered redirect port.
    #[error("redirect port {port} is in use by another program")]
    PortInUse {
        /// The fixed redirect port.
        port: u16,
    },
    /// The redirect listener could not be started for another reason.
    #[error("could not listen on 127.0.0.1:{port}: {source}")]
    Listener {
        /// The fixed redirect port.
        port: u16,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The browser did not come back in time.
    #[error("no sign-in callback within {} s", waited.as_secs())]
    CallbackTimeout {
        /// The configured wait.
        waited: Duration,
    },
    /// The login page answered with an OAuth error (the user declined, the client is disabled...).
    #[error("authorization denied: {error} ({})", description.as_deref().unwrap_or("no description"))]
    AuthorizationDenied {
        /// OAuth `error` (e.g. `access_denied`).
        error: String,
        /// OAuth `error_description`, when given.
        description: Option<String>,
    },
    /// The token endpoint refused the code or could not be reached.
    #[error("token request failed: {0}")]
    TokenRequest(#[source] genesys_client::Error),
    /// The token endpoint refused the confidential client's credentials (`invalid_client`): a
    /// wrong secret, or a client id that is not a confidential client of this organisation.
    #[error("token endpoint refused client {client_id} (invalid_client)")]
    ClientRejected {
        /// The client id that was refused (not secret).
        client_id: String,
        /// The token endpoint's answer.
        #[source]
        source: genesys_client::Error,
    },
    /// The access token expired or was revoked and cannot be renewed: the user must sign in again.
    #[error("session expired and cannot be renewed")]
    SessionExpired,
    /// No session is stored for this account.
    #[error("not signed in")]
    NotSignedIn,
    /// The keyring failed.
    #[error(transparent)]
    Store(#[from] TokenStoreError),
    /// The API call that identifies the signed-in user failed.
    #[error("user profile read failed: {0}")]
    Profile(#[source] genesys_client::Error),
    /// A Genesys call made by the session failed (e.g. the refresh could not reach the server).
    #[error(transparent)]
    Api(genesys_client::Error),
    /// A background task (a keyring call off the runtime) failed unexpectedly.
    #[error("internal error: {0}")]
    Internal(#[source] tokio::task::JoinError),
    /// The sign-in settings are unusable (bad path, plain HTTP to a non-loopback host, ...).
    #[error("invalid sign-in settings: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: String,
        /// The client's refusal, when the settings were refused by `genesys-client`.
        #[source]
        source: Option<genesys_client::Error>,
    },
}
