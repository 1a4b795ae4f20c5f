//! A signed-in session: hands out the access token, refreshes it when the client is confidential,
//! and otherwise says "sign in again" the moment the token is no longer good.
//!
//! The session is the one owner of its lifecycle: its status (active, expired or revoked, signed
//! out) is published through a `tokio::sync::watch` channel ([`Session::subscribe`]), and the
//! roster, the actions and the desktop follow it instead of keeping their own copies. Whoever
//! learns that the session is over (a 401, a refused refresh, the platform's `token_revoked` on
//! the notification channel) reports it here ([`Session::end`]), and every subscriber sees it at
//! once.
//!
//! When a refresh is refused because another process on the same stored session (a service and an
//! admin's command) renewed it first and so voided this copy's refresh token, the session takes the
//! stored tokens instead of ending. (Just over 600 lines: use, refresh, adoption, 401 and sign-out
//! share one lock and one gate and read best together; the tests are in `session/tests.rs`.)
//!
//! Never waits for a user and never queues: a request made with an expired PKCE session fails at
//! once with [`AuthError::SessionExpired`], so no action can run later behind the user's back.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use genesys_client::{
    AccessToken, Client, ClientCredentials, Environment, ErrorKind, StaticToken, TokenError,
    TokenFuture, TokenSource, oauth::OAuthClient,
};
use genesys_model::{ClientSecret, RefreshToken, TokenResponse};

use super::environment::{environment_label, parse_environment};
use super::error::AuthError;
use crate::token_store::{AccountKey, StoredSession, TokenStore};

/// A confidential session refreshes this long before the access token expires.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// A token this close to expiry is treated as expired (clock skew and time on the wire).
const EXPIRY_SKEW: Duration = Duration::from_secs(2);
/// Sign-out does not wait longer than this for the revoke call.
const REVOKE_TIMEOUT: Duration = Duration::from_secs(5);
/// A 401 within this time of a 401-triggered refresh ends the session instead of refreshing again
/// (so a broken token can never cause a refresh loop).
const FORCED_REFRESH_WINDOW: Duration = Duration::from_secs(60);
/// Used when the token response has no `expires_in` (the platform default lifetime is 24 h).
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(86_400);

/// How a session manages its tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionOptions {
    /// Confidential sessions refresh this long before expiry (default 60 s; tests use seconds).
    pub refresh_margin: Duration,
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self {
            refresh_margin: DEFAULT_REFRESH_MARGIN,
        }
    }
}

/// The signed-in Genesys user: the audit log's actor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionUser {
    /// Genesys user id.
    pub id: String,
    /// Display name, when the profile has one.
    pub name: Option<String>,
}

/// Where a session stands, so the UI can show "sign in again" without making a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionStatus {
    /// Tokens are (or can be made) valid.
    Active,
    /// Expired or revoked and not renewable: sign in again.
    Expired,
    /// Signed out by the user.
    SignedOut,
}

/// A signed-in session; cheap to clone (clones share tokens), and a [`TokenSource`] for
/// `genesys_client::Client`.
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("account", &self.inner.key)
            .field("user", &self.inner.user)
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

struct Inner {
    key: AccountKey,
    environment: Environment,
    client_id: String,
    user: SessionUser,
    store: Arc<dyn TokenStore>,
    oauth: OAuthClient,
    options: SessionOptions,
    /// Short critical sections only (never held across an await).
    tokens: Mutex<Tokens>,
    /// Serialises refreshes (and the store writes that follow) so one refresh serves all callers.
    refresh_gate: tokio::sync::Mutex<()>,
    /// The lifecycle, published: the only place the status is kept.
    status: Lifecycle,
}

/// A session's lifecycle, published through a `tokio::sync::watch` channel: cheap to clone, every
/// clone is the same lifecycle. [`Session::lifecycle`] hands out the session's; code that acts
/// without a session (tests, benches) can make its own with [`Lifecycle::new`].
#[derive(Clone, Debug)]
pub struct Lifecycle {
    tx: Arc<tokio::sync::watch::Sender<SessionStatus>>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self::new()
    }
}

