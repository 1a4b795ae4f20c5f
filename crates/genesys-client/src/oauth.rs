//! OAuth helpers: PKCE, the authorize URL, and the token grants. No listener and no keyring here:
//! those belong to supervisor-core.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use genesys_model::{ClientSecret, RefreshToken, TokenResponse};
use rand::Rng as _;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use url::Url;

use crate::auth::NoToken;
use crate::client::{Response, Transport};
use crate::config::Environment;
use crate::error::Error;
use crate::request::{Auth, Request};
use crate::retry::RetryPolicy;
use crate::route::Route;

const UNRESERVED: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

fn random_unreserved(len: usize) -> String {
    let mut rng = OsRng;
    (0..len)
        .map(|_| char::from(UNRESERVED[rng.gen_range(0..UNRESERVED.len())]))
        .collect()
}

/// A PKCE code verifier: 43–128 characters of `[A-Za-z0-9-._~]`. Secret until the exchange.
#[derive(Clone, PartialEq, Eq)]
pub struct PkceVerifier(String);

impl PkceVerifier {
    /// A fresh verifier of 64 characters from the OS random source (~380 bits).
    pub fn generate() -> Self {
        Self(random_unreserved(64))
    }

    /// Accepts an existing verifier, checking the RFC 7636 length and alphabet.
    pub fn parse(verifier: impl Into<String>) -> Result<Self, Error> {
        let verifier = verifier.into();
        let len = verifier.len();
        if !(43..=128).contains(&len) {
            return Err(Error::invalid_request(
                "pkce",
                format!("a PKCE verifier has 43 to 128 characters, not {len}"),
            ));
        }
        if !verifier.bytes().all(|b| UNRESERVED.contains(&b)) {
            return Err(Error::invalid_request(
                "pkce",
                "a PKCE verifier may only contain A-Z a-z 0-9 - . _ ~",
            ));
        }
        Ok(Self(verifier))
    }

    /// `BASE64URL(SHA256(verifier))` without padding: the `code_challenge` for `S256`.
    pub fn challenge(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(self.0.as_bytes()))
    }

    /// The verifier text, for the token exchange only.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PkceVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PkceVerifier(<redacted>)")
    }
}

/// The `state` parameter: random, echoed by the redirect, checked by the loopback listener.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct OAuthState(String);

impl OAuthState {
    /// 32 random unreserved characters.
    pub fn generate() -> Self {
        Self(random_unreserved(32))
    }

    /// Wraps a known state (tests).
    pub fn new(state: impl Into<String>) -> Self {
        Self(state.into())
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Compares with the value the redirect brought back, in constant time for equal lengths.
    pub fn matches(&self, returned: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), returned.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// Parameters of `GET /oauth/authorize` for the code + PKCE flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeRequest {
    /// OAuth client id.
    pub client_id: String,
    /// Registered redirect URI, matched exactly by the server.
    pub redirect_uri: String,
    /// CSRF state.
    pub state: OAuthState,
    /// `S256` challenge of the verifier.
    pub code_challenge: String,
    /// Optional `login_hint` (`email`, `email:orgName` or `orgName`).
    pub login_hint: Option<String>,
}

impl AuthorizeRequest {
    /// A PKCE authorize request for `verifier`.
    pub fn pkce(
        client_id: impl Into<String>,
        redirect_uri: impl Into<String>,
        state: OAuthState,
        verifier: &PkceVerifier,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            redirect_uri: redirect_uri.into(),
            state,
            code_challenge: verifier.challenge(),
            login_hint: None,
        }
    }

    /// Adds a `login_hint`.
    pub fn login_hint(mut self, hint: impl Into<String>) -> Self {
        self.login_hint = Some(hint.into());
        self
    }

    /// The URL to open in the system browser.
    pub fn url(&self, environment: &Environment) -> Result<Url, Error> {
        environment.validate()?;
        let mut url = environment
            .login_base()
            .join("/oauth/authorize")
            .map_err(|e| Error::invalid_config("login base cannot be joined").with_source(e))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", &self.client_id)
                .append_pair("response_type", "code")
                .append_pair("redirect_uri", &self.redirect_uri)
                .append_pair("state", self.state.as_str())
                .append_pair("code_challenge", &self.code_challenge)
                .append_pair("code_challenge_method", "S256");
            if let Some(hint) = &self.login_hint {
                q.append_pair("login_hint", hint);
            }
        }
        Ok(url)
    }
}

/// A confidential client's id and secret (Basic authentication on the token endpoint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret (redacted in Debug).
    pub client_secret: ClientSecret,
}

