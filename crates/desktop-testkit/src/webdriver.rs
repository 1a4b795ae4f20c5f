//! A small W3C WebDriver client over plain HTTP on loopback: just the calls the real-window test
//! makes (session, find, click, text, keys, script, screenshot). Hand-written on the reqwest the app
//! already depends on, so the test pulls no TLS stack or WebDriver crate into the build.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The W3C key that marks a JSON object as a web element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Keys of the WebDriver key table the keyboard-only flow presses.
pub mod keys {
    /// Tab.
    pub const TAB: &str = "\u{E004}";
    /// Enter.
    pub const ENTER: &str = "\u{E007}";
    /// Space.
    pub const SPACE: &str = "\u{E00D}";
}

/// A web element reference, valid for the session that found it.
#[derive(Debug, Clone)]
pub struct Element(String);

/// One WebDriver session; `close` ends it (and with it the app under test).
pub struct Session {
    http: reqwest::Client,
    base: String,
    id: String,
}

/// A WebDriver failure with the command that hit it, so a test failure says what was being done.
#[derive(Debug)]
pub struct WdError(pub String);

impl std::fmt::Display for WdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Results of this client.
pub type Result<T> = std::result::Result<T, WdError>;

async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
) -> Result<Value> {
    let mut request = http.request(method.clone(), url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request
        .send()
        .await
        .map_err(|e| WdError(format!("{method} {url}: {e}")))?;
    let status = response.status();
    let value: Value = response
        .json()
        .await
        .map_err(|e| WdError(format!("{method} {url}: answer is not JSON: {e}")))?;
    if status.is_success() {
        Ok(value.get("value").cloned().unwrap_or(Value::Null))
    } else {
        let v = &value["value"];
        Err(WdError(format!(
            "{method} {url}: {status} {}: {}",
            v["error"].as_str().unwrap_or("?"),
            v["message"].as_str().unwrap_or("")
        )))
    }
}

impl Session {
    /// Starts a session on the driver at `base` (e.g. `http://127.0.0.1:4444`).
    pub async fn start(base: &str, capabilities: Value) -> Result<Self> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| WdError(e.to_string()))?;
        let value = call(
            &http,
            reqwest::Method::POST,
            &format!("{base}/session"),
            Some(json!({ "capabilities": { "alwaysMatch": capabilities } })),
        )
        .await?;
        let id = value["sessionId"]
            .as_str()
            .ok_or_else(|| WdError(format!("new session without an id: {value}")))?
            .to_owned();
        Ok(Self {
            http,
            base: base.to_owned(),
            id,
        })
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value> {
        let url = format!("{}/session/{}{path}", self.base, self.id);
        call(&self.http, reqwest::Method::POST, &url, Some(body)).await
    }

    async fn get(&self, path: &str) -> Result<Value> {
        let url = format!("{}/session/{}{path}", self.base, self.id);
        call(&self.http, reqwest::Method::GET, &url, None).await
    }

    fn element(value: &Value) -> Result<Element> {
        value[ELEMENT_KEY]
            .as_str()
            .map(|id| Element(id.to_owned()))
            .ok_or_else(|| WdError(format!("not an element reference: {value}")))
    }

    /// Every element matching an XPath expression now (possibly none).
    pub async fn find_all(&self, xpath: &str) -> Result<Vec<Element>> {
        let value = self
            .post("/elements", json!({ "using": "xpath", "value": xpath }))
            .await?;
        value
            .as_array()
            .map(|items| items.iter().map(Self::element).collect())
            .unwrap_or_else(|| Ok(Vec::new()))
    }

    /// Waits until an element matches `xpath` and returns the first; the UI renders asynchronously.
    pub async fn wait_for(&self, xpath: &str, timeout: Duration) -> Result<Element> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(found) = self.find_all(xpath).await?.into_iter().next() {
                return Ok(found);
            }
            if Instant::now() >= deadline {
                return Err(WdError(format!(
                    "nothing matched {xpath} within {timeout:?}; page text: {}",
                    self.page_text().await.unwrap_or_default()
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until nothing matches `xpath` any more.
    pub async fn wait_gone(&self, xpath: &str, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        while !self.find_all(xpath).await?.is_empty() {
            if Instant::now() >= deadline {
                return Err(WdError(format!("{xpath} still matched after {timeout:?}")));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }

    /// Clicks an element (a real pointer click dispatched by the browser engine).
    pub async fn click(&self, element: &Element) -> Result<()> {
        self.post(&format!("/element/{}/click", element.0), json!({}))
            .await
            .map(drop)
    }

    /// The rendered text of an element.
    pub async fn text(&self, element: &Element) -> Result<String> {
        let value = self.get(&format!("/element/{}/text", element.0)).await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// The whole page's rendered text, for failure messages and probes.
    pub async fn page_text(&self) -> Result<String> {
        let value = self
            .execute(
                "return document.body ? document.body.innerText : '';",
                json!([]),
            )
            .await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// Presses keys in order on whatever has focus, like a person at the keyboard (key down, key up).
    pub async fn press(&self, keys: &[&str]) -> Result<()> {
        let mut actions = Vec::new();
        for key in keys {
            actions.push(json!({ "type": "keyDown", "value": key }));
            actions.push(json!({ "type": "keyUp", "value": key }));
        }
        self.post(
            "/actions",
            json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] }),
        )
        .await
        .map(drop)
    }

    /// Runs a script in the page and returns its value.
    pub async fn execute(&self, script: &str, args: Value) -> Result<Value> {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
            .await
    }

    /// Runs an asynchronous script; it finishes by calling its last argument.
    pub async fn execute_async(&self, script: &str, args: Value) -> Result<Value> {
        self.post("/execute/async", json!({ "script": script, "args": args }))
            .await
    }

    /// A PNG screenshot of the window's page.
    pub async fn screenshot(&self) -> Result<Vec<u8>> {
        use base64::Engine;
        let value = self.get("/screenshot").await?;
        let encoded = value
            .as_str()
            .ok_or_else(|| WdError("screenshot without data".into()))?;
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| WdError(format!("screenshot is not base64: {e}")))
    }

    /// Ends the session, which closes the app.
    pub async fn close(self) -> Result<()> {
        let url = format!("{}/session/{}", self.base, self.id);
        call(&self.http, reqwest::Method::DELETE, &url, None)
            .await
            .map(drop)
    }
}
