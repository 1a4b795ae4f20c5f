//! Shared helpers for the emulator's integration tests: start in-process on 127.0.0.1:0,
//! sign in through the real OAuth endpoints, talk HTTP with reqwest and WebSocket with
//! tokio-tungstenite.
#![allow(dead_code)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use genesys_emulator::test_support::{self, ControlClient};
use genesys_emulator::{EmulatorConfig, RunningEmulator, ScenarioName};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

#[allow(unused_imports)] // only the OAuth tests build their own PKCE requests
pub use genesys_emulator::test_support::pkce_pair;

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub const REDIRECT: &str = genesys_emulator::DEMO_REDIRECT_URIS[0];

/// Test defaults: short patch delay and heartbeat so the suite stays fast.
pub fn config() -> EmulatorConfig {
    EmulatorConfig {
        patch_delay: Duration::from_millis(40),
        heartbeat: Duration::from_millis(300),
        seed: 7,
        ..EmulatorConfig::default()
    }
}

pub struct Env {
    pub emu: RunningEmulator,
    pub base: String,
    pub http: reqwest::Client,
    pub control: ControlClient,
}

pub async fn start() -> Env {
    start_with(config()).await
}

pub async fn start_scenario(scenario: ScenarioName) -> Env {
    start_with(EmulatorConfig {
        scenario,
        ..config()
    })
    .await
}

pub async fn start_with(cfg: EmulatorConfig) -> Env {
    let emu = genesys_emulator::start(cfg).await.expect("emulator starts");
    let base = emu.base_url();
    let http = test_support::http_client();
    let control = ControlClient::with_http(http.clone(), &base);
    Env {
        emu,
        base,
        http,
        control,
    }
}

/// The query pairs of a redirect Location.
pub fn location_query(resp: &reqwest::Response) -> Vec<(String, String)> {
    let loc = resp
        .headers()
        .get("location")
        .expect("Location header")
        .to_str()
        .expect("ascii location");
    let url = url::Url::parse(loc).expect("absolute location");
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn param(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

impl Env {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Runs /oauth/authorize for the public client and returns (code, verifier).
    pub async fn authorize(&self, email: &str) -> (String, String) {
        test_support::authorize_pkce(&self.http, &self.base, email).await
    }

    /// Full PKCE sign-in; returns the access token.
    pub async fn login(&self, email: &str) -> String {
        test_support::sign_in_pkce(&self.http, &self.base, email).await
    }

    pub async fn supervisor(&self) -> String {
        self.login(genesys_emulator::SUPERVISOR_EMAIL).await
    }

    /// A client-credentials token of the demo service client.
    pub async fn service_token(&self) -> String {
        test_support::service_token(&self.http, &self.base).await
    }

    pub async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET")
    }

    pub async fn get_json(&self, token: &str, path: &str) -> Value {
        let resp = self.get(token, path).await;
        assert_eq!(resp.status(), 200, "GET {path}");
        resp.json().await.expect("json")
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_owned());
        }
        req.send().await.expect("request")
    }

    pub async fn patch(&self, token: &str, path: &str, body: &str) -> reqwest::Response {
        self.send(reqwest::Method::PATCH, token, path, Some(body))
            .await
    }

    pub async fn post_json(&self, token: &str, path: &str, body: &str) -> reqwest::Response {
        self.send(reqwest::Method::POST, token, path, Some(body))
            .await
    }

    /// Raw control-plane POST (no auth), for the tests of its own answers and refusals.
    pub async fn control(&self, path: &str, body: Value) -> reqwest::Response {
        self.control
            .send(reqwest::Method::POST, path, Some(&body))
            .await
    }

    pub fn truth(&self, id: &str) -> Value {
        self.emu.world().conversation(id).expect("conversation")
    }

    /// Creates a channel, subscribes to the topics and connects the socket.
    pub async fn subscribe(&self, token: &str, topics: &[String]) -> (String, Ws) {
        let ch: Value = self
            .send(
                reqwest::Method::POST,
                token,
                "/api/v2/notifications/channels",
                None,
            )
            .await
            .json()
            .await
            .expect("channel");
        let id = ch["id"].as_str().expect("id").to_owned();
        let body: Vec<Value> = topics
            .iter()
            .map(|t| serde_json::json!({"id": t}))
            .collect();
        let resp = self
            .send(
                reqwest::Method::PUT,
                token,
                &format!("/api/v2/notifications/channels/{id}/subscriptions"),
                Some(&Value::from(body).to_string()),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let ws = connect(ch["connectUri"].as_str().expect("uri")).await;
        (id, ws)
    }
}

pub async fn connect(uri: &str) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(uri)
        .await
        .expect("websocket connects");
    ws
}

/// The next text message as JSON, or None on close/timeout.
pub async fn next_message(ws: &mut Ws, within: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next()).await.ok()??;
        match msg {
            Ok(Message::Text(t)) => return serde_json::from_str(t.as_str()).ok(),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// The next event on `topic` (skipping heartbeats and other topics), or None.
pub async fn next_event(ws: &mut Ws, topic: &str, within: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let msg = next_message(ws, left).await?;
        if msg["topicName"] == topic {
            return Some(msg);
        }
    }
}

/// Waits for the socket to be closed by the server; returns the close code.
pub async fn wait_closed(ws: &mut Ws, within: Duration) -> Option<u16> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => return None,
            Ok(None) => return Some(1006),
            Ok(Some(Ok(Message::Close(frame)))) => {
                return Some(frame.map(|f| u16::from(f.code)).unwrap_or(1005));
            }
            Ok(Some(Err(_))) => return Some(1006),
            Ok(Some(Ok(_))) => {}
        }
    }
}

pub async fn send_text(ws: &mut Ws, text: &str) {
    ws.send(Message::Text(text.into())).await.expect("send");
}

/// Polls until `f` is true or the timeout passes.
pub async fn eventually(within: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    f()
}

/// Participants of a truth snapshot.
pub fn parts(conv: &Value) -> Vec<Value> {
    conv["participants"].as_array().cloned().unwrap_or_default()
}

/// Live non-ACD parties of a truth snapshot.
pub fn live_parties(conv: &Value) -> Vec<Value> {
    parts(conv)
        .into_iter()
        .filter(|p| {
            p["purpose"] != "acd" && p["state"] != "disconnected" && p["state"] != "terminated"
        })
        .collect()
}

/// The first demo conversation matching the predicate.
pub fn find(env: &Env, pred: impl Fn(&Value) -> bool) -> Value {
    env.emu
        .world()
        .conversations()
        .into_iter()
        .find(|c| pred(c))
        .expect("a matching demo conversation")
}

/// A live conference with at least `n` live non-ACD parties and nobody held/muted.
pub fn conference(env: &Env, n: usize) -> Value {
    find(env, |c| {
        c.get("endTime").is_none() && live_parties(c).len() >= n
    })
}

/// The participant of `conv` with purpose `agent` whose user has the email's id.
pub fn user_id(env: &Env, email: &str) -> String {
    env.emu.world().user_id(email).expect("user")
}