impl ClientCredentials {
    /// Wraps an id and secret.
    pub fn new(client_id: impl Into<String>, client_secret: ClientSecret) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret,
        }
    }

    fn auth(&self) -> Auth {
        Auth::Basic {
            client_id: self.client_id.clone(),
            secret: self.client_secret.clone(),
        }
    }
}

/// Pure builders for the token grants (inspectable in tests).
pub mod grants {
    use super::*;

    /// Code + PKCE: form `grant_type, code, code_verifier, client_id, redirect_uri`; no Authorization header.
    pub fn pkce_exchange(
        code: &str,
        verifier: &PkceVerifier,
        client_id: &str,
        redirect_uri: &str,
    ) -> Result<Request, Error> {
        Ok(Request::new(Route::PostOAuthToken)?
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("code_verifier", verifier.expose_secret()),
                ("client_id", client_id),
                ("redirect_uri", redirect_uri),
            ])
            .auth(Auth::None))
    }

    /// Code with a client secret (Basic): form `grant_type, code, redirect_uri`.
    pub fn code_exchange(
        code: &str,
        redirect_uri: &str,
        credentials: &ClientCredentials,
    ) -> Result<Request, Error> {
        Ok(Request::new(Route::PostOAuthToken)?
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri),
            ])
            .auth(credentials.auth()))
    }

    /// Refresh (Basic): form `grant_type, refresh_token`.
    pub fn refresh(
        refresh_token: &RefreshToken,
        credentials: &ClientCredentials,
    ) -> Result<Request, Error> {
        Ok(Request::new(Route::PostOAuthToken)?
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.expose_secret()),
            ])
            .auth(credentials.auth()))
    }

    /// Client credentials (Basic): form `grant_type`.
    pub fn client_credentials(credentials: &ClientCredentials) -> Result<Request, Error> {
        Ok(Request::new(Route::PostOAuthToken)?
            .form(&[("grant_type", "client_credentials")])
            .auth(credentials.auth()))
    }
}

/// Talks to the token endpoint. Refusals come back as `ErrorKind::OAuth` with the parsed OAuth error.
#[derive(Clone)]
pub struct OAuthClient {
    transport: Transport,
}

impl fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClient").finish_non_exhaustive()
    }
}

impl OAuthClient {
    /// A token-endpoint client for `environment` (default timeouts; 429 honoured, nothing else retried).
    pub fn new(environment: &Environment) -> Result<Self, Error> {
        let transport = Transport::new(
            environment,
            RetryPolicy::default(),
            Duration::from_secs(30),
            Duration::from_secs(10),
            concat!("bridgekeeper-genesys-client/", env!("CARGO_PKG_VERSION")),
            crate::budget::BudgetConfig::default(),
        )?;
        Ok(Self { transport })
    }

    pub(crate) fn from_transport(transport: Transport) -> Self {
        Self { transport }
    }

    /// The full URL a request would be sent to.
    pub fn url_for(&self, request: &Request) -> Result<Url, Error> {
        self.transport.url(request)
    }

    async fn token(&self, request: Request) -> Result<TokenResponse, Error> {
        let response: Response = self
            .transport
            .send(&request, &NoToken, crate::budget::Priority::Interactive)
            .await?;
        response.json()
    }

    /// Exchanges an authorization code with the PKCE verifier (public client, no secret).
    #[tracing::instrument(skip_all, fields(client_id = client_id), level = "info")]
    pub async fn exchange_pkce(
        &self,
        code: &str,
        verifier: &PkceVerifier,
        client_id: &str,
        redirect_uri: &str,
    ) -> Result<TokenResponse, Error> {
        self.token(grants::pkce_exchange(
            code,
            verifier,
            client_id,
            redirect_uri,
        )?)
        .await
    }

