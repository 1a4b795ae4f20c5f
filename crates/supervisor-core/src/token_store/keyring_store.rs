//! The OS keyring backend: Windows Credential Manager, macOS Keychain, Linux Secret Service.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use genesys_model::{AccessToken, ClientSecret, RefreshToken};

use super::{AccountKey, StoredSession, TokenStore, TokenStoreError};

/// Service name of every Bridgekeeper keyring entry (one entry per [`AccountKey`]).
pub const KEYRING_SERVICE: &str = "io.bridgekeeper.desktop";

/// The account name [`KeyringStore::probe`] looks up; never written.
const PROBE_ACCOUNT: &str = "bridgekeeper-probe";

/// Current layout of the JSON kept in the keyring entry's secret.
const DTO_VERSION: u32 = 1;

/// Keeps sessions in the OS keyring, the only place tokens may be written to (security bar).
#[derive(Debug, Clone, Default)]
pub struct KeyringStore {
    _private: (),
}

impl KeyringStore {
    /// A store over the platform's native keyring, service [`KEYRING_SERVICE`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the keyring for an entry that does not exist, to learn whether a keyring answers at
    /// all ([`TokenStoreError::KeyringUnavailable`] when none does); used by `auto`.
    pub fn probe(&self) -> Result<(), TokenStoreError> {
        let entry =
            keyring::Entry::new(KEYRING_SERVICE, PROBE_ACCOUNT).map_err(map_keyring_error)?;
        match entry.get_password() {
            Ok(_) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => match map_keyring_error(e) {
                unavailable @ TokenStoreError::KeyringUnavailable { .. } => Err(unavailable),
                // It answered (a locked item, an odd entry): a keyring is there.
                _ => Ok(()),
            },
        }
    }

    fn entry(&self, key: &AccountKey) -> Result<keyring::Entry, TokenStoreError> {
        keyring::Entry::new(KEYRING_SERVICE, key.as_str()).map_err(map_keyring_error)
    }
}

/// The only serialisable form of a session; private so secrets cannot be serialised elsewhere.
/// No `Debug` on purpose.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionDto {
    v: u32,
    environment: String,
    client_id: String,
    user_id: String,
    #[serde(default)]
    user_name: Option<String>,
    access_token: String,
    expires_at: DateTime<Utc>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
}

impl SessionDto {
    fn from_session(s: &StoredSession) -> Self {
        Self {
            v: DTO_VERSION,
            environment: s.environment.clone(),
            client_id: s.client_id.clone(),
            user_id: s.user_id.clone(),
            user_name: s.user_name.clone(),
            access_token: s.access_token.expose_secret().to_owned(),
            expires_at: s.expires_at,
            refresh_token: s
                .refresh_token
                .as_ref()
                .map(|t| t.expose_secret().to_owned()),
            client_secret: s
                .client_secret
                .as_ref()
                .map(|t| t.expose_secret().to_owned()),
        }
    }

    fn into_session(self) -> Result<StoredSession, TokenStoreError> {
        if self.v != DTO_VERSION {
            return Err(TokenStoreError::Corrupt {
                reason: format!("unsupported layout version {}", self.v),
            });
        }
        Ok(StoredSession {
            environment: self.environment,
            client_id: self.client_id,
            user_id: self.user_id,
            user_name: self.user_name,
            access_token: AccessToken::new(self.access_token),
            expires_at: self.expires_at,
            refresh_token: self.refresh_token.map(RefreshToken::new),
            client_secret: self.client_secret.map(ClientSecret::new),
        })
    }
}

/// Parses an entry's secret; the error never quotes the content (serde messages can). Shared with
/// the kernel keyring backend, which keeps the same JSON.
pub(super) fn decode(raw: &str) -> Result<StoredSession, TokenStoreError> {
    let dto: SessionDto = serde_json::from_str(raw).map_err(|e| TokenStoreError::Corrupt {
        reason: format!(
            "not a Bridgekeeper session ({:?} error at line {}, column {})",
            e.classify(),
            e.line(),
            e.column()
        ),
    })?;
    dto.into_session()
}

/// The JSON kept in an entry (the same layout in every backend).
pub(super) fn encode(session: &StoredSession) -> Result<String, TokenStoreError> {
    serde_json::to_string(&SessionDto::from_session(session)).map_err(|e| {
        TokenStoreError::Corrupt {
            reason: format!("could not encode the session ({:?})", e.classify()),
        }
    })
}

