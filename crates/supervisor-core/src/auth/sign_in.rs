//! The browser sign-in: PKCE (or code + secret for a confidential client) via the system browser
//! and the loopback redirect listener.

use std::sync::Arc;

use genesys_client::oauth::OAuthClient;
use genesys_client::{
    AuthorizeRequest, Client, ClientCredentials, Environment, OAuthState, PkceVerifier, StaticToken,
};
use genesys_model::ClientSecret;
use url::Url;

use super::environment::{check_allowed, environment_label};
use super::error::AuthError;
use super::loopback::{LoopbackConfig, LoopbackListener, Pasted, check_pasted};
use super::session::{Session, SessionOptions, expiry_from};
use crate::token_store::{AccountKey, Secret, StoredSession, TokenStore};

/// What to sign in to and with which OAuth client.
#[derive(Clone, Debug)]
pub struct SignInConfig {
    /// A region (HTTPS) or a loopback emulator.
    pub environment: Environment,
    /// The organisation's OAuth client id.
    pub client_id: String,
    /// Set for a confidential client (code + Basic secret, refreshable); `None` for PKCE.
    pub client_secret: Option<ClientSecret>,
    /// The registered redirect listener (port, path, timeout).
    pub loopback: LoopbackConfig,
    /// Pre-fills the login page (`email`, `email:orgName` or `orgName`).
    pub login_hint: Option<String>,
    /// Refresh behaviour of the resulting session.
    pub session: SessionOptions,
}

impl SignInConfig {
    /// A PKCE sign-in with the default redirect (`http://localhost:8765/oauth/callback`).
    pub fn pkce(environment: Environment, client_id: impl Into<String>) -> Self {
        Self {
            environment,
            client_id: client_id.into(),
            client_secret: None,
            loopback: LoopbackConfig::default(),
            login_hint: None,
            session: SessionOptions::default(),
        }
    }

    /// A confidential-client sign-in; the secret ends up in the keyring with the tokens.
    pub fn confidential(
        environment: Environment,
        client_id: impl Into<String>,
        secret: ClientSecret,
    ) -> Self {
        Self {
            client_secret: Some(secret),
            ..Self::pkce(environment, client_id)
        }
    }
}

/// A sign-in in progress: the listener is bound and the authorize URL is ready for the browser.
pub struct SignIn {
    config: SignInConfig,
    store: Arc<dyn TokenStore>,
    listener: LoopbackListener,
    verifier: PkceVerifier,
    state: OAuthState,
    redirect_uri: String,
    authorize_url: Url,
    oauth: OAuthClient,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn")
            .field("client_id", &self.config.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl SignIn {
    /// Validates the settings, binds the redirect listener (so a busy port fails before the
    /// browser opens) and builds the authorize URL with fresh PKCE and state.
    pub async fn start(
        config: SignInConfig,
        store: Arc<dyn TokenStore>,
    ) -> Result<Self, AuthError> {
        check_allowed(&config.environment)?;
        if config.client_id.trim().is_empty() {
            return Err(AuthError::InvalidConfig {
                reason: "the OAuth client id is empty".into(),
                source: None,
            });
        }
        // Validates the key shape early (e.g. no '@' in the client id).
        AccountKey::new(&environment_label(&config.environment), &config.client_id)?;
        let oauth =
            OAuthClient::new(&config.environment).map_err(|e| AuthError::InvalidConfig {
                reason: e.to_string(),
                source: Some(e),
            })?;
        let listener = LoopbackListener::bind(&config.loopback).await?;
        let redirect_uri = listener.redirect_uri();
        let verifier = PkceVerifier::generate();
        let state = OAuthState::generate();
        let mut request =
            AuthorizeRequest::pkce(&config.client_id, &redirect_uri, state.clone(), &verifier);
        if let Some(hint) = &config.login_hint {
            request = request.login_hint(hint);
        }
        let mut authorize_url =
            request
                .url(&config.environment)
                .map_err(|e| AuthError::InvalidConfig {
                    reason: e.to_string(),
                    source: Some(e),
                })?;
        if config.client_secret.is_some() {
            // The confidential code grant authenticates with the secret and sends no verifier.
            strip_pkce(&mut authorize_url);
        }
        tracing::info!(
            client_id = %config.client_id,
            environment = %environment_label(&config.environment),
            confidential = config.client_secret.is_some(),
            port = listener.port(),
            "sign-in started"
        );
        Ok(Self {
            config,
            store,
            listener,
            verifier,
            state,
            redirect_uri,
            authorize_url,
            oauth,
        })
    }

    /// The URL to open in the system browser (or print for the user).
    pub fn authorize_url(&self) -> &Url {
        &self.authorize_url
    }

    /// The redirect URI in use; it must be registered on the OAuth client exactly.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Checks addresses the user pastes for this sign-in (see [`SignIn::finish_or`]).
    pub fn paste_check(&self) -> PasteCheck {
        PasteCheck {
            redirect_uri: self.redirect_uri.clone(),
            state: self.state.clone(),
        }
    }

    /// Waits for the browser, exchanges the code, reads the user profile, stores the session and
    /// returns it. The listener serves one successful callback and is then closed.
    pub async fn finish(self) -> Result<Session, AuthError> {
        self.finish_or(std::future::pending()).await
    }

    /// [`SignIn::finish`] where the code may also come from `pasted` (a headless sign-in: the
    /// browser runs elsewhere and the user pastes the address it was redirected to, checked with
    /// [`SignIn::paste_check`]); whichever comes first is used.
    pub async fn finish_or(
        self,
        pasted: impl std::future::Future<Output = Result<Secret, AuthError>>,
    ) -> Result<Session, AuthError> {
        let code = self
            .listener
            .wait_for_code_or(self.state.as_str(), pasted)
            .await?;
        let cfg = &self.config;
        let tokens = match &cfg.client_secret {
            None => {
                self.oauth
                    .exchange_pkce(
                        code.expose(),
                        &self.verifier,
                        &cfg.client_id,
                        &self.redirect_uri,
                    )
                    .await
            }
            Some(secret) => {
                let credentials = ClientCredentials::new(&cfg.client_id, secret.clone());
                self.oauth
                    .exchange_code(code.expose(), &self.redirect_uri, &credentials)
                    .await
            }
        }
        .map_err(|e| {
            let invalid_client = e
                .oauth_error()
                .and_then(|o| o.error.as_deref())
                .is_some_and(|code| code == "invalid_client");
            if invalid_client {
                tracing::warn!(client_id = %cfg.client_id, "the token endpoint refused the client credentials");
                AuthError::ClientRejected {
                    client_id: cfg.client_id.clone(),
                    source: e,
                }
            } else {
                AuthError::TokenRequest(e)
            }
        })?;
        let expires_at = expiry_from(tokens.expires_in);

        let profile = Client::builder(cfg.environment.clone())
            .token_source(StaticToken::from(tokens.access_token.clone()))
            .build()
            .map_err(AuthError::Profile)?
            .users_me(&[])
            .await
            .map_err(AuthError::Profile)?;

        let stored = StoredSession {
            environment: environment_label(&cfg.environment),
            client_id: cfg.client_id.clone(),
            user_id: profile.id.as_str().to_owned(),
            user_name: profile.name.clone(),
            access_token: tokens.access_token,
            expires_at,
            // A refresh token is only useful together with the secret (PKCE clients cannot refresh).
            refresh_token: cfg.client_secret.as_ref().and(tokens.refresh_token),
            client_secret: cfg.client_secret.clone(),
        };
        let key = AccountKey::new(&stored.environment, &stored.client_id)?;
        {
            let store = Arc::clone(&self.store);
            let stored = stored.clone();
            let key = key.clone();
            tokio::task::spawn_blocking(move || store.save(&key, &stored))
                .await
                .map_err(AuthError::Internal)??;
        }
        tracing::info!(account = %key, user_id = %stored.user_id, %expires_at, "signed in");
        Session::from_stored(
            stored,
            cfg.environment.clone(),
            self.store,
            cfg.session.clone(),
        )
    }
}

/// Checks a pasted redirect address against one sign-in's redirect URI and `state`.
#[derive(Clone)]
pub struct PasteCheck {
    redirect_uri: String,
    state: OAuthState,
}

impl std::fmt::Debug for PasteCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasteCheck")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl PasteCheck {
    /// The code of this sign-in's redirect, the login page's refusal, or why the text is not
    /// this sign-in's redirect (then the user pastes again).
    pub fn check(&self, pasted: &str) -> Pasted {
        check_pasted(pasted, &self.redirect_uri, self.state.as_str())
    }
}

fn strip_pkce(url: &mut Url) {
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "code_challenge" && k != "code_challenge_method")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut().clear().extend_pairs(kept);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::loopback::DEFAULT_REDIRECT_PATH;
    use crate::token_store::MemoryStore;
    use genesys_client::Region;
    use std::time::Duration;

