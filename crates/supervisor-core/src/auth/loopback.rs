//! The loopback redirect listener: receives the browser's OAuth redirect on 127.0.0.1.
//!
//! Security bar: binds 127.0.0.1 only, answers only requests addressed to `localhost` or
//! `127.0.0.1` (no DNS rebinding), checks `state`, and serves exactly one successful callback.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::error::AuthError;
use crate::token_store::Secret;

/// Port registered on the Bridgekeeper OAuth client (`http://localhost:8765/oauth/callback`).
pub const DEFAULT_REDIRECT_PORT: u16 = 8765;
/// Path registered on the Bridgekeeper OAuth client.
pub const DEFAULT_REDIRECT_PATH: &str = "/oauth/callback";
/// How long sign-in waits for the browser by default: long enough to type a password and MFA.
pub const DEFAULT_CALLBACK_TIMEOUT: Duration = Duration::from_secs(300);

/// Largest request head accepted; a real redirect is a few hundred bytes.
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// A connection that does not send its request in this time is dropped (browser preconnects).
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections handled at once; more are closed immediately.
const MAX_CONNECTIONS: usize = 32;

/// Where the redirect listener listens, and for how long; the redirect URI must match the one
/// registered on the OAuth client exactly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoopbackConfig {
    /// Fixed port registered on the client (0 picks a free port: tests only, as Genesys needs an
    /// exact registered URI).
    pub port: u16,
    /// Callback path, starting with `/`.
    pub path: String,
    /// How long to wait for the browser before giving up.
    pub timeout: Duration,
}

impl Default for LoopbackConfig {
    fn default() -> Self {
        Self {
            port: DEFAULT_REDIRECT_PORT,
            path: DEFAULT_REDIRECT_PATH.to_owned(),
            timeout: DEFAULT_CALLBACK_TIMEOUT,
        }
    }
}

/// A bound listener waiting for one OAuth redirect.
#[derive(Debug)]
pub struct LoopbackListener {
    listener: TcpListener,
    port: u16,
    path: String,
    timeout: Duration,
}

impl LoopbackListener {
    /// Binds 127.0.0.1 on the configured port; a busy port is reported as [`AuthError::PortInUse`].
    pub async fn bind(config: &LoopbackConfig) -> Result<Self, AuthError> {
        if !config.path.starts_with('/') || config.path.contains(['?', '#', ' ']) {
            return Err(AuthError::InvalidConfig {
                reason: format!(
                    "redirect path {:?} must start with '/' and have no query",
                    config.path
                ),
                source: None,
            });
        }
        let listener = TcpListener::bind(("127.0.0.1", config.port))
            .await
            .map_err(|source| {
                if source.kind() == std::io::ErrorKind::AddrInUse {
                    AuthError::PortInUse { port: config.port }
                } else {
                    AuthError::Listener {
                        port: config.port,
                        source,
                    }
                }
            })?;
        let port = listener
            .local_addr()
            .map_err(|source| AuthError::Listener {
                port: config.port,
                source,
            })?
            .port();
        tracing::debug!(port, path = %config.path, "loopback redirect listener bound");
        Ok(Self {
            listener,
            port,
            path: config.path.clone(),
            timeout: config.timeout,
        })
    }

    /// The port actually bound (differs from the config only when it asked for 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The redirect URI to send in the authorize request; must equal the registered one.
    pub fn redirect_uri(&self) -> String {
        format!("http://localhost:{}{}", self.port, self.path)
    }

    /// Waits for the browser's redirect carrying `expected_state` and returns its code.
    ///
    /// Requests with a wrong or missing `state`, another path or another Host get an error page and
    /// the wait goes on; an `error=` callback with the right state ends it with
    /// [`AuthError::AuthorizationDenied`]; the configured timeout ends it with
    /// [`AuthError::CallbackTimeout`]. The listener is closed when this returns.
    pub async fn wait_for_code(self, expected_state: &str) -> Result<Secret, AuthError> {
        self.wait_for_code_or(expected_state, std::future::pending())
            .await
    }

