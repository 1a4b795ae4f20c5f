//! Sign-in, session and token-store failures as the sentences people read (the desktop through
//! `ipc/error.rs`, the CLI through its one-line errors). The error types' `Display` is the short
//! log line; every word a person reads about signing in is written here, per variant.

use super::error::client;
use crate::auth::AuthError;
use crate::token_store::TokenStoreError;

/// A sign-in or session failure as a sentence.
pub fn auth(error: &AuthError) -> String {
    match error {
        AuthError::PortInUse { port } => format!(
            "Port {port} on this computer is in use by another program, so Bridgekeeper cannot \
             receive the sign-in from your browser; close that program (or another Bridgekeeper \
             window that is signing in) and try again"
        ),
        AuthError::Listener { port, source } => {
            format!("Could not listen on 127.0.0.1:{port} for the browser sign-in: {source}")
        }
        AuthError::CallbackTimeout { waited } => format!(
            "No sign-in arrived from the browser within {} seconds: the browser tab may have been \
             closed, or the login page refused the client id or its redirect URI (it must be \
             registered on the OAuth client); start sign-in again",
            waited.as_secs()
        ),
        AuthError::AuthorizationDenied { error, description } => format!(
            "Sign-in was not completed: {}",
            description.as_deref().unwrap_or(error)
        ),
        AuthError::TokenRequest(api) | AuthError::Profile(api)
            if api.kind() == genesys_client::ErrorKind::Unreachable =>
        {
            client(api)
        }
        AuthError::TokenRequest(api) => format!(
            "Genesys Cloud did not accept the sign-in ({}). Check the client id (and secret) and \
             that the redirect URI is registered on the OAuth client, then try again.",
            api.vendor_message().unwrap_or_else(|| api.to_string())
        ),
        AuthError::ClientRejected { client_id, .. } => format!(
            "Genesys Cloud refused the OAuth client's credentials (invalid_client): the client \
             secret is wrong, or client {client_id} is not a confidential client (grant type Code \
             Authorization) of this organisation. Check both in Admin > Integrations > OAuth, \
             then sign in again"
        ),
        AuthError::SessionExpired => "Your session has expired; sign in again".to_owned(),
        AuthError::NotSignedIn => "Not signed in".to_owned(),
        AuthError::Store(store) => token_store(store),
        AuthError::Profile(api) => {
            format!("Signed in, but the user profile could not be read: {api}")
        }
        AuthError::Api(api) => client(api),
        AuthError::Internal(source) => format!("Internal error: {source}"),
        AuthError::InvalidConfig { reason, .. } => {
            format!("Invalid sign-in settings: {reason}")
        }
    }
}

/// A failure of the place sessions are kept, with how to fix it.
pub fn token_store(error: &TokenStoreError) -> String {
    match error {
        TokenStoreError::KeyringUnavailable { reason } => format!(
            "The system keyring is unavailable ({reason}). Bridgekeeper keeps your sign-in only \
             in the operating system's keyring. On Linux, install and run a Secret Service \
             provider such as GNOME Keyring (package gnome-keyring) or KWallet, and make sure it \
             is unlocked in your desktop session; on Windows use Credential Manager, on macOS \
             unlock the login Keychain. Then sign in again. On a Linux server without a desktop \
             session, keep it in the kernel keyring instead: token_store = \"kernel-keyring\" in \
             config.toml, or --token-store kernel-keyring (docs/SERVICE.md)."
        ),
        TokenStoreError::KernelKeyringUnavailable { reason } => format!(
            "The kernel keyring is unavailable ({reason}). It was chosen as the token store \
             (token_store = \"kernel-keyring\" or --token-store); allow the keyctl system calls, \
             or use the system keyring (a Secret Service such as gnome-keyring) instead. \
             Bridgekeeper never keeps a sign-in in a file."
        ),
        TokenStoreError::NoTokenStore {
            os_keyring,
            kernel_keyring,
        } => format!(
            "No secure place to keep the sign-in: the system keyring is unavailable \
             ({os_keyring}) and so is the kernel keyring ({kernel_keyring}). Start a Secret \
             Service (gnome-keyring) in this session, or allow the keyctl system calls; \
             Bridgekeeper never keeps a sign-in in a file."
        ),
        TokenStoreError::Keyring { detail } => format!("Keyring error: {detail}"),
        TokenStoreError::Corrupt { reason } => {
            format!("The stored sign-in is unreadable ({reason}); sign in again to replace it")
        }
        TokenStoreError::InvalidKey { reason } => format!("Invalid account key: {reason}"),
    }
}
