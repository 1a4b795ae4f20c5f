//! A string that must never be printed: the OAuth authorization code and similar one-off secrets
//! (tokens and client secrets use the typed secrets of `genesys-model`).

use std::fmt;

/// Holds a credential so that `Debug`/`Display` can never leak it into a log, an error or IPC.
///
/// Deliberately has no `Serialize`: the only way to persist it is [`Secret::expose`] inside the
/// keyring DTO, which keeps every place that touches the raw value greppable.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a raw credential; the caller promises not to keep other copies around.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Gives out the raw value for the one place that needs it (an HTTP header or the keyring).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some([redacted])");
        assert_eq!(s.expose(), "hunter2-very-secret");
    }
}
