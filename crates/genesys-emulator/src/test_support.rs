//! What other crates' tests need from the emulator (feature `test-support`): a typed client of the
//! control plane under `/_emulator/` and the sign-in flows, so no test crate keeps its own copy.
//!
//! The request bodies are the emulator's own types ([`FaultSpec`], [`ClientRequest`], ...), the
//! same ones its handlers parse, so a test and the control plane cannot drift apart. Every helper
//! panics with the method, path, status and body when the emulator refuses: these are test tools,
//! and a refused setup step must fail the test at the line that asked for it. To test a refusal
//! itself, use [`ControlClient::send`], which hands back the raw response.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use reqwest::Method;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

pub use crate::change::{NewCallRequest, PartyRequest};
pub use crate::control::{
    AnalyticsRequest, ChurnRequest, ClientRequest, LeaveRequest, ScenarioRequest, UserRequest,
};
pub use crate::faults::FaultSpec;
use crate::scenario::{
    CONFIDENTIAL_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URIS, PUBLIC_CLIENT_ID,
    SERVICE_CLIENT_ID,
};
pub use crate::transcription::{SilentRequest, SpeakOutcome, SpeakRequest, TranscriptionRequest};
pub use crate::world::RequestRecord;

/// An HTTP client that behaves like a test's browser: redirects are returned, not followed (the
/// test delivers them), no proxy from the environment, and no request waits longer than 30 s.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client for the emulator")
}

/// A typed client of the emulator's control plane (no auth; loopback only).
#[derive(Debug, Clone)]
pub struct ControlClient {
    http: reqwest::Client,
    base: String,
}

impl ControlClient {
    /// The control plane of the emulator at `base_url` (`http://127.0.0.1:PORT`).
    pub fn new(base_url: impl Into<String>) -> Self {
        Self::with_http(http_client(), base_url)
    }

    /// The same over a client of the caller's (for example one the test already configured).
    pub fn with_http(http: reqwest::Client, base_url: impl Into<String>) -> Self {
        Self {
            http,
            base: base_url.into().trim_end_matches('/').to_owned(),
        }
    }