impl Lifecycle {
    /// An active lifecycle.
    pub fn new() -> Self {
        Self {
            tx: Arc::new(tokio::sync::watch::Sender::new(SessionStatus::Active)),
        }
    }

    /// Where it stands now.
    pub fn status(&self) -> SessionStatus {
        *self.tx.borrow()
    }

    /// The current status, then every change (a lifecycle never becomes active again).
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<SessionStatus> {
        self.tx.subscribe()
    }

    /// Active → expired, published to every subscriber; true when this call made the change.
    pub fn end(&self) -> bool {
        self.tx.send_if_modified(|s| {
            let active = *s == SessionStatus::Active;
            if active {
                *s = SessionStatus::Expired;
            }
            active
        })
    }

    fn sign_out(&self) {
        self.tx.send_if_modified(|s| {
            let changed = *s != SessionStatus::SignedOut;
            *s = SessionStatus::SignedOut;
            changed
        });
    }
}

struct Tokens {
    access: AccessToken,
    expires_at: DateTime<Utc>,
    refresh: Option<RefreshToken>,
    secret: Option<ClientSecret>,
    /// A 401 asked for a refresh before the next use.
    refresh_requested: bool,
    /// When a 401 last triggered a refresh: another 401 soon after ends the session.
    forced_refresh_at: Option<std::time::Instant>,
}

impl Tokens {
    fn credentials(&self, client_id: &str) -> Option<(RefreshToken, ClientCredentials)> {
        match (&self.refresh, &self.secret) {
            (Some(r), Some(s)) => Some((r.clone(), ClientCredentials::new(client_id, s.clone()))),
            _ => None,
        }
    }
}

/// What to do after looking at the tokens under the lock.
enum Next {
    Use(AccessToken),
    Refresh {
        forced: bool,
        still_valid: Option<AccessToken>,
    },
    Fail(AuthError),
}

impl Session {
    /// Builds a session around freshly issued or stored tokens.
    pub(crate) fn from_stored(
        stored: StoredSession,
        environment: Environment,
        store: Arc<dyn TokenStore>,
        options: SessionOptions,
    ) -> Result<Self, AuthError> {
        let key = AccountKey::new(&stored.environment, &stored.client_id)?;
        let oauth = OAuthClient::new(&environment).map_err(AuthError::Api)?;
        Ok(Self {
            inner: Arc::new(Inner {
                key,
                environment,
                client_id: stored.client_id,
                user: SessionUser {
                    id: stored.user_id,
                    name: stored.user_name,
                },
                store,
                oauth,
                options,
                tokens: Mutex::new(Tokens {
                    access: stored.access_token,
                    expires_at: stored.expires_at,
                    refresh: stored.refresh_token,
                    secret: stored.client_secret,
                    refresh_requested: false,
                    forced_refresh_at: None,
                }),
                refresh_gate: tokio::sync::Mutex::new(()),
                status: Lifecycle::new(),
            }),
        })
    }

    /// Resumes the session stored for this environment and client (app start), without a browser.
    ///
    /// [`AuthError::NotSignedIn`] when nothing is stored; [`AuthError::SessionExpired`] when the
    /// stored PKCE token has expired (a confidential session refreshes on first use instead).
    pub async fn resume(
        environment: &Environment,
        client_id: &str,
        store: Arc<dyn TokenStore>,
        options: SessionOptions,
    ) -> Result<Self, AuthError> {
        super::environment::check_allowed(environment)?;
        let label = environment_label(environment);
        let key = AccountKey::new(&label, client_id)?;
        let loaded = {
            let store = Arc::clone(&store);
            let key = key.clone();
            tokio::task::spawn_blocking(move || store.load(&key))
                .await
                .map_err(AuthError::Internal)??
        };
        let Some(stored) = loaded else {
            return Err(AuthError::NotSignedIn);
        };
        // The entry names its own environment; it must be the one asked for.
        let stored_env = parse_environment(&stored.environment)?;
        if environment_label(&stored_env) != label || stored.client_id != client_id {
            return Err(AuthError::NotSignedIn);
        }
        let renewable = stored.refresh_token.is_some() && stored.client_secret.is_some();
        if !renewable && !fresh(stored.expires_at, Duration::ZERO) {
            return Err(AuthError::SessionExpired);
        }
        let session = Self::from_stored(stored, stored_env, store, options)?;
        tracing::info!(account = %session.inner.key, renewable, "session resumed from the token store");
        Ok(session)
    }

