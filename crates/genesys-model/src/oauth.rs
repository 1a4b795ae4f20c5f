//! OAuth token endpoint shapes and the secret types that keep tokens out of logs.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! secret_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        ///
        /// `Debug` prints `<redacted>`; there is no `Display` and no `Serialize`, so the value can only
        /// leave through [`Self::expose_secret`], which is easy to grep for.
        #[derive(Clone, PartialEq, Eq, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a secret obtained elsewhere (keyring, token response, test).
            pub fn new(secret: impl Into<String>) -> Self {
                Self(secret.into())
            }

            /// The secret text, for the one place that must send it.
            pub fn expose_secret(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }
    };
}

secret_type!(
    /// A bearer access token.
    AccessToken
);
secret_type!(
    /// A refresh token (confidential clients only).
    RefreshToken
);
secret_type!(
    /// An OAuth client secret (confidential clients only; never stored on disk by the app).
    ClientSecret
);

/// Successful `POST /oauth/token` response.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TokenResponse {
    /// The bearer token.
    pub access_token: AccessToken,
    /// Usually `bearer`.
    #[serde(default)]
    pub token_type: Option<String>,
    /// Lifetime in seconds, so the session knows when to refresh or ask to sign in again.
    #[serde(default)]
    pub expires_in: Option<u64>,
    /// Present after a confidential code exchange or a refresh; absent for PKCE and client credentials.
    #[serde(default)]
    pub refresh_token: Option<RefreshToken>,
}

/// OAuth error JSON (`{"error":"invalid_grant","error_description":"…"}`); Genesys also sends `description`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OAuthErrorBody {
    /// RFC 6749 error code (`invalid_grant`, `invalid_client`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Human text (standard field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// Human text (Genesys field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl OAuthErrorBody {
    /// The best human text available.
    pub fn text(&self) -> Option<&str> {
        self.error_description
            .as_deref()
            .or(self.description.as_deref())
    }
}

impl fmt::Display for OAuthErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.error.as_deref(), self.text()) {
            (Some(code), Some(text)) => write!(f, "{code}: {text}"),
            (Some(code), None) => f.write_str(code),
            (None, Some(text)) => f.write_str(text),
            (None, None) => f.write_str("unspecified OAuth error"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_response_debug_is_redacted() {
        let t: TokenResponse = serde_json::from_str(
            r#"{"access_token":"sekrit-access","token_type":"bearer","expires_in":86400,"refresh_token":"sekrit-refresh"}"#,
        )
        .unwrap();
        let debug = format!("{t:?}");
        assert!(!debug.contains("sekrit"), "{debug}");
        assert!(debug.contains("<redacted>"));
        assert_eq!(t.access_token.expose_secret(), "sekrit-access");
        assert_eq!(t.expires_in, Some(86400));
    }

    #[test]
    fn oauth_error_text() {
        let e: OAuthErrorBody =
            serde_json::from_str(r#"{"error":"invalid_grant","description":"code expired"}"#)
                .unwrap();
        assert_eq!(e.to_string(), "invalid_grant: code expired");
    }
}
