//! Where a signed-in session is kept between runs: the OS keyring in the app, the Linux kernel
//! keyring on a server without a Secret Service (`choice.rs` picks), memory in tests. Never a file.
//!
//! The store is an injected trait (not the process-global keyring override) so tests can run in
//! parallel and the app can swap backends without touching the sign-in flow.

mod choice;
#[cfg(target_os = "linux")]
mod kernel_keyring;
mod keyring_store;
mod memory;
mod secret;

use std::fmt;

use chrono::{DateTime, Utc};
use genesys_model::{AccessToken, ClientSecret, RefreshToken};

pub use choice::{OpenedStore, TOKEN_STORE_VALUES, TokenStoreChoice, TokenStoreKind, open_store};
#[cfg(target_os = "linux")]
pub use kernel_keyring::KernelKeyringStore;
pub use keyring_store::{KEYRING_SERVICE, KeyringStore};
pub use memory::MemoryStore;
pub use secret::Secret;

/// Names one stored session, so several orgs/clients can be signed in side by side.
///
/// The key is `client_id@environment`; it is not secret (it becomes the keyring entry's user name).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountKey(String);

impl AccountKey {
    /// Builds the key for one OAuth client in one environment (a region name or an emulator URL).
    pub fn new(environment: &str, client_id: &str) -> Result<Self, TokenStoreError> {
        let environment = environment.trim();
        let client_id = client_id.trim();
        if environment.is_empty() || client_id.is_empty() {
            return Err(TokenStoreError::InvalidKey {
                reason: "environment and client id must both be non-empty".into(),
            });
        }
        if client_id.contains('@') || client_id.chars().any(char::is_control) {
            return Err(TokenStoreError::InvalidKey {
                reason: "client id must not contain '@' or control characters".into(),
            });
        }
        Ok(Self(format!("{client_id}@{environment}")))
    }

    /// The key as stored (the keyring entry's account name).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Everything needed to resume a sign-in without the browser: kept only in the keyring and memory.
///
/// Secret fields are the redacting types of `genesys-model` (their `Debug` prints `<redacted>`, they
/// have no `Serialize`), so `Debug` on this struct is safe to log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSession {
    /// Region name (`us_east_1`) or explicit loopback API base URL the tokens belong to.
    pub environment: String,
    /// OAuth client the tokens were issued to.
    pub client_id: String,
    /// Genesys user id of the signed-in supervisor (the audit log's actor).
    pub user_id: String,
    /// Display name of the signed-in supervisor, when the API gave one.
    pub user_name: Option<String>,
    /// Bearer token for API calls.
    pub access_token: AccessToken,
    /// When the access token stops working (from the token response's `expires_in`).
    pub expires_at: DateTime<Utc>,
    /// Present only for confidential clients: PKCE clients cannot refresh.
    pub refresh_token: Option<RefreshToken>,
    /// Present only for confidential clients: needed for the refresh grant.
    pub client_secret: Option<ClientSecret>,
}

/// Why a store operation failed; messages never contain token material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenStoreError {
    /// No usable OS keyring (e.g. no Secret Service on Linux); `present::sign_in` says how to fix it.
    #[error("OS keyring unavailable: {reason}")]
    KeyringUnavailable {
        /// The platform's own reason, e.g. "Secret Service: no result found".
        reason: String,
    },
    /// The kernel keyring was chosen but cannot be used here.
    #[error("kernel keyring unavailable: {reason}")]
    KernelKeyringUnavailable {
        /// What the kernel answered, in words.
        reason: String,
    },
    /// `auto` found neither store usable.
    #[error("no token store: OS keyring ({os_keyring}), kernel keyring ({kernel_keyring})")]
    NoTokenStore {
        /// Why the OS keyring did not answer.
        os_keyring: String,
        /// Why the kernel keyring did not work.
        kernel_keyring: String,
    },
    /// The keyring answered but refused or failed the operation.
    #[error("keyring error: {detail}")]
    Keyring {
        /// The platform's error text (never the secret).
        detail: String,
    },
    /// The stored entry exists but is not a session this version understands.
    #[error("stored sign-in unreadable: {reason}")]
    Corrupt {
        /// What was wrong with it (never the content).
        reason: String,
    },
    /// The account key could not be built.
    #[error("invalid account key: {reason}")]
    InvalidKey {
        /// What was wrong with the key.
        reason: String,
    },
}

/// Loads, saves and deletes sessions; blocking (keyring calls go over D-Bus or OS APIs), so async
/// callers run it on `spawn_blocking`.
pub trait TokenStore: Send + Sync {
    /// The stored session for `key`, or `None` if nothing is stored.
    fn load(&self, key: &AccountKey) -> Result<Option<StoredSession>, TokenStoreError>;
    /// Stores (or replaces) the session for `key`.
    fn save(&self, key: &AccountKey, session: &StoredSession) -> Result<(), TokenStoreError>;
    /// Removes the session for `key`; `Ok(false)` if there was none.
    fn delete(&self, key: &AccountKey) -> Result<bool, TokenStoreError>;
}

#[cfg(test)]
pub(crate) fn sample_session(client_id: &str) -> StoredSession {
    StoredSession {
        environment: "us_east_1".into(),
        client_id: client_id.into(),
        user_id: "user-1".into(),
        user_name: Some("Sam \"Sup\" Visor, Jr.".into()),
        access_token: AccessToken::new("access-abc"),
        expires_at: DateTime::parse_from_rfc3339("2030-01-02T03:04:05Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default(),
        refresh_token: Some(RefreshToken::new("refresh-def")),
        client_secret: Some(ClientSecret::new("client-secret-ghi")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_key_is_client_at_environment_and_validated() {
        let k = AccountKey::new("us_east_1", "abc-123").expect("valid");
        assert_eq!(k.as_str(), "abc-123@us_east_1");
        assert!(AccountKey::new("", "x").is_err());
        assert!(AccountKey::new("us_east_1", "  ").is_err());
        assert!(AccountKey::new("us_east_1", "a@b").is_err());
    }

    #[test]
    fn stored_session_debug_redacts_every_secret() {
        let s = sample_session("c");
        let dbg = format!("{s:?}");
        for secret in ["access-abc", "refresh-def", "client-secret-ghi"] {
            assert!(!dbg.contains(secret), "{secret} leaked in {dbg}");
        }
        assert!(dbg.contains("redacted"));
    }

    #[test]
    fn unavailable_error_says_how_to_fix_it() {
        let e = TokenStoreError::KeyringUnavailable {
            reason: "Secret Service: no result found".into(),
        };
        let msg = crate::present::sign_in::token_store(&e);
        assert!(msg.contains("keyring is unavailable"));
        assert!(msg.contains("gnome-keyring"));
        assert!(msg.contains("Secret Service: no result found"));
    }
}