    /// The emulator's origin, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The HTTP client it uses (no redirects followed), for the sign-in helpers.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// A raw control-plane request (`path` below `/_emulator`), for tests of its own refusals.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let mut req = self
            .http
            .request(method.clone(), format!("{}/_emulator{path}", self.base));
        if let Some(body) = body {
            req = req.json(body);
        }
        req.send().await.unwrap_or_else(|e| {
            panic!("{method} /_emulator{path}: the emulator did not answer: {e}")
        })
    }

    /// A control-plane request that must succeed; its JSON answer (`null` when there is none).
    async fn call<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Value {
        let body = body.map(|b| serde_json::to_value(b).expect("a request body serialises"));
        let resp = self.send(method.clone(), path, body.as_ref()).await;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        assert!(
            status.is_success(),
            "{method} /_emulator{path} was refused: {status} {text}"
        );
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{method} /_emulator{path}: not JSON ({e}): {text}"))
        }
    }

    async fn get(&self, path: &str) -> Value {
        self.call::<Value>(Method::GET, path, None).await
    }

    async fn post<B: Serialize + ?Sized>(&self, path: &str, body: &B) -> Value {
        self.call(Method::POST, path, Some(body)).await
    }

    async fn delete(&self, path: &str) {
        self.call::<Value>(Method::DELETE, path, None).await;
    }

    /// `POST /reset`: the configured scenario afresh; faults, churn and logs back to the start.
    pub async fn reset(&self) -> Value {
        self.post("/reset", &Value::Null).await
    }

    /// `POST /scenario`: loads another scenario.
    pub async fn load_scenario(&self, request: &ScenarioRequest) -> Value {
        self.post("/scenario", request).await
    }

    /// `GET /conversations`: the truth of every conversation (only live ones when `active_only`).
    pub async fn conversations(&self, active_only: bool) -> Vec<Value> {
        let path = if active_only {
            "/conversations?active=true"
        } else {
            "/conversations"
        };
        entities(self.get(path).await)
    }

    /// `GET /conversations/{id}`: the truth of one conversation.
    pub async fn conversation(&self, id: &str) -> Value {
        self.get(&format!("/conversations/{id}")).await
    }

    /// `POST /conversations`: starts a call; its truth.
    pub async fn create_call(&self, request: &NewCallRequest) -> Value {
        self.post("/conversations", request).await
    }

    /// `POST /conversations/{id}/participants`: a party joins; the call's truth.
    pub async fn join(&self, conversation: &str, party: &PartyRequest) -> Value {
        self.post(
            &format!("/conversations/{conversation}/participants"),
            party,
        )
        .await
    }

    /// `POST /conversations/{c}/participants/{p}/leave`: a party hangs up by itself.
    pub async fn leave(
        &self,
        conversation: &str,
        participant: &str,
        request: &LeaveRequest,
    ) -> Value {
        self.post(
            &format!("/conversations/{conversation}/participants/{participant}/leave"),
            request,
        )
        .await
    }

    /// `POST /conversations/{id}/end`: ends the whole call.
    pub async fn end_call(&self, conversation: &str) -> Value {
        self.post(&format!("/conversations/{conversation}/end"), &Value::Null)
            .await
    }

    /// `POST /conversations/{c}/participants/{p}/speak`: the party says `text`; whether and when
    /// its transcript is delivered.
    pub async fn speak(&self, conversation: &str, participant: &str, text: &str) -> SpeakOutcome {
        let v = self
            .post(
                &format!("/conversations/{conversation}/participants/{participant}/speak"),
                &SpeakRequest {
                    text: text.to_owned(),
                },
            )
            .await;
        serde_json::from_value(v).expect("a speak outcome")
    }

    /// `POST /conversations/{c}/participants/{p}/silent`: the party stops speaking on its own
    /// (`silent`), or starts again.
    pub async fn set_silent(&self, conversation: &str, participant: &str, silent: bool) {
        self.post(
            &format!("/conversations/{conversation}/participants/{participant}/silent"),
            &SilentRequest { silent },
        )
        .await;
    }

    /// `GET /transcription`: `{delayMs, heartbeatMs, speechEveryMs, licensed, enabled}`.
    pub async fn transcription(&self) -> Value {
        self.get("/transcription").await
    }

    /// `POST /transcription`: changes the transcription timing, licence or switch.
    pub async fn set_transcription(&self, request: &TranscriptionRequest) -> Value {
        self.post("/transcription", request).await
    }

    /// `GET /users`: every user with id, email, permissions and queues.
    pub async fn users(&self) -> Vec<Value> {
        entities(self.get("/users").await)
    }

    /// `POST /users`: adds a user or changes one (by email).
    pub async fn upsert_user(&self, request: &UserRequest) -> Value {
        self.post("/users", request).await
    }

    /// `GET /queues`: every queue.
    pub async fn queues(&self) -> Vec<Value> {
        entities(self.get("/queues").await)
    }

    /// `GET /analytics`: the details query's lag and depth limit.
    pub async fn analytics(&self) -> Value {
        self.get("/analytics").await
    }

    /// `POST /analytics`: changes the details query's lag or depth limit.
    pub async fn set_analytics(&self, request: &AnalyticsRequest) -> Value {
        self.post("/analytics", request).await
    }

    /// `GET /churn`: the background churn, in changes per minute.
    pub async fn churn(&self) -> f64 {
        self.get("/churn").await["perMinute"]
            .as_f64()
            .expect("perMinute in the churn answer")
    }

    /// `POST /churn`: sets the background churn (0 stops it).
    pub async fn set_churn(&self, per_minute: f64) {
        self.post("/churn", &ChurnRequest { per_minute }).await;
    }

    /// `GET /requests?since=N`: the request log after sequence number `since`.
    pub async fn requests(&self, since: u64) -> Vec<RequestRecord> {
        entities(self.get(&format!("/requests?since={since}")).await)
            .into_iter()
            .map(|r| serde_json::from_value(r).expect("a request record"))
            .collect()
    }

    /// `DELETE /requests`: empties the request log.
    pub async fn clear_requests(&self) {
        self.delete("/requests").await;
    }

    /// `POST /faults`: performs an action fault or adds a standing one (then its id is returned).
    pub async fn fault(&self, fault: &FaultSpec) -> Option<u64> {
        self.post("/faults", fault).await["id"].as_u64()
    }

    /// `GET /faults`: the standing faults.
    pub async fn faults(&self) -> Vec<Value> {
        entities(self.get("/faults").await)
    }

    /// `DELETE /faults/{id}`: removes one standing fault.
    pub async fn remove_fault(&self, id: u64) {
        self.delete(&format!("/faults/{id}")).await;
    }

    /// `DELETE /faults`: removes every standing fault.
    pub async fn clear_faults(&self) {
        self.delete("/faults").await;
    }

    /// `POST /oauth/clients`: adds or replaces an OAuth client.
    pub async fn register_client(&self, request: &ClientRequest) -> Value {
        self.post("/oauth/clients", request).await
    }

    /// `GET /oauth/clients`: every OAuth client (secrets are not shown).
    pub async fn clients(&self) -> Vec<Value> {
        entities(self.get("/oauth/clients").await)
    }

    /// `GET /stats`: event counts, live calls, analytics snapshots and channels.
    pub async fn stats(&self) -> Value {
        self.get("/stats").await
    }
}

fn entities(v: Value) -> Vec<Value> {
    match v {
        Value::Object(mut m) => match m.remove("entities") {
            Some(Value::Array(items)) => items,
            other => panic!("expected an entities list, got {other:?}"),
        },
        other => panic!("expected an entities list, got {other}"),
    }
}

