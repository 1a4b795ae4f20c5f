//! Access tokens, refresh tokens and authorization codes (the OAuth server's memory).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use crate::ids::secret_token;

/// An issued access token's record (the token string itself is only the map key).
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub id: u64,
    pub session: u64,
    pub client_id: String,
    pub user_id: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// A refresh token's record.
#[derive(Debug, Clone)]
pub struct RefreshToken {
    pub session: u64,
    pub client_id: String,
    pub user_id: String,
}

/// A pending authorization code.
#[derive(Debug, Clone)]
pub struct AuthCode {
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub challenge: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// Who is calling, resolved from a valid bearer token. Holds no secret, so Debug is safe.
#[derive(Debug, Clone)]
pub struct Principal {
    pub token_id: u64,
    pub session: u64,
    pub client_id: String,
    pub user_id: Option<String>,
    pub permissions: Vec<String>,
}

impl Principal {
    /// Whether the caller holds the permission.
    pub fn has(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }
}

/// What a successful grant hands out.
pub struct Issued {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: i64,
}

/// Why a bearer token was not accepted.
pub enum TokenRejection {
    Unknown,
    Expired,
}

/// The token store.
#[derive(Default)]
pub struct TokenStore {
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
    codes: HashMap<String, AuthCode>,
    next_id: u64,
}

impl TokenStore {
    /// Issues an access token (and a refresh token for user sessions of confidential clients).
    pub fn issue(
        &mut self,
        client_id: &str,
        user_id: Option<&str>,
        ttl: std::time::Duration,
        session: Option<u64>,
        with_refresh: bool,
    ) -> Issued {
        self.next_id += 1;
        let id = self.next_id;
        let session = session.unwrap_or(id);
        let ttl_secs = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let access_token = secret_token();
        self.access.insert(
            access_token.clone(),
            AccessToken {
                id,
                session,
                client_id: client_id.to_owned(),
                user_id: user_id.map(str::to_owned),
                expires_at: Utc::now() + Duration::seconds(ttl_secs),
            },
        );
        let refresh_token = match (with_refresh, user_id) {
            (true, Some(u)) => {
                let t = secret_token();
                self.refresh.insert(
                    t.clone(),
                    RefreshToken {
                        session,
                        client_id: client_id.to_owned(),
                        user_id: u.to_owned(),
                    },
                );
                Some(t)
            }
            _ => None,
        };
        Issued {
            access_token,
            refresh_token,
            expires_in: ttl_secs,
        }
    }

    /// Resolves a bearer token.
    pub fn lookup(&self, token: &str) -> Result<&AccessToken, TokenRejection> {
        match self.access.get(token) {
            None => Err(TokenRejection::Unknown),
            Some(t) if t.expires_at <= Utc::now() => Err(TokenRejection::Expired),
            Some(t) => Ok(t),
        }
    }

    /// Revokes every access and refresh token of a session (DELETE /api/v2/tokens/me).
    pub fn revoke_session(&mut self, session: u64) {
        self.access.retain(|_, t| t.session != session);
        self.refresh.retain(|_, t| t.session != session);
    }

    /// Revokes all tokens, or all of one user's; returns how many access tokens went.
    pub fn revoke_user(&mut self, user_id: Option<&str>) -> usize {
        let before = self.access.len();
        let matches = |u: Option<&str>| user_id.is_none() || u == user_id;
        self.access.retain(|_, t| !matches(t.user_id.as_deref()));
        self.refresh
            .retain(|_, t| !matches(Some(t.user_id.as_str())));
        before - self.access.len()
    }

    /// Makes all access tokens (or one user's) expired now; refresh tokens stay valid.
    pub fn expire_user(&mut self, user_id: Option<&str>) -> usize {
        let now = Utc::now();
        let mut n = 0;
        for t in self.access.values_mut() {
            if user_id.is_none() || t.user_id.as_deref() == user_id {
                t.expires_at = now;
                n += 1;
            }
        }
        n
    }

    /// Drops tokens whose user no longer exists (after loading another scenario).
    pub fn retain_users(&mut self, exists: impl Fn(&str) -> bool) {
        self.access
            .retain(|_, t| t.user_id.as_deref().is_none_or(&exists));
        self.refresh.retain(|_, t| exists(&t.user_id));
    }

    /// Stores a new authorization code (60 s life) and returns it.
    pub fn new_code(&mut self, code: AuthCode) -> String {
        let now = Utc::now();
        self.codes.retain(|_, c| c.expires_at > now);
        let value = secret_token();
        self.codes.insert(value.clone(), code);
        value
    }

    /// Takes a code out (codes are single use, even when the exchange then fails).
    pub fn take_code(&mut self, code: &str) -> Option<AuthCode> {
        self.codes.remove(code)
    }

    /// Takes a refresh token out (refresh tokens rotate).
    pub fn take_refresh(&mut self, token: &str) -> Option<RefreshToken> {
        self.refresh.remove(token)
    }

    /// Puts a refresh token back (a refresh attempt by the wrong client must not burn it).
    pub fn restore_refresh(&mut self, token: String, record: RefreshToken) {
        self.refresh.insert(token, record);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The configured lifetime is what the token lives: gone at its end, good before it. Checked
    /// here on the store, so the HTTP tests need not wait a lifetime out in real time.
    #[test]
    fn a_token_lives_exactly_its_ttl() {
        let mut store = TokenStore::default();
        let long = store.issue(
            "c",
            Some("u"),
            std::time::Duration::from_secs(3600),
            None,
            false,
        );
        assert_eq!(long.expires_in, 3600);
        assert!(store.lookup(&long.access_token).is_ok());
        let gone = store.issue("c", Some("u"), std::time::Duration::ZERO, None, false);
        assert_eq!(gone.expires_in, 0);
        assert!(matches!(
            store.lookup(&gone.access_token),
            Err(TokenRejection::Expired)
        ));
        assert!(matches!(store.lookup("nope"), Err(TokenRejection::Unknown)));
    }
}