    /// Which stored account this session is.
    pub fn account_key(&self) -> &AccountKey {
        &self.inner.key
    }

    /// The signed-in user.
    pub fn user(&self) -> &SessionUser {
        &self.inner.user
    }

    /// The environment the tokens belong to (build the API client with it).
    pub fn environment(&self) -> &Environment {
        &self.inner.environment
    }

    /// The OAuth client id.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// True when the session can renew itself (confidential client with a refresh token).
    pub fn is_renewable(&self) -> bool {
        let t = self.lock();
        t.refresh.is_some() && t.secret.is_some()
    }

    /// When the current access token expires.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.lock().expires_at
    }

    /// Active, expired or signed out, as last seen (expiry is noticed on the next token request,
    /// a revocation when the platform or an API answer says so).
    pub fn status(&self) -> SessionStatus {
        self.inner.status.status()
    }

    /// The session's lifecycle, for code that follows it (the roster, the actions).
    pub fn lifecycle(&self) -> Lifecycle {
        self.inner.status.clone()
    }

    /// The lifecycle as it changes: the current status, then every change (to expired or signed
    /// out; a session never becomes active again).
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<SessionStatus> {
        self.inner.status.subscribe()
    }

    /// The session is over (the platform announced the token revoked, or an API answer refused
    /// it): it becomes expired for every subscriber. Nothing happens if it already ended.
    pub fn end(&self) {
        if self.expire() {
            tracing::info!(account = %self.inner.key, "the session was revoked or expired; sign in again");
        }
    }

    /// Active → expired; true when this call made the change.
    fn expire(&self) -> bool {
        self.inner.status.end()
    }

    /// An API client that takes its tokens from this session.
    pub fn api_client(&self) -> Result<Client, AuthError> {
        Client::builder(self.inner.environment.clone())
            .token_source(self.clone())
            .build()
            .map_err(AuthError::Api)
    }

    /// The token to send now, refreshing first when due; typed errors for the app
    /// ([`TokenSource::access_token`] gives the same as a message).
    pub async fn access_token(&self) -> Result<AccessToken, AuthError> {
        match self.decide() {
            Next::Use(token) => Ok(token),
            Next::Fail(e) => Err(e),
            Next::Refresh { .. } => self.refresh_slow_path().await,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tokens> {
        self.inner
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn decide(&self) -> Next {
        let t = self.lock();
        match self.status() {
            SessionStatus::Expired => return Next::Fail(AuthError::SessionExpired),
            SessionStatus::SignedOut => return Next::Fail(AuthError::NotSignedIn),
            SessionStatus::Active => {}
        }
        let renewable = t.refresh.is_some() && t.secret.is_some();
        let valid = fresh(t.expires_at, Duration::ZERO);
        if renewable {
            if t.refresh_requested {
                return Next::Refresh {
                    forced: true,
                    still_valid: None,
                };
            }
            if fresh(t.expires_at, self.inner.options.refresh_margin) {
                return Next::Use(t.access.clone());
            }
            return Next::Refresh {
                forced: false,
                still_valid: valid.then(|| t.access.clone()),
            };
        }
        if valid {
            Next::Use(t.access.clone())
        } else {
            drop(t);
            self.expire();
            tracing::info!(account = %self.inner.key, "access token expired; sign in again");
            Next::Fail(AuthError::SessionExpired)
        }
    }

    async fn refresh_slow_path(&self) -> Result<AccessToken, AuthError> {
        let _gate = self.inner.refresh_gate.lock().await;
        let mut adopted = false;
        loop {
            // Someone else may have refreshed while we waited for the gate.
            let (forced, still_valid, refresh, credentials) = match self.decide() {
                Next::Use(token) => return Ok(token),
                Next::Fail(e) => return Err(e),
                Next::Refresh {
                    forced,
                    still_valid,
                } => {
                    let t = self.lock();
                    let Some((refresh, credentials)) = t.credentials(&self.inner.client_id) else {
                        return Err(AuthError::SessionExpired);
                    };
                    (forced, still_valid, refresh, credentials)
                }
            };
            tracing::info!(account = %self.inner.key, forced, "refreshing the access token");
            return match self.inner.oauth.refresh(&refresh, &credentials).await {
                Ok(response) => self.apply_refresh(response, forced).await,
                Err(e) if session_is_over(e.kind()) => {
                    // Once: another process on this stored session may have renewed it first.
                    if !adopted && self.adopt_newer_stored(&refresh).await {
                        adopted = true;
                        continue;
                    }
                    tracing::warn!(account = %self.inner.key, error = %e, "refresh refused; sign in again");
                    self.expire();
                    Err(AuthError::SessionExpired)
                }
                Err(e) => match still_valid {
                    // A network blip before expiry: keep using the current token, retry next time.
                    Some(token) if !forced => {
                        tracing::warn!(account = %self.inner.key, error = %e, "refresh failed; current token still valid");
                        Ok(token)
                    }
                    _ => Err(AuthError::Api(e)),
                },
            };
        }
    }

    /// After a refused refresh: when the store holds another refresh token than the one just
    /// refused, another process sharing this session (a service and an admin's `whoami`) renewed
    /// it first, and with rotating refresh tokens that voided ours. Takes the stored tokens; true
    /// when it did (the caller then uses or refreshes them, once).
    async fn adopt_newer_stored(&self, refused: &RefreshToken) -> bool {
        let store = Arc::clone(&self.inner.store);
        let key = self.inner.key.clone();
        let Ok(Ok(Some(stored))) = tokio::task::spawn_blocking(move || store.load(&key)).await
        else {
            return false;
        };
        let newer = stored
            .refresh_token
            .as_ref()
            .is_some_and(|stored| stored != refused);
        if !newer || stored.client_id != self.inner.client_id {
            return false;
        }
        let mut t = self.lock();
        if self.status() != SessionStatus::Active {
            return false;
        }
        t.access = stored.access_token;
        t.expires_at = stored.expires_at;
        t.refresh = stored.refresh_token;
        t.refresh_requested = false;
        drop(t);
        tracing::info!(account = %self.inner.key, "another process renewed this session; using its tokens");
        true
    }

    async fn apply_refresh(
        &self,
        response: TokenResponse,
        forced: bool,
    ) -> Result<AccessToken, AuthError> {
        let expires_at = expiry_from(response.expires_in);
        let stored = {
            let mut t = self.lock();
            let status = self.status();
            if status != SessionStatus::Active {
                // Signed out while the refresh was on the wire: do not resurrect the entry.
                return Err(match status {
                    SessionStatus::SignedOut => AuthError::NotSignedIn,
                    _ => AuthError::SessionExpired,
                });
            }
            t.access = response.access_token;
            t.expires_at = expires_at;
            if let Some(r) = response.refresh_token {
                t.refresh = Some(r);
            }
            t.refresh_requested = false;
            if forced {
                t.forced_refresh_at = Some(std::time::Instant::now());
            }
            self.snapshot(&t)
        };
        let token = stored.access_token.clone();
        let store = Arc::clone(&self.inner.store);
        let key = self.inner.key.clone();
        let saved = tokio::task::spawn_blocking(move || store.save(&key, &stored)).await;
        match saved {
            Ok(Ok(())) => {
                tracing::info!(account = %self.inner.key, %expires_at, "access token refreshed and stored")
            }
            // The new tokens still work in memory; the next app start will ask to sign in.
            Ok(Err(e)) => {
                tracing::warn!(account = %self.inner.key, error = %e, "refreshed tokens could not be stored")
            }
            Err(e) => {
                tracing::warn!(account = %self.inner.key, error = %e, "refreshed tokens could not be stored")
            }
        }
        Ok(token)
    }

    fn snapshot(&self, t: &Tokens) -> StoredSession {
        StoredSession {
            environment: environment_label(&self.inner.environment),
            client_id: self.inner.client_id.clone(),
            user_id: self.inner.user.id.clone(),
            user_name: self.inner.user.name.clone(),
            access_token: t.access.clone(),
            expires_at: t.expires_at,
            refresh_token: t.refresh.clone(),
            client_secret: t.secret.clone(),
        }
    }

    /// The API said 401 to `rejected`: a confidential session refreshes once before the next
    /// request; a PKCE session (or a 401 soon after such a refresh) is over.
    fn on_unauthorized(&self, rejected: &AccessToken) {
        let mut t = self.lock();
        if self.status() != SessionStatus::Active || t.access != *rejected {
            return; // Already handled, or a stale token from before a refresh.
        }
        let renewable = t.refresh.is_some() && t.secret.is_some();
        let recently_forced = t
            .forced_refresh_at
            .is_some_and(|at| at.elapsed() < FORCED_REFRESH_WINDOW);
        if renewable && !recently_forced {
            t.refresh_requested = true;
            tracing::info!(account = %self.inner.key, "401 from the API; will refresh before the next request");
        } else {
            drop(t);
            self.expire();
            tracing::info!(account = %self.inner.key, "401 from the API; session expired or revoked");
        }
    }

    /// Signs out: revokes the token on the server (best effort, bounded wait) and deletes the
    /// stored session. Only a failure to delete the stored session is an error.
    pub async fn sign_out(&self) -> Result<(), AuthError> {
        let _gate = self.inner.refresh_gate.lock().await;
        let (token, was_active) = {
            let t = self.lock();
            let was_active = self.status() == SessionStatus::Active;
            self.inner.status.sign_out();
            (t.access.clone(), was_active)
        };
        if was_active {
            let revoke = async {
                let client = Client::builder(self.inner.environment.clone())
                    .token_source(StaticToken::from(token))
                    .timeout(REVOKE_TIMEOUT)
                    .build()?;
                client.revoke_token().await
            };
            match tokio::time::timeout(REVOKE_TIMEOUT, revoke).await {
                Ok(Ok(_)) => tracing::info!(account = %self.inner.key, "token revoked"),
                Ok(Err(e)) => {
                    tracing::warn!(account = %self.inner.key, error = %e, "token revoke failed; signing out locally")
                }
                Err(_) => {
                    tracing::warn!(account = %self.inner.key, "token revoke timed out; signing out locally")
                }
            }
        }
        let store = Arc::clone(&self.inner.store);
        let key = self.inner.key.clone();
        let deleted = tokio::task::spawn_blocking(move || store.delete(&key))
            .await
            .map_err(AuthError::Internal)??;
        tracing::info!(account = %self.inner.key, deleted, "signed out");
        Ok(())
    }
}

impl TokenSource for Session {
    fn access_token(&self) -> TokenFuture<'_> {
        Box::pin(async move {
            Session::access_token(self).await.map_err(|e| match e {
                AuthError::NotSignedIn => TokenError::not_signed_in(),
                // The token error's message reaches people (the CLI's line), so it is the sentence.
                e @ AuthError::SessionExpired => {
                    TokenError::session_ended(crate::present::sign_in::auth(&e))
                }
                other => TokenError::new(crate::present::sign_in::auth(&other)),
            })
        })
    }

    fn invalidate(&self, rejected: &AccessToken) {
        self.on_unauthorized(rejected);
    }
}

/// True when the token is still good for at least `margin` (plus clock skew).
fn fresh(expires_at: DateTime<Utc>, margin: Duration) -> bool {
    let needed = chrono::Duration::from_std(margin + EXPIRY_SKEW).unwrap_or(chrono::Duration::MAX);
    Utc::now()
        .checked_add_signed(needed)
        .is_some_and(|t| t < expires_at)
}

/// The absolute expiry of a token issued now.
pub(crate) fn expiry_from(expires_in: Option<u64>) -> DateTime<Utc> {
    let lifetime = expires_in.map_or(DEFAULT_TOKEN_LIFETIME, Duration::from_secs);
    let lifetime = chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::days(2));
    Utc::now()
        .checked_add_signed(lifetime)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Refresh answers that mean the refresh token or client is no longer accepted.
fn session_is_over(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::OAuth | ErrorKind::Unauthorized | ErrorKind::BadRequest | ErrorKind::Forbidden
    )
}

#[cfg(test)]
mod tests;