impl ClientRequest {
    /// A client whose only redirect URI is a test's loopback listener: public (PKCE, code grant)
    /// without a secret, confidential with code and refresh grants with one.
    pub fn loopback(id: &str, redirect_uri: &str, secret: Option<&str>) -> Self {
        let grants = if secret.is_some() {
            vec!["authorization_code".into(), "refresh_token".into()]
        } else {
            vec!["authorization_code".into()]
        };
        Self {
            id: id.to_owned(),
            secret: secret.map(str::to_owned),
            redirect_uris: vec![redirect_uri.to_owned()],
            grants,
            ..Self::default()
        }
    }
}

/// A PKCE pair: (verifier, S256 challenge).
pub fn pkce_pair() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// The value of one query parameter of a URL.
pub fn query_param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The browser's first hop: the login host answers an authorize URL with a redirect (the emulator
/// approves the `login_hint` user at once); returns where it redirects to.
pub async fn follow_authorize(http: &reqwest::Client, authorize_url: &Url) -> Url {
    let resp = http
        .get(authorize_url.clone())
        .send()
        .await
        .expect("the login host answers the authorize URL");
    assert_eq!(resp.status().as_u16(), 302, "authorize redirects");
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("the authorize redirect has a Location");
    Url::parse(location).expect("the authorize redirect is an absolute URL")
}

/// The browser's second hop: the redirect arrives at the app's loopback listener; returns the
/// status and the page it showed.
pub async fn deliver(http: &reqwest::Client, redirect: &Url) -> (u16, String) {
    let resp = http
        .get(redirect.clone())
        .send()
        .await
        .expect("the loopback listener answers the redirect");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

/// The authorize URL of the demo client `client_id` for `email`, with a PKCE challenge if given.
fn authorize_url(base: &str, client_id: &str, email: &str, challenge: Option<&str>) -> Url {
    let mut url = Url::parse(&format!("{base}/oauth/authorize")).expect("the emulator's URL");
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("client_id", client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", DEMO_REDIRECT_URIS[0])
            .append_pair("state", "test")
            .append_pair("login_hint", email);
        if let Some(challenge) = challenge {
            q.append_pair("code_challenge", challenge)
                .append_pair("code_challenge_method", "S256");
        }
    }
    url
}

/// Runs the authorize step for the demo public client (PKCE) and returns (code, verifier).
pub async fn authorize_pkce(http: &reqwest::Client, base: &str, email: &str) -> (String, String) {
    let (verifier, challenge) = pkce_pair();
    let url = authorize_url(base, PUBLIC_CLIENT_ID, email, Some(&challenge));
    let redirect = follow_authorize(http, &url).await;
    assert_eq!(query_param(&redirect, "state").as_deref(), Some("test"));
    let code = query_param(&redirect, "code").expect("a code in the redirect");
    (code, verifier)
}

async fn token_of(resp: reqwest::Response) -> String {
    let status = resp.status();
    let body: Value = resp.json().await.expect("the token answer is JSON");
    assert_eq!(status.as_u16(), 200, "token request refused: {body}");
    body["access_token"]
        .as_str()
        .expect("an access_token in the token answer")
        .to_owned()
}

/// Signs `email` in with the demo public client (PKCE, no refresh token); the access token.
pub async fn sign_in_pkce(http: &reqwest::Client, base: &str, email: &str) -> String {
    let (code, verifier) = authorize_pkce(http, base, email).await;
    let resp = http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code_verifier", verifier.as_str()),
            ("client_id", PUBLIC_CLIENT_ID),
            ("redirect_uri", DEMO_REDIRECT_URIS[0]),
        ])
        .send()
        .await
        .expect("the token endpoint answers");
    token_of(resp).await
}

/// Signs `email` in with the demo confidential client (code flow with its secret); the access
/// token. What a test that needs "a supervisor's token" uses.
pub async fn sign_in(http: &reqwest::Client, base: &str, email: &str) -> String {
    let url = authorize_url(base, CONFIDENTIAL_CLIENT_ID, email, None);
    let redirect = follow_authorize(http, &url).await;
    let code = query_param(&redirect, "code").expect("a code in the redirect");
    let resp = http
        .post(format!("{base}/oauth/token"))
        .basic_auth(CONFIDENTIAL_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", DEMO_REDIRECT_URIS[0]),
        ])
        .send()
        .await
        .expect("the token endpoint answers");
    token_of(resp).await
}

/// A client-credentials token of the demo service client.
pub async fn service_token(http: &reqwest::Client, base: &str) -> String {
    let resp = http
        .post(format!("{base}/oauth/token"))
        .basic_auth(SERVICE_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("the token endpoint answers");
    token_of(resp).await
}

impl crate::RunningEmulator {
    /// The typed control-plane client of this emulator.
    pub fn control(&self) -> ControlClient {
        ControlClient::new(self.base_url())
    }
}
