//! The client: sends [`Request`] values through the retry layer and maps responses to typed results.
//!
//! The typed method per API call is in `client/endpoints.rs`; this file is the pipeline they share.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use genesys_model::{ErrorBody, OAuthErrorBody};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use crate::auth::{AccessToken, NoToken, TokenError, TokenSource};
use crate::budget::{Budget, BudgetConfig, BudgetStats, Priority};
use crate::config::Environment;
use crate::error::{Error, ErrorKind};
use crate::request::{Auth, Request};
use crate::retry::{self, RateLimitSnapshot, RetryPolicy, Retryable, Signal};
use crate::route::Host;

/// Header carrying the request's correlation id on every Genesys response.
pub const CORRELATION_HEADER: &str = "inin-correlation-id";

/// A successful response, before decoding.
#[derive(Clone)]
pub struct Response {
    route: &'static str,
    status: u16,
    correlation_id: Option<String>,
    body: Vec<u8>,
}

impl Response {
    /// HTTP status (2xx).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// `ININ-Correlation-Id`.
    pub fn correlation_id(&self) -> Option<&str> {
        self.correlation_id.as_deref()
    }

    /// Raw body.
    pub fn bytes(&self) -> &[u8] {
        &self.body
    }

    /// Decodes the body; a mismatch is a `Decode` error naming the JSON path.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        genesys_model::decode(&self.body).map_err(|e| {
            Error::new(ErrorKind::Decode, self.route)
                .with_status(self.status)
                .with_correlation_id(self.correlation_id.clone())
                .with_decode_path(e.path())
                .with_detail(e.message().to_owned())
                .with_source(e)
        })
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("route", &self.route)
            .field("status", &self.status)
            .field("correlation_id", &self.correlation_id)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// The outcome of an accepted change (202 for participant PATCH): the correlation id goes in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// HTTP status (200, 202 or 204).
    pub status: u16,
    /// `ININ-Correlation-Id` of the response.
    pub correlation_id: Option<String>,
}

/// Configures a [`Client`] or [`crate::OAuthClient`].
pub struct ClientBuilder {
    environment: Environment,
    tokens: Arc<dyn TokenSource>,
    retry: RetryPolicy,
    timeout: Duration,
    connect_timeout: Duration,
    user_agent: String,
    budget: BudgetConfig,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("environment", &self.environment)
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// Starts from an environment, with no token source (calls fail `NotSignedIn` until one is set).
    pub fn new(environment: impl Into<Environment>) -> Self {
        Self {
            environment: environment.into(),
            tokens: Arc::new(NoToken),
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            user_agent: concat!("bridgekeeper-genesys-client/", env!("CARGO_PKG_VERSION"))
                .to_owned(),
            budget: BudgetConfig::default(),
        }
    }

    /// How background requests are paced against the token's rate limit.
    pub fn budget(mut self, budget: BudgetConfig) -> Self {
        self.budget = budget;
        self
    }

    /// Where tokens come from.
    pub fn token_source(mut self, tokens: impl TokenSource + 'static) -> Self {
        self.tokens = Arc::new(tokens);
        self
    }

    /// Where tokens come from, shared.
    pub fn shared_token_source(mut self, tokens: Arc<dyn TokenSource>) -> Self {
        self.tokens = tokens;
        self
    }

    /// Retry limits.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Whole-request timeout per attempt.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Connect timeout per attempt.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Builds the client; fails on an invalid environment.
    pub fn build(self) -> Result<Client, Error> {
        let transport = Transport::new(
            &self.environment,
            self.retry,
            self.timeout,
            self.connect_timeout,
            &self.user_agent,
            self.budget,
        )?;
        Ok(Client {
            transport,
            tokens: self.tokens,
            environment: Arc::new(self.environment),
            priority: Priority::Interactive,
        })
    }
}

#[derive(Clone)]
pub(crate) struct Transport {
    inner: Arc<TransportInner>,
}

struct TransportInner {
    http: reqwest::Client,
    api_base: Url,
    login_base: Url,
    retry: RetryPolicy,
    rate_limit: Mutex<Option<RateLimitSnapshot>>,
    budget: Budget,
}

enum Attempt {
    Response {
        status: u16,
        headers: HeaderMap,
        body: Vec<u8>,
        token: Option<AccessToken>,
    },
    Transport(reqwest::Error),
    Token(TokenError),
}

impl Retryable for Attempt {
    fn signal(&self) -> Option<Signal> {
        match self {
            Attempt::Response {
                status, headers, ..
            } if !(200..300).contains(status) => Some(Signal::Status {
                status: *status,
                retry_after: retry::parse_retry_after(headers),
            }),
            Attempt::Response { .. } | Attempt::Token(_) => None,
            Attempt::Transport(_) => Some(Signal::Transport),
        }
    }
}