/// Turns a keyring error into ours; only `Display` of platform errors is used, never `Debug`
/// (`BadEncoding` and `Ambiguous` carry secret material).
fn map_keyring_error(err: keyring::Error) -> TokenStoreError {
    match err {
        keyring::Error::NoStorageAccess(inner) => TokenStoreError::KeyringUnavailable {
            reason: inner.to_string(),
        },
        keyring::Error::PlatformFailure(inner) => {
            let detail = inner.to_string();
            if looks_like_missing_service(&detail) {
                TokenStoreError::KeyringUnavailable { reason: detail }
            } else {
                TokenStoreError::Keyring { detail }
            }
        }
        keyring::Error::BadEncoding(_) => TokenStoreError::Corrupt {
            reason: "the stored secret is not UTF-8".into(),
        },
        keyring::Error::TooLong(attr, limit) => TokenStoreError::Keyring {
            detail: format!("{attr} is longer than the platform limit of {limit}"),
        },
        keyring::Error::Invalid(attr, why) => TokenStoreError::Keyring {
            detail: format!("{attr} is invalid: {why}"),
        },
        keyring::Error::Ambiguous(found) => TokenStoreError::Keyring {
            detail: format!(
                "{} keyring entries match this account; remove the duplicates",
                found.len()
            ),
        },
        other => TokenStoreError::Keyring {
            detail: other.to_string(),
        },
    }
}

/// A platform failure that means "there is no keyring service to talk to" (no D-Bus session, no
/// Secret Service provider) rather than a failed operation.
fn looks_like_missing_service(detail: &str) -> bool {
    let d = detail.to_ascii_lowercase();
    [
        "dbus_session_bus_address",
        "org.freedesktop.secrets",
        "org.freedesktop.dbus.error.serviceunknown",
        "org.freedesktop.dbus.error.noreply",
        "no such file or directory",
        "connection refused",
        "secret service",
        "d-bus",
        "dbus",
    ]
    .iter()
    .any(|needle| d.contains(needle))
}