    fn cfg(env: Environment) -> SignInConfig {
        SignInConfig {
            loopback: LoopbackConfig {
                port: 0,
                path: DEFAULT_REDIRECT_PATH.into(),
                timeout: Duration::from_secs(1),
            },
            ..SignInConfig::pkce(env, "my-client")
        }
    }

    fn query(url: &Url, key: &str) -> Option<String> {
        url.query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    }

    #[tokio::test]
    async fn authorize_url_for_a_region_uses_https_login_host_and_pkce() {
        let s = SignIn::start(
            cfg(Environment::Region(Region::EuWest1)),
            Arc::new(MemoryStore::new()),
        )
        .await
        .expect("start");
        let url = s.authorize_url();
        assert_eq!(
            url.origin().ascii_serialization(),
            "https://login.mypurecloud.ie"
        );
        assert_eq!(
            query(url, "redirect_uri").as_deref(),
            Some(s.redirect_uri())
        );
        assert!(s.redirect_uri().starts_with("http://localhost:"));
        assert_eq!(query(url, "code_challenge_method").as_deref(), Some("S256"));
        assert_eq!(query(url, "client_id").as_deref(), Some("my-client"));
        assert!(query(url, "state").is_some_and(|st| st.len() >= 32));
    }

    #[tokio::test]
    async fn confidential_authorize_url_has_no_pkce_and_remote_custom_bases_are_refused() {
        let mut c = cfg(Environment::Region(Region::UsEast1));
        c.client_secret = Some(ClientSecret::new("s"));
        let s = SignIn::start(c, Arc::new(MemoryStore::new()))
            .await
            .expect("start");
        assert!(query(s.authorize_url(), "code_challenge").is_none());
        assert_eq!(
            query(s.authorize_url(), "response_type").as_deref(),
            Some("code")
        );

        let remote = Environment::custom("https://example.com").expect("url");
        let err = SignIn::start(cfg(remote), Arc::new(MemoryStore::new()))
            .await
            .expect_err("remote custom base");
        assert!(matches!(err, AuthError::InvalidConfig { .. }), "{err}");
        let mut empty = cfg(Environment::Region(Region::UsEast1));
        empty.client_id = " ".into();
        assert!(
            SignIn::start(empty, Arc::new(MemoryStore::new()))
                .await
                .is_err()
        );
    }
}