impl Transport {
    pub(crate) fn new(
        environment: &Environment,
        retry: RetryPolicy,
        timeout: Duration,
        connect_timeout: Duration,
        user_agent: &str,
        budget: BudgetConfig,
    ) -> Result<Self, Error> {
        environment.validate()?;
        let api_base = environment.api_base();
        let login_base = environment.login_base();
        let https_only = api_base.scheme() == "https" && login_base.scheme() == "https";
        let http = reqwest::Client::builder()
            .https_only(https_only)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(connect_timeout)
            .user_agent(user_agent)
            .build()
            .map_err(|e| {
                Error::invalid_config("the HTTP client could not be initialised").with_source(e)
            })?;
        Ok(Self {
            inner: Arc::new(TransportInner {
                http,
                api_base,
                login_base,
                retry,
                rate_limit: Mutex::new(None),
                budget: Budget::new(budget),
            }),
        })
    }

    pub(crate) fn url(&self, request: &Request) -> Result<Url, Error> {
        let base = match request.host() {
            Host::Api => &self.inner.api_base,
            Host::Login => &self.inner.login_base,
        };
        let mut url = base.join(request.path()).map_err(|e| {
            Error::invalid_request(request.route_name(), "path could not be joined").with_source(e)
        })?;
        if !request.query_pairs().is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in request.query_pairs() {
                pairs.append_pair(k, v);
            }
        }
        Ok(url)
    }

    pub(crate) fn rate_limit(&self) -> Option<RateLimitSnapshot> {
        *self
            .inner
            .rate_limit
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn budget(&self) -> &Budget {
        &self.inner.budget
    }

    fn record_rate_limit(&self, headers: &HeaderMap) {
        if let Some(snapshot) = RateLimitSnapshot::from_headers(headers) {
            self.inner.budget.observe(&snapshot);
            *self
                .inner
                .rate_limit
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(snapshot);
        }
    }

    async fn attempt(&self, request: &Request, url: &Url, tokens: &dyn TokenSource) -> Attempt {
        let mut builder = self
            .inner
            .http
            .request(request.method().clone(), url.clone())
            .header(ACCEPT, "application/json");
        let mut used_token = None;
        match request.auth_mode() {
            Auth::Bearer => {
                let token = match tokens.access_token().await {
                    Ok(t) => t,
                    Err(e) => return Attempt::Token(e),
                };
                let mut value =
                    match HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())) {
                        Ok(v) => v,
                        Err(_) => {
                            return Attempt::Token(TokenError::new(
                                "the access token contains invalid characters",
                            ));
                        }
                    };
                value.set_sensitive(true);
                builder = builder.header(AUTHORIZATION, value);
                used_token = Some(token);
            }
            Auth::Basic { client_id, secret } => {
                use base64::Engine as _;
                let encoded = base64::engine::general_purpose::STANDARD
                    .encode(format!("{client_id}:{}", secret.expose_secret()));
                let mut value = match HeaderValue::from_str(&format!("Basic {encoded}")) {
                    Ok(v) => v,
                    Err(_) => {
                        return Attempt::Token(TokenError::new(
                            "the client credentials contain invalid characters",
                        ));
                    }
                };
                value.set_sensitive(true);
                builder = builder.header(AUTHORIZATION, value);
            }
            Auth::None => {}
        }
        if let Some(body) = request.body() {
            builder = builder
                .header(CONTENT_TYPE, body.content_type())
                .body(body.bytes().to_vec());
        }
        let response = match builder.send().await {
            Ok(r) => r,
            Err(e) => return Attempt::Transport(e),
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        self.record_rate_limit(&headers);
        match response.bytes().await {
            Ok(body) => Attempt::Response {
                status,
                headers,
                body: body.into(),
                token: used_token,
            },
            Err(e) => Attempt::Transport(e),
        }
    }

    /// Sends through the retry layer; non-2xx become typed errors.
    pub(crate) async fn send(
        &self,
        request: &Request,
        tokens: &dyn TokenSource,
        priority: Priority,
    ) -> Result<Response, Error> {
        let name = request.route_name();
        let url = self.url(request)?;
        let span = tracing::debug_span!(
            "genesys_http",
            route = name,
            method = %request.method(),
            path = request.path(),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            correlation_id = tracing::field::Empty,
        );
        let paced = request.host() == Host::Api;
        let mut rounds = 0u32;
        let (result, attempts) = loop {
            rounds += 1;
            let (result, attempts) =
                retry::run(&self.inner.retry, request.retry_class(), name, |_| async {
                    if paced {
                        self.inner.budget.acquire(priority).await;
                    }
                    let attempt = self.attempt(request, &url, tokens).await;
                    if let Attempt::Response {
                        status: 429,
                        headers,
                        ..
                    } = &attempt
                    {
                        self.inner
                            .budget
                            .refused(priority, retry::parse_retry_after(headers));
                    }
                    attempt
                })
                .instrument(span.clone())
                .await;
            // Background work outlasts a long Retry-After instead of failing: the budget's pause
            // makes the next round wait, so refusals never turn into a stream of retries.
            let refused = matches!(&result, Attempt::Response { status: 429, .. });
            if refused && paced && priority != Priority::Interactive && rounds < BACKGROUND_ROUNDS {
                continue;
            }
            break (result, attempts);
        };
        span.record("attempts", attempts);
        match result {
            Attempt::Token(e) => Err(Error::new(ErrorKind::NotSignedIn, name)
                .with_detail(e.to_string())
                .with_source(e)),
            Attempt::Transport(e) => {
                let detail = if e.is_timeout() {
                    "timed out"
                } else if e.is_connect() {
                    "could not connect"
                } else {
                    "connection failed"
                };
                tracing::debug!(parent: &span, error = %e, "transport failure");
                Err(Error::new(ErrorKind::Unreachable, name)
                    .with_detail(format!("{detail} after {attempts} attempt(s)"))
                    .with_source(e))
            }
            Attempt::Response {
                status,
                headers,
                body,
                token,
            } => {
                let correlation_id = headers
                    .get(CORRELATION_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                span.record("status", status);
                if let Some(id) = &correlation_id {
                    span.record("correlation_id", id.as_str());
                }
                if (200..300).contains(&status) {
                    return Ok(Response {
                        route: name,
                        status,
                        correlation_id,
                        body,
                    });
                }
                if status == 401 {
                    if let Some(token) = &token {
                        tokens.invalidate(token);
                    }
                }
                Err(error_from_response(
                    request,
                    status,
                    &headers,
                    &body,
                    correlation_id,
                    attempts,
                ))
            }
        }
    }
}