impl TokenStore for KeyringStore {
    fn load(&self, key: &AccountKey) -> Result<Option<StoredSession>, TokenStoreError> {
        let entry = self.entry(key)?;
        match entry.get_password() {
            Ok(raw) => decode(&raw).map(Some),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring_error(e)),
        }
    }

    fn save(&self, key: &AccountKey, session: &StoredSession) -> Result<(), TokenStoreError> {
        let raw = encode(session)?;
        self.entry(key)?
            .set_password(&raw)
            .map_err(map_keyring_error)
    }

    fn delete(&self, key: &AccountKey) -> Result<bool, TokenStoreError> {
        match self.entry(key)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(map_keyring_error(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token_store::sample_session;

    #[test]
    fn dto_round_trip_keeps_every_field() {
        let s = sample_session("c1");
        let raw = encode(&s).expect("encode");
        assert!(raw.contains("\"v\":1"));
        assert_eq!(decode(&raw).expect("decode"), s);
    }

    #[test]
    fn decode_errors_never_quote_the_content() {
        let raw = r#"{"v":1,"environment":"x","clientId":"c","userId":"u","accessToken":42}"#;
        let err = decode(raw).expect_err("wrong type");
        assert!(matches!(err, TokenStoreError::Corrupt { .. }));
        let raw = r#"{"v":1,"environment":"x","clientId":"c","userId":"u","accessToken":"tok-SECRET","expiresAt":"tok-SECRET2"}"#;
        let err = decode(raw).expect_err("bad date");
        let msg = format!("{err} {err:?}");
        assert!(!msg.contains("tok-SECRET"), "{msg}");
        let err = decode("{\"v\":9}").expect_err("version");
        assert!(err.to_string().contains("unreadable"));
    }

    #[test]
    fn no_secret_service_maps_to_keyring_unavailable() {
        // The exact text seen on a Linux machine without a Secret Service provider.
        let err = map_keyring_error(keyring::Error::NoStorageAccess(Box::new(
            std::io::Error::other("Secret Service: no result found"),
        )));
        match &err {
            TokenStoreError::KeyringUnavailable { reason } => {
                assert_eq!(reason, "Secret Service: no result found")
            }
            other => panic!("expected KeyringUnavailable, got {other:?}"),
        }
        assert!(crate::present::sign_in::token_store(&err).contains("GNOME Keyring"));
        let err = map_keyring_error(keyring::Error::PlatformFailure(Box::new(
            std::io::Error::other("D-Bus error: org.freedesktop.DBus.Error.ServiceUnknown"),
        )));
        assert!(matches!(err, TokenStoreError::KeyringUnavailable { .. }));
        let err = map_keyring_error(keyring::Error::PlatformFailure(Box::new(
            std::io::Error::other("item vanished"),
        )));
        assert!(matches!(err, TokenStoreError::Keyring { .. }));
    }

    #[test]
    fn bad_encoding_does_not_leak_bytes() {
        let err = map_keyring_error(keyring::Error::BadEncoding(b"tok-SECRET\xff".to_vec()));
        let msg = format!("{err} {err:?}");
        assert!(!msg.contains("tok-SECRET"));
    }

    // The keyring_real_* tests talk to the REAL OS keyring, so a plain `cargo test` reports them
    // as ignored; scripts/test.sh runs them (`--include-ignored`) inside a throwaway D-Bus session
    // with an unlocked gnome-keyring, where any error, "no keyring" included, fails them.

    fn unique_key(tag: &str) -> AccountKey {
        AccountKey::new(
            "test-env",
            &format!("keyring-test-{tag}-{}", uuid::Uuid::new_v4()),
        )
        .expect("key")
    }

    /// Deletes the entry even when an assertion fails, so no test leaves secrets behind.
    struct Cleanup(AccountKey);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = KeyringStore::new().delete(&self.0);
        }
    }

    #[test]
    #[ignore = "needs the real OS keyring: scripts/test.sh runs it in a throwaway keyring session"]
    fn keyring_real_save_load_replace_delete() {
        let store = KeyringStore::new();
        let key = unique_key("crud");
        let _cleanup = Cleanup(key.clone());
        assert_eq!(store.load(&key).expect("load empty"), None);

        let first = sample_session("c1");
        store.save(&key, &first).expect("save");
        assert_eq!(store.load(&key).expect("load"), Some(first.clone()));

        let mut rotated = first.clone();
        rotated.access_token = AccessToken::new("access-rotated");
        rotated.refresh_token = Some(RefreshToken::new("refresh-rotated"));
        store.save(&key, &rotated).expect("replace");
        assert_eq!(store.load(&key).expect("load"), Some(rotated));

        assert!(store.delete(&key).expect("delete"));
        assert_eq!(store.load(&key).expect("load after delete"), None);
        assert!(!store.delete(&key).expect("delete again"));
    }

    #[test]
    #[ignore = "needs the real OS keyring: scripts/test.sh runs it in a throwaway keyring session"]
    fn keyring_real_pkce_session_without_refresh_and_keys_are_independent() {
        let store = KeyringStore::new();
        let a = unique_key("a");
        let b = unique_key("b");
        let _ca = Cleanup(a.clone());
        let _cb = Cleanup(b.clone());
        let mut pkce = sample_session("pkce");
        pkce.refresh_token = None;
        pkce.client_secret = None;
        pkce.user_name = None;
        store.save(&a, &pkce).expect("save a");
        store.save(&b, &sample_session("b")).expect("save b");
        assert_eq!(store.load(&a).expect("load a"), Some(pkce));
        assert!(store.delete(&b).expect("delete b"));
        assert!(store.load(&a).expect("a survives").is_some());
        assert!(store.delete(&a).expect("delete a"));
    }

    #[test]
    #[ignore = "needs the real OS keyring: scripts/test.sh runs it in a throwaway keyring session"]
    fn keyring_real_entry_holds_the_dto_and_garbage_reads_as_corrupt() {
        let store = KeyringStore::new();
        let key = unique_key("raw");
        let _cleanup = Cleanup(key.clone());
        store.save(&key, &sample_session("raw")).expect("save");
        let raw_entry = keyring::Entry::new(KEYRING_SERVICE, key.as_str()).expect("entry");
        let raw = raw_entry.get_password().expect("raw read");
        assert!(
            raw.contains("\"accessToken\":\"access-abc\""),
            "keyring holds the DTO"
        );
        assert!(!raw.contains("redacted"));

        raw_entry
            .set_password("tok-GARBAGE not json")
            .expect("overwrite");
        let err = store.load(&key).expect_err("garbage must not load");
        assert!(matches!(err, TokenStoreError::Corrupt { .. }), "{err}");
        assert!(!err.to_string().contains("tok-GARBAGE"));
        assert!(store.delete(&key).expect("delete corrupt entry"));
    }
}
