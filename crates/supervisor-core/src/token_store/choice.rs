//! Which store keeps the sessions: the OS keyring (the default, Secret Service on Linux), the Linux
//! kernel keyring (servers without a Secret Service), or `auto`, which takes the first that works
//! and says which. Never a file.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use super::{KeyringStore, TokenStore, TokenStoreError};

/// What the configuration (`token_store = …`) or `--token-store` asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TokenStoreChoice {
    /// The operating system's keyring: Secret Service on Linux, Keychain, Credential Manager.
    #[default]
    OsKeyring,
    /// This user's persistent Linux kernel keyring (no D-Bus needed; lost at reboot).
    KernelKeyring,
    /// The OS keyring when one answers, else the kernel keyring; the choice is reported.
    Auto,
}

/// The values accepted for the choice, for messages.
pub const TOKEN_STORE_VALUES: &str =
    "\"os-keyring\" (alias \"secret-service\"), \"kernel-keyring\" or \"auto\"";

impl TokenStoreChoice {
    /// The name as written in the configuration file.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OsKeyring => "os-keyring",
            Self::KernelKeyring => "kernel-keyring",
            Self::Auto => "auto",
        }
    }
}

impl fmt::Display for TokenStoreChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TokenStoreChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "os-keyring" | "secret-service" => Ok(Self::OsKeyring),
            "kernel-keyring" => Ok(Self::KernelKeyring),
            "auto" => Ok(Self::Auto),
            other => Err(format!(
                "\"{other}\" is not a token store; use {TOKEN_STORE_VALUES}"
            )),
        }
    }
}

/// The store actually in use, for "your session is in …".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenStoreKind {
    /// The OS keyring.
    OsKeyring,
    /// The Linux kernel's persistent keyring.
    KernelKeyring,
}

impl TokenStoreKind {
    /// The configuration name of this store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OsKeyring => "os-keyring",
            Self::KernelKeyring => "kernel-keyring",
        }
    }

    /// Where the session is, in words (with the kernel keyring's expiry, which people must know).
    pub fn describe(self) -> String {
        match self {
            Self::OsKeyring => "the system keyring".to_owned(),
            Self::KernelKeyring => {
                let days = kernel_expiry_secs().map_or_else(
                    || "some days".to_owned(),
                    |s| {
                        if s % 86_400 == 0 {
                            format!("{} days", s / 86_400)
                        } else {
                            format!("{s} seconds")
                        }
                    },
                );
                format!(
                    "the kernel keyring (this user's persistent keyring, in memory only: it is \
                     forgotten at reboot, or after {days} in which nothing of this user uses it)"
                )
            }
        }
    }
}

#[cfg(target_os = "linux")]
fn kernel_expiry_secs() -> Option<u64> {
    super::KernelKeyringStore::expiry_secs()
}

#[cfg(not(target_os = "linux"))]
fn kernel_expiry_secs() -> Option<u64> {
    None
}

/// A store ready for use and how it was chosen.
#[derive(Clone)]
pub struct OpenedStore {
    /// The store.
    pub store: Arc<dyn TokenStore>,
    /// Which one it is.
    pub kind: TokenStoreKind,
    /// Set when `auto` passed over the OS keyring: why (to be shown, never silent).
    pub fallback_reason: Option<String>,
}

impl fmt::Debug for OpenedStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenedStore")
            .field("kind", &self.kind)
            .field("fallback_reason", &self.fallback_reason)
            .finish_non_exhaustive()
    }
}

/// Opens the chosen store. The kernel keyring is probed here, so a server where keyctl is blocked
/// fails at once with the reason; `auto` probes the OS keyring first.
pub fn open_store(choice: TokenStoreChoice) -> Result<OpenedStore, TokenStoreError> {
    match choice {
        TokenStoreChoice::OsKeyring => Ok(OpenedStore {
            store: Arc::new(KeyringStore::new()),
            kind: TokenStoreKind::OsKeyring,
            fallback_reason: None,
        }),
        TokenStoreChoice::KernelKeyring => open_kernel(None),
        TokenStoreChoice::Auto => match KeyringStore::new().probe() {
            Ok(()) => open_store(TokenStoreChoice::OsKeyring),
            Err(TokenStoreError::KeyringUnavailable { reason }) => {
                open_kernel(Some(reason.clone())).map_err(|e| match e {
                    TokenStoreError::KernelKeyringUnavailable { reason: kernel } => {
                        TokenStoreError::NoTokenStore {
                            os_keyring: reason,
                            kernel_keyring: kernel,
                        }
                    }
                    other => other,
                })
            }
            Err(other) => Err(other),
        },
    }
}

#[cfg(target_os = "linux")]
fn open_kernel(fallback_reason: Option<String>) -> Result<OpenedStore, TokenStoreError> {
    let store = super::KernelKeyringStore::new();
    store.probe()?;
    Ok(OpenedStore {
        store: Arc::new(store),
        kind: TokenStoreKind::KernelKeyring,
        fallback_reason,
    })
}

#[cfg(not(target_os = "linux"))]
fn open_kernel(_fallback_reason: Option<String>) -> Result<OpenedStore, TokenStoreError> {
    Err(TokenStoreError::KernelKeyringUnavailable {
        reason: "the kernel keyring exists only on Linux; use the system keyring".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_parse_by_name_and_unknown_ones_list_the_values() {
        for (text, want) in [
            ("os-keyring", TokenStoreChoice::OsKeyring),
            ("secret-service", TokenStoreChoice::OsKeyring),
            (" Kernel-Keyring ", TokenStoreChoice::KernelKeyring),
            ("auto", TokenStoreChoice::Auto),
        ] {
            assert_eq!(text.parse::<TokenStoreChoice>(), Ok(want), "{text}");
        }
        let err = "file"
            .parse::<TokenStoreChoice>()
            .expect_err("no file store");
        assert!(err.contains("\"file\""), "{err}");
        assert!(
            err.contains("kernel-keyring") && err.contains("auto"),
            "{err}"
        );
        assert_eq!(TokenStoreChoice::default(), TokenStoreChoice::OsKeyring);
        assert_eq!(
            TokenStoreChoice::KernelKeyring.to_string(),
            "kernel-keyring"
        );
    }

    #[test]
    fn the_kernel_keyring_is_described_with_its_limits() {
        let text = TokenStoreKind::KernelKeyring.describe();
        assert!(text.contains("reboot"), "{text}");
        assert!(text.contains("kernel keyring"), "{text}");
        assert_eq!(TokenStoreKind::OsKeyring.describe(), "the system keyring");
    }

    #[test]
    fn store_errors_say_what_to_do_and_never_suggest_a_file() {
        let e = crate::present::sign_in::token_store(&TokenStoreError::NoTokenStore {
            os_keyring: "Secret Service: no result found".into(),
            kernel_keyring: "the keyctl system call is blocked here".into(),
        });
        assert!(
            e.contains("no result found") && e.contains("blocked"),
            "{e}"
        );
        assert!(e.contains("never keeps a sign-in in a file"), "{e}");
        let e = crate::present::sign_in::token_store(&TokenStoreError::KernelKeyringUnavailable {
            reason: "x".into(),
        });
        assert!(e.contains("kernel keyring is unavailable (x)"), "{e}");
    }
}