fn error_from_response(
    request: &Request,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    correlation_id: Option<String>,
    attempts: u32,
) -> Error {
    let name = request.route_name();
    let mut kind = ErrorKind::from_status(status);
    let vendor: Option<ErrorBody> = serde_json::from_slice(body)
        .ok()
        .filter(|b: &ErrorBody| b.code.is_some() || b.message.is_some());
    let mut oauth = None;
    if request.host() == Host::Login && vendor.is_none() {
        oauth = serde_json::from_slice::<OAuthErrorBody>(body)
            .ok()
            .filter(|o| o.error.is_some());
        if oauth.is_some() && matches!(status, 400 | 401) {
            kind = ErrorKind::OAuth;
        }
    }
    let mut error = Error::new(kind, name)
        .with_status(status)
        .with_correlation_id(
            correlation_id.or_else(|| vendor.as_ref().and_then(|b| b.context_id.clone())),
        );
    if matches!(status, 429 | 503) {
        error = error.with_retry_after(retry::parse_retry_after(headers));
    }
    if vendor.is_none() && oauth.is_none() && !body.is_empty() {
        let text = String::from_utf8_lossy(body);
        let snippet: String = text.chars().take(300).collect();
        error = error.with_detail(snippet);
    }
    if attempts > 1 {
        tracing::warn!(route = name, status, attempts, "giving up after retries");
    }
    error.with_body(vendor).with_oauth(oauth)
}

/// Rounds of a background request refused with 429 before its caller sees the refusal.
const BACKGROUND_ROUNDS: u32 = 8;

/// The Genesys Cloud REST client. Cheap to clone; share one per session.
#[derive(Clone)]
pub struct Client {
    transport: Transport,
    tokens: Arc<dyn TokenSource>,
    environment: Arc<Environment>,
    priority: Priority,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("environment", &self.environment)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts a builder.
    pub fn builder(environment: impl Into<Environment>) -> ClientBuilder {
        ClientBuilder::new(environment)
    }

    /// The environment this client talks to.
    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// The full URL a request would be sent to (tests, logs).
    pub fn url_for(&self, request: &Request) -> Result<Url, Error> {
        self.transport.url(request)
    }

    /// The latest `inin-ratelimit-*` values seen on any response.
    pub fn rate_limit(&self) -> Option<RateLimitSnapshot> {
        self.transport.rate_limit()
    }

    /// The same session with another priority for its requests (the budget stays shared): the
    /// roster reads at [`Priority::Background`], actions at [`Priority::Interactive`].
    pub fn with_priority(&self, priority: Priority) -> Client {
        Client {
            priority,
            ..self.clone()
        }
    }

    /// The priority this handle's requests are sent with.
    pub fn priority(&self) -> Priority {
        self.priority
    }

    /// What the session's request budget has done so far.
    pub fn budget_stats(&self) -> BudgetStats {
        self.transport.budget().stats()
    }

    /// True when a request at `priority` would be sent without waiting for room in the budget.
    pub fn budget_admits(&self, priority: Priority) -> bool {
        self.transport.budget().would_admit(priority)
    }

    /// An OAuth client for the same environment and HTTP settings.
    pub fn oauth(&self) -> crate::oauth::OAuthClient {
        crate::oauth::OAuthClient::from_transport(self.transport.clone())
    }

    /// Sends any request (escape hatch for routes without a typed method).
    pub async fn execute(&self, request: Request) -> Result<Response, Error> {
        self.transport
            .send(&request, self.tokens.as_ref(), self.priority)
            .await
    }

    async fn json<T: DeserializeOwned>(&self, request: Request) -> Result<T, Error> {
        self.execute(request).await?.json()
    }

    async fn accepted(&self, request: Request) -> Result<Accepted, Error> {
        let response = self.execute(request).await?;
        Ok(Accepted {
            status: response.status,
            correlation_id: response.correlation_id,
        })
    }
}

mod endpoints;

#[cfg(test)]
mod tests;
