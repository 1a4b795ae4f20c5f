//! The token seam: the client asks a [`TokenSource`] for the current token on every attempt, so
//! supervisor-core can plug in keyring storage and refresh without the client knowing.

use std::future::Future;
use std::pin::Pin;

pub use genesys_model::AccessToken;

/// The future a [`TokenSource`] returns (boxed so the trait stays object-safe).
pub type TokenFuture<'a> =
    Pin<Box<dyn Future<Output = Result<AccessToken, TokenError>> + Send + 'a>>;

/// Supplies the current access token.
pub trait TokenSource: Send + Sync {
    /// The token to send now; may refresh first. An error means nobody is signed in.
    fn access_token(&self) -> TokenFuture<'_>;

    /// Called when the server answered 401 to `rejected`, so the source can drop or refresh it.
    /// The request itself is not retried: the caller reports "sign in again".
    fn invalidate(&self, _rejected: &AccessToken) {}
}

/// Why a [`TokenSource`] could not supply a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TokenError {
    kind: TokenErrorKind,
    message: String,
}

/// What kind of "no token" it is, so callers decide on the kind and never on the words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenErrorKind {
    /// Nobody is signed in (or the session was cleared).
    NotSignedIn,
    /// There was a session, but it ended (expired and not renewable, revoked): sign in again.
    SessionEnded,
    /// Anything else (keyring unavailable, a token that cannot be sent).
    Other,
}

impl TokenError {
    /// Nobody is signed in (or the session was cleared).
    pub fn not_signed_in() -> Self {
        Self {
            kind: TokenErrorKind::NotSignedIn,
            message: "no access token: sign in first".into(),
        }
    }

    /// The session ended (expired, refresh refused, revoked); the message says so for logs.
    pub fn session_ended(message: impl Into<String>) -> Self {
        Self {
            kind: TokenErrorKind::SessionEnded,
            message: message.into(),
        }
    }

    /// Any other reason (keyring unavailable, refresh refused, ...); never include the token itself.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            kind: TokenErrorKind::Other,
            message: message.into(),
        }
    }

    /// Which kind of "no token" this is.
    pub fn kind(&self) -> TokenErrorKind {
        self.kind
    }
}

/// A fixed token: the CLI, tests and the emulator demo.
#[derive(Debug, Clone)]
pub struct StaticToken(AccessToken);

impl StaticToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(AccessToken::new(token))
    }
}

impl From<AccessToken> for StaticToken {
    fn from(token: AccessToken) -> Self {
        Self(token)
    }
}

impl TokenSource for StaticToken {
    fn access_token(&self) -> TokenFuture<'_> {
        let token = self.0.clone();
        Box::pin(async move { Ok(token) })
    }
}

/// A source with no token: every call fails with `NotSignedIn` before touching the network.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoToken;

impl TokenSource for NoToken {
    fn access_token(&self) -> TokenFuture<'_> {
        Box::pin(async { Err(TokenError::not_signed_in()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_token_debug_is_redacted() {
        let t = StaticToken::new("top-secret-token");
        let debug = format!("{t:?}");
        assert!(!debug.contains("top-secret"), "{debug}");
    }
}
