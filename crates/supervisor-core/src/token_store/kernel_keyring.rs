//! The Linux kernel keyring backend, for servers without a Secret Service (no desktop session, no
//! D-Bus): `token_store = "kernel-keyring"`.
//!
//! Sessions live in the user's **persistent keyring** (persistent-keyring(7)) as `user` keys: kernel
//! memory only (never swapped, never written to disk), reachable only by processes of the same uid,
//! kept across logouts and service restarts. The kernel drops the persistent keyring once no
//! process of the user has asked for it for `/proc/sys/kernel/keys/persistent_keyring_expiry`
//! seconds (3 days by default); every load and save here asks for it, so a running service keeps it
//! alive. It does not survive a reboot: after one, sign in again.
//!
//! This is not the `keyring` crate's keyutils backend (feature `linux-native`), which adds keys to
//! the *session* keyring: a process without a login session (cron, `sudo -u`, some containers)
//! gets a throwaway session keyring that is gone when it exits or one it may not write, and that
//! backend reports "access denied" as "no entry". Here the persistent keyring is linked into the
//! *process* keyring (always private and writable) and the keys are added to it directly, through
//! the same `linux-keyutils` crate that backend uses.

use linux_keyutils::{Key, KeyError, KeyRing, KeyRingIdentifier};

use super::keyring_store::{KEYRING_SERVICE, decode, encode};
use super::{AccountKey, StoredSession, TokenStore, TokenStoreError};

/// Where the kernel says how long an untouched persistent keyring lives.
const EXPIRY_FILE: &str = "/proc/sys/kernel/keys/persistent_keyring_expiry";
/// A `user` key holds at most 32,767 bytes (keyrings(7)); a session is about 1 KB.
const MAX_PAYLOAD: usize = 32_767;

/// Keeps sessions in the user's persistent kernel keyring (Linux only).
#[derive(Debug, Clone, Default)]
pub struct KernelKeyringStore {
    _private: (),
}

impl KernelKeyringStore {
    /// A store over this user's persistent keyring.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks that the keyring can be used here (keyctl allowed, persistent keyrings in the
    /// kernel), so a choice made in the configuration fails at start with the reason.
    pub fn probe(&self) -> Result<(), TokenStoreError> {
        persistent_keyring().map(|_| ())
    }

    /// How long the kernel keeps the persistent keyring when nothing touches it, in seconds.
    pub fn expiry_secs() -> Option<u64> {
        std::fs::read_to_string(EXPIRY_FILE)
            .ok()
            .and_then(|s| s.trim().parse().ok())
    }
}

/// The key's description: our service name and the account, like the OS keyring's entry.
fn description(key: &AccountKey) -> String {
    format!("{KEYRING_SERVICE}:{}", key.as_str())
}

/// The user's persistent keyring, linked into this process's keyring (which the kernel creates on
/// demand and which no other process shares). Asking for it resets its expiry.
fn persistent_keyring() -> Result<KeyRing, TokenStoreError> {
    KeyRing::get_persistent(KeyRingIdentifier::Process).map_err(|e| {
        TokenStoreError::KernelKeyringUnavailable {
            reason: unavailable_reason(e),
        }
    })
}

/// Why the kernel keyring cannot be used at all, in words an admin can act on.
fn unavailable_reason(e: KeyError) -> String {
    match e {
        KeyError::Unknown(code) if code == ENOSYS => {
            "this kernel has no key management (keyctl is not implemented)".into()
        }
        KeyError::Unknown(code) if code == EOPNOTSUPP => {
            "this kernel was built without persistent keyrings (CONFIG_PERSISTENT_KEYRINGS)".into()
        }
        KeyError::Unknown(code) if code == EPERM => "the keyctl system call is blocked here (a \
             container's seccomp profile, or a systemd unit whose SystemCallFilter= leaves out \
             @keyring)"
            .into(),
        KeyError::AccessDenied => {
            "the kernel refused access to this user's persistent keyring".into()
        }
        KeyError::QuotaExceeded => quota_text().into(),
        other => format!("keyctl failed ({other:?})"),
    }
}

// errno values of Linux (the same on every architecture Bridgekeeper builds for).
const ENOSYS: i32 = 38;
const EOPNOTSUPP: i32 = 95;
const EPERM: i32 = 1;

fn quota_text() -> &'static str {
    "this user's kernel key quota is full (see /proc/key-users and \
     /proc/sys/kernel/keys/maxbytes); remove unused keys with keyctl or raise the quota"
}

/// An operation on an existing keyring failed.
fn op_error(what: &str, e: KeyError) -> TokenStoreError {
    let detail = match e {
        KeyError::QuotaExceeded => quota_text().to_owned(),
        KeyError::AccessDenied => {
            format!("{what}: the kernel refused access to the entry (is it another user's?)")
        }
        other => format!("{what}: keyctl failed ({other:?})"),
    };
    TokenStoreError::Keyring { detail }
}

/// The key holding `key`'s session, if there is a live one.
fn find(ring: &KeyRing, key: &AccountKey) -> Result<Option<Key>, TokenStoreError> {
    match ring.search(&description(key)) {
        Ok(found) => Ok(Some(found)),
        // Gone, expired or invalidated: nothing usable is stored.
        Err(KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked) => Ok(None),
        Err(e) => Err(op_error("looking up the stored sign-in", e)),
    }
}

impl TokenStore for KernelKeyringStore {
    fn load(&self, key: &AccountKey) -> Result<Option<StoredSession>, TokenStoreError> {
        let ring = persistent_keyring()?;
        let Some(found) = find(&ring, key)? else {
            return Ok(None);
        };
        let mut buf = vec![0u8; MAX_PAYLOAD + 1];
        let len = match found.read(&mut buf) {
            Ok(len) => len,
            Err(KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked) => {
                return Ok(None);
            }
            Err(e) => return Err(op_error("reading the stored sign-in", e)),
        };
        buf.truncate(len.min(buf.len()));
        let raw = String::from_utf8(buf).map_err(|_| TokenStoreError::Corrupt {
            reason: "the stored secret is not UTF-8".into(),
        })?;
        decode(&raw).map(Some)
    }

    fn save(&self, key: &AccountKey, session: &StoredSession) -> Result<(), TokenStoreError> {
        let raw = encode(session)?;
        if raw.len() > MAX_PAYLOAD {
            return Err(TokenStoreError::Keyring {
                detail: format!(
                    "the session is {} bytes, more than a kernel key holds ({MAX_PAYLOAD})",
                    raw.len()
                ),
            });
        }
        let ring = persistent_keyring()?;
        // add_key replaces the payload of an existing key with the same description in place.
        ring.add_key(&description(key), raw.as_bytes())
            .map(|_| ())
            .map_err(|e| op_error("storing the sign-in", e))
    }

    fn delete(&self, key: &AccountKey) -> Result<bool, TokenStoreError> {
        let ring = persistent_keyring()?;
        let Some(found) = find(&ring, key)? else {
            return Ok(false);
        };
        // Invalidation hides the key from every search at once; the kernel frees it right after.
        match found.invalidate() {
            Ok(()) => Ok(true),
            Err(KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked) => {
                Ok(false)
            }
            Err(e) => Err(op_error("removing the stored sign-in", e)),
        }
    }
}

#[cfg(test)]
mod tests;