    /// [`LoopbackListener::wait_for_code`], ended early by `other` when it finishes first: the
    /// headless sign-in, where the code may instead come from an address the user pastes.
    pub async fn wait_for_code_or(
        self,
        expected_state: &str,
        other: impl std::future::Future<Output = Result<Secret, AuthError>>,
    ) -> Result<Secret, AuthError> {
        let deadline = Instant::now() + self.timeout;
        tokio::pin!(other);
        let ctx = Arc::new(Ctx {
            expected_state: expected_state.to_owned(),
            path: self.path.clone(),
            port: self.port,
            claimed: AtomicBool::new(false),
        });
        // Dropping the set at return aborts connections still being read.
        let mut connections: JoinSet<Option<Result<Secret, AuthError>>> = JoinSet::new();
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => {
                    return Err(AuthError::CallbackTimeout { waited: self.timeout });
                }
                outcome = &mut other => return outcome,
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        if connections.len() >= MAX_CONNECTIONS {
                            tracing::warn!(%peer, "too many redirect connections; closing one");
                            continue;
                        }
                        let ctx = Arc::clone(&ctx);
                        connections.spawn(async move { handle(stream, &ctx).await });
                    }
                    Err(e) => {
                        // Per-connection accept errors (e.g. EMFILE) should not end the sign-in.
                        tracing::warn!(error = %e, "accept failed on the redirect listener");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                Some(joined) = connections.join_next(), if !connections.is_empty() => {
                    if let Ok(Some(outcome)) = joined {
                        return outcome;
                    }
                }
            }
        }
    }
}

/// What an address pasted by the user (headless sign-in) amounts to.
#[derive(Debug)]
pub enum Pasted {
    /// The redirect of this sign-in, with its authorization code.
    Code(Secret),
    /// The redirect of this sign-in, carrying the login page's refusal.
    Denied(AuthError),
    /// Not this sign-in's redirect; the reason says what to paste instead.
    Unusable(String),
}

/// Checks an address copied from the browser's address bar after the login page redirected it to
/// `redirect_uri` (which could not be reached from that browser), by the listener's rules: the
/// same port and path, this sign-in's `state`, then a code or an OAuth error. Never echoes the
/// pasted text (it holds the code).
pub fn check_pasted(pasted: &str, redirect_uri: &str, expected_state: &str) -> Pasted {
    let unusable = |why: &str| Pasted::Unusable(why.to_owned());
    let (Ok(got), Ok(want)) = (
        url::Url::parse(pasted.trim()),
        url::Url::parse(redirect_uri),
    ) else {
        return unusable(
            "that is not an address; copy the whole address from the browser's address bar \
             (it starts with http://localhost)",
        );
    };
    let loopback = |u: &url::Url| matches!(u.host_str(), Some("localhost" | "127.0.0.1"));
    if got.scheme() != want.scheme()
        || !loopback(&got)
        || got.port_or_known_default() != want.port_or_known_default()
        || got.path() != want.path()
    {
        return Pasted::Unusable(format!(
            "that address is not the redirect of this sign-in; after signing in, the browser \
             goes to {redirect_uri}?code=… (a page that may not load): copy that address"
        ));
    }
    let Some(CallbackParams {
        state,
        code,
        error,
        description,
    }) = CallbackParams::parse(got.query_pairs())
    else {
        return unusable("that address repeats a parameter; copy it again");
    };
    if !state_matches(state.as_deref(), expected_state) {
        return unusable(
            "that address belongs to another sign-in (its state does not match); use the \
             address printed by this command",
        );
    }
    if let Some(error) = error {
        return Pasted::Denied(AuthError::AuthorizationDenied { error, description });
    }
    match code.filter(|c| !c.is_empty()) {
        Some(code) => Pasted::Code(Secret::new(code)),
        None => unusable("that address has no authorization code; copy the whole address"),
    }
}

struct Ctx {
    expected_state: String,
    path: String,
    port: u16,
    claimed: AtomicBool,
}

/// Serves one connection; `Some` when it ended the sign-in (code or provider error).
async fn handle(mut stream: TcpStream, ctx: &Ctx) -> Option<Result<Secret, AuthError>> {
    let head = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Ok(Ok(head)) => head,
        Ok(Err(HeadError::TooLarge)) => {
            respond(
                &mut stream,
                431,
                "Request too large",
                "The request was too large.",
            )
            .await;
            return None;
        }
        Ok(Err(HeadError::Closed)) | Err(_) => return None,
    };
    let (status, title, message, outcome) = evaluate(&head, ctx);
    respond(&mut stream, status, title, &message).await;
    outcome
}

enum HeadError {
    TooLarge,
    Closed,
}

async fn read_head(stream: &mut TcpStream) -> Result<String, HeadError> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|_| HeadError::Closed)?;
        if n == 0 {
            return Err(HeadError::Closed);
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = find_head_end(&buf) {
            buf.truncate(end);
            return Ok(String::from_utf8_lossy(&buf).into_owned());
        }
        if buf.len() > MAX_HEAD_BYTES {
            return Err(HeadError::TooLarge);
        }
    }
}

fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").or_else(|| {
        // Be lenient with bare-LF clients.
        buf.windows(2).position(|w| w == b"\n\n")
    })
}

type Evaluated = (u16, &'static str, String, Option<Result<Secret, AuthError>>);

/// Decides the answer to one request head. Pure, so the rules are unit-tested without sockets.
fn evaluate(head: &str, ctx: &Ctx) -> Evaluated {
    let bad = |msg: &str| (400, "Bad request", msg.to_owned(), None);
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return bad("Malformed request line.");
    };
    if !version.starts_with("HTTP/1.") {
        return bad("Unsupported HTTP version.");
    }
    let mut host = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return bad("Malformed header.");
        };
        if name.trim().eq_ignore_ascii_case("host") {
            if host.is_some() {
                return bad("Duplicate Host header.");
            }
            host = Some(value.trim().to_ascii_lowercase());
        }
    }
    let port = ctx.port.to_string();
    let host_ok = host.as_deref().is_some_and(|h| {
        let (name, host_port) = match h.rsplit_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (h, None),
        };
        matches!(name, "localhost" | "127.0.0.1") && host_port.is_none_or(|p| p == port)
    });
    if !host_ok {
        return bad("This listener only answers requests for localhost.");
    }
    if method != "GET" {
        return (
            405,
            "Method not allowed",
            "Only GET is supported.".into(),
            None,
        );
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path != ctx.path {
        return (404, "Not found", "Nothing here.".into(), None);
    }

    let Some(CallbackParams {
        state,
        code,
        error,
        description,
    }) = CallbackParams::parse(url::form_urlencoded::parse(query.as_bytes()))
    else {
        return bad("Duplicate query parameter.");
    };
    if !state_matches(state.as_deref(), &ctx.expected_state) {
        tracing::warn!("redirect with a wrong or missing state refused; still waiting");
        return bad(
            "This sign-in response does not belong to the sign-in Bridgekeeper is waiting for. \
             Return to Bridgekeeper and try again.",
        );
    }
    if ctx.claimed.swap(true, Ordering::SeqCst) {
        return (
            409,
            "Already used",
            "This sign-in has already been completed.".into(),
            None,
        );
    }
    if let Some(error) = error {
        let message = format!(
            "Sign-in was not completed: {}. Return to Bridgekeeper to try again.",
            description.as_deref().unwrap_or(&error)
        );
        return (
            400,
            "Sign-in not completed",
            message,
            Some(Err(AuthError::AuthorizationDenied { error, description })),
        );
    }
    match code.filter(|c| !c.is_empty()) {
        Some(code) => (
            200,
            "Signed in",
            "Signed in to Bridgekeeper \u{2014} you can close this tab.".into(),
            Some(Ok(Secret::new(code))),
        ),
        None => {
            ctx.claimed.store(false, Ordering::SeqCst);
            bad("The sign-in response had no authorization code.")
        }
    }
}

/// The OAuth redirect's parameters, read by the same rules from the listener's request and from a
/// pasted address.
struct CallbackParams {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    description: Option<String>,
}

impl CallbackParams {
    /// `None` when a parameter repeats (a tampered or garbled redirect); others are ignored.
    fn parse<'a>(
        pairs: impl Iterator<Item = (std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>)>,
    ) -> Option<Self> {
        let mut params = Self {
            state: None,
            code: None,
            error: None,
            description: None,
        };
        for (k, v) in pairs {
            let slot = match k.as_ref() {
                "state" => &mut params.state,
                "code" => &mut params.code,
                "error" => &mut params.error,
                "error_description" => &mut params.description,
                _ => continue,
            };
            if slot.is_some() {
                return None;
            }
            *slot = Some(v.into_owned());
        }
        Some(params)
    }
}

/// This sign-in's `state`, compared in constant time.
fn state_matches(got: Option<&str>, expected: &str) -> bool {
    got.is_some_and(|s| constant_time_eq(s.as_bytes(), expected.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

async fn respond(stream: &mut TcpStream, status: u16, title: &str, message: &str) {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t} \u{2014} \
         Bridgekeeper</title><style>body{{font-family:system-ui,sans-serif;margin:4em auto;\
         max-width:32em;color:#222}}</style></head><body><h1>{t}</h1><p>{m}</p></body></html>",
        t = html_escape(title),
        m = html_escape(message)
    );
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {len}\r\nConnection: close\r\nCache-Control: no-store\r\n\
         Referrer-Policy: no-referrer\r\nX-Content-Type-Options: nosniff\r\n\
         Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n\r\n",
        reason = html_escape(title),
        len = body.len()
    );
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    let _ = stream.write_all(&bytes).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod socket_tests;