    /// Exchanges an authorization code with the client secret (confidential client; returns a refresh token).
    #[tracing::instrument(skip_all, fields(client_id = %credentials.client_id), level = "info")]
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
        credentials: &ClientCredentials,
    ) -> Result<TokenResponse, Error> {
        self.token(grants::code_exchange(code, redirect_uri, credentials)?)
            .await
    }

    /// Refreshes an access token (confidential client).
    #[tracing::instrument(skip_all, fields(client_id = %credentials.client_id), level = "info")]
    pub async fn refresh(
        &self,
        refresh_token: &RefreshToken,
        credentials: &ClientCredentials,
    ) -> Result<TokenResponse, Error> {
        self.token(grants::refresh(refresh_token, credentials)?)
            .await
    }

    /// Client-credentials grant (headless tools; such tokens cannot do call control: 400 `not.a.user`).
    #[tracing::instrument(skip_all, fields(client_id = %credentials.client_id), level = "info")]
    pub async fn client_credentials(
        &self,
        credentials: &ClientCredentials,
    ) -> Result<TokenResponse, Error> {
        self.token(grants::client_credentials(credentials)?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Region;
    use crate::error::ErrorKind;

    #[test]
    fn rfc7636_appendix_b_vector() {
        let v = PkceVerifier::parse("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        assert_eq!(v.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn generated_verifiers_are_valid_and_distinct() {
        let a = PkceVerifier::generate();
        let b = PkceVerifier::generate();
        assert_ne!(a, b);
        assert_eq!(a.expose_secret().len(), 64);
        assert!(PkceVerifier::parse(a.expose_secret()).is_ok());
        assert_eq!(a.challenge().len(), 43);
        assert!(!format!("{a:?}").contains(a.expose_secret()));
    }

    #[test]
    fn verifier_validation() {
        assert_eq!(
            PkceVerifier::parse("a".repeat(42)).unwrap_err().kind(),
            ErrorKind::InvalidRequest
        );
        assert!(PkceVerifier::parse("a".repeat(43)).is_ok());
        assert!(PkceVerifier::parse("a".repeat(128)).is_ok());
        assert!(PkceVerifier::parse("a".repeat(129)).is_err());
        assert!(PkceVerifier::parse(format!("{}+", "a".repeat(50))).is_err());
        assert!(PkceVerifier::parse(format!("{} ", "a".repeat(50))).is_err());
    }

    #[test]
    fn authorize_url_for_a_region() {
        let v = PkceVerifier::parse("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        let url = AuthorizeRequest::pkce(
            "my-client",
            "http://localhost:8765/oauth/callback",
            OAuthState::new("st8"),
            &v,
        )
        .login_hint("sam@demo.example")
        .url(&Environment::Region(Region::EuWest1))
        .unwrap();
        assert_eq!(
            url.origin().ascii_serialization(),
            "https://login.mypurecloud.ie"
        );
        assert_eq!(url.path(), "/oauth/authorize");
        let q: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let get = |k: &str| q.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(get("client_id"), Some("my-client"));
        assert_eq!(get("response_type"), Some("code"));
        assert_eq!(
            get("redirect_uri"),
            Some("http://localhost:8765/oauth/callback")
        );
        assert_eq!(get("state"), Some("st8"));
        assert_eq!(
            get("code_challenge"),
            Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        );
        assert_eq!(get("code_challenge_method"), Some("S256"));
        assert_eq!(get("login_hint"), Some("sam@demo.example"));
        assert!(
            !url.as_str().contains(v.expose_secret()),
            "the verifier never leaves"
        );
    }

    #[test]
    fn state_comparison() {
        let s = OAuthState::generate();
        assert!(s.matches(s.as_str()));
        assert!(!s.matches("nope"));
        assert_eq!(s.as_str().len(), 32);
    }

    #[test]
    fn grant_forms() {
        let v = PkceVerifier::generate();
        let r = grants::pkce_exchange("the-code", &v, "cid", "http://localhost:8765/cb").unwrap();
        assert_eq!(r.auth_mode(), &Auth::None);
        let form = r.body_form().unwrap();
        let keys: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "grant_type",
                "code",
                "code_verifier",
                "client_id",
                "redirect_uri"
            ]
        );
        assert_eq!(form[2].1, v.expose_secret());

        let creds = ClientCredentials::new("cid", ClientSecret::new("s3cret"));
        let r = grants::refresh(&RefreshToken::new("rt"), &creds).unwrap();
        assert!(matches!(r.auth_mode(), Auth::Basic { .. }));
        assert_eq!(
            r.body_form().unwrap(),
            [
                ("grant_type".to_owned(), "refresh_token".to_owned()),
                ("refresh_token".to_owned(), "rt".to_owned())
            ]
        );
        let r = grants::client_credentials(&creds).unwrap();
        assert_eq!(
            r.body_form().unwrap(),
            [("grant_type".to_owned(), "client_credentials".to_owned())]
        );
        let r = grants::code_exchange("c", "http://localhost/cb", &creds).unwrap();
        let keys: Vec<String> = r.body_form().unwrap().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["grant_type", "code", "redirect_uri"]);
        assert!(!format!("{creds:?}").contains("s3cret"));
    }
}
