//! Prometheus text metrics of a running policy (`policy run --metrics 127.0.0.1:9464`): findings
//! by rule, decisions by action and outcome, how complete and how fresh the board is.
//!
//! Served by a deliberately small HTTP/1.1 responder (GET `/metrics`, everything else 404/405,
//! one request per connection) on a loopback address only: the numbers carry no secret, but rule
//! ids and call counts are nobody else's business, and there is no authentication to offer.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::detector::Detection;
use super::engine::{Decision, DecisionAction};
use super::file::{Mode, Policy};
use crate::roster::RosterStatus;

/// The counters and gauges of one run; cheap to share (`Arc`), updated by the runner.
#[derive(Debug)]
pub struct PolicyMetrics {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    enforcing: bool,
    findings: BTreeMap<String, u64>,
    unavailable: BTreeMap<String, bool>,
    decisions: BTreeMap<(&'static str, String), u64>,
    evaluations: u64,
    trusted: bool,
    complete: bool,
    discovered: usize,
    held: usize,
    connected: bool,
    started: Instant,
    last_event: Option<Instant>,
}

/// The wire name of a decision's action.
fn action_name(action: DecisionAction) -> &'static str {
    match action {
        DecisionAction::WouldDrop => "would_drop",
        DecisionAction::Dropped => "dropped",
        DecisionAction::Skipped => "skipped",
    }
}

impl PolicyMetrics {
    /// Every rule of `policy` at zero findings and every action at zero, so each series exists
    /// from the first scrape (a rate over a series that appears late misses its first step).
    pub fn new(policy: &Policy, mode: Mode) -> Self {
        let findings = policy.rules.iter().map(|r| (r.id.clone(), 0)).collect();
        let unavailable = policy.rules.iter().map(|r| (r.id.clone(), false)).collect();
        let decisions = [DecisionAction::WouldDrop, DecisionAction::Skipped]
            .into_iter()
            .map(|a| ((action_name(a), String::new()), 0))
            .collect();
        Self {
            state: Mutex::new(State {
                enforcing: mode == Mode::Enforce,
                findings,
                unavailable,
                decisions,
                evaluations: 0,
                trusted: false,
                complete: false,
                discovered: 0,
                held: 0,
                connected: false,
                started: Instant::now(),
                last_event: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One evaluation: the findings on the board now, and the rules that could not be used.
    pub fn evaluated(&self, detection: &Detection) {
        let mut s = self.lock();
        s.evaluations += 1;
        for n in s.findings.values_mut() {
            *n = 0;
        }
        for f in &detection.findings {
            *s.findings.entry(f.rule.clone()).or_default() += 1;
        }
        for u in s.unavailable.values_mut() {
            *u = false;
        }
        for u in &detection.unavailable {
            s.unavailable.insert(u.rule.clone(), true);
        }
    }

    /// Decisions taken (each counted once: the engine does not repeat a decision).
    pub fn decided(&self, decisions: &[Decision]) {
        let mut s = self.lock();
        for d in decisions {
            let outcome = match d.action {
                DecisionAction::Dropped => d.outcome.clone().unwrap_or_else(|| "unknown".into()),
                _ => String::new(),
            };
            *s.decisions
                .entry((action_name(d.action), outcome))
                .or_default() += 1;
        }
    }

    /// The roster's status: trust, completeness, connection.
    pub fn board(&self, status: &RosterStatus) {
        let mut s = self.lock();
        s.trusted = status.trusted;
        s.complete = status.completeness.is_complete();
        s.discovered = status.completeness.discovered;
        s.held = status.completeness.held;
        s.connected = status.connection.is_live();
    }

    /// A call event reached the board (an upsert or a removal).
    pub fn event(&self) {
        self.lock().last_event = Some(Instant::now());
    }

    /// The Prometheus text exposition (format 0.0.4), one HELP and TYPE line per metric.
    pub fn render(&self) -> String {
        let s = self.lock();
        let mut out = String::new();
        let gauge = |out: &mut String, name: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
        };
        gauge(
            &mut out,
            "bridgekeeper_policy_findings",
            "Findings of each rule on the board at the last evaluation.",
        );
        for (rule, n) in &s.findings {
            let _ = writeln!(
                out,
                "bridgekeeper_policy_findings{{rule=\"{}\"}} {n}",
                escape(rule)
            );
        }
        gauge(
            &mut out,
            "bridgekeeper_policy_rule_unavailable",
            "1 when a rule could not be evaluated at the last evaluation (missing permission or licence).",
        );
        for (rule, u) in &s.unavailable {
            let _ = writeln!(
                out,
                "bridgekeeper_policy_rule_unavailable{{rule=\"{}\"}} {}",
                escape(rule),
                u8::from(*u)
            );
        }
        let _ = writeln!(
            out,
            "# HELP bridgekeeper_policy_decisions_total Decisions taken: would_drop (dry run), \
             dropped (by outcome), skipped.\n# TYPE bridgekeeper_policy_decisions_total counter"
        );
        for ((action, outcome), n) in &s.decisions {
            if outcome.is_empty() {
                let _ = writeln!(
                    out,
                    "bridgekeeper_policy_decisions_total{{action=\"{action}\"}} {n}"
                );
            } else {
                let _ = writeln!(
                    out,
                    "bridgekeeper_policy_decisions_total{{action=\"{action}\",outcome=\"{}\"}} {n}",
                    escape(outcome)
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP bridgekeeper_policy_evaluations_total Evaluations of the board.\n\
             # TYPE bridgekeeper_policy_evaluations_total counter\n\
             bridgekeeper_policy_evaluations_total {}",
            s.evaluations
        );
        let mut single = |name: &str, help: &str, value: String| {
            gauge(&mut out, name, help);
            let _ = writeln!(out, "{name} {value}");
        };
        single(
            "bridgekeeper_policy_enforcing",
            "1 in enforce mode, 0 in dry run.",
            u8::from(s.enforcing).to_string(),
        );
        single(
            "bridgekeeper_board_trusted",
            "1 while the notification socket is live and a snapshot was taken on it.",
            u8::from(s.trusted).to_string(),
        );
        single(
            "bridgekeeper_board_complete",
            "1 when every watched call known to exist is on the board and the last sweep finished.",
            u8::from(s.complete).to_string(),
        );
        let ratio = if s.discovered == 0 {
            1.0
        } else {
            s.held as f64 / s.discovered as f64
        };
        single(
            "bridgekeeper_board_completeness_ratio",
            "Calls on the board divided by calls known to exist (1 when none are known).",
            format!("{ratio}"),
        );
        single(
            "bridgekeeper_notification_connected",
            "1 while the notification socket is live.",
            u8::from(s.connected).to_string(),
        );
        let age = s.last_event.unwrap_or(s.started).elapsed().as_secs_f64();
        single(
            "bridgekeeper_last_event_age_seconds",
            "Seconds since the last call event reached the board (since the start when none has).",
            format!("{age:.3}"),
        );
        out
    }
}

/// A label value as the exposition format wants it: backslash, quote and newline escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Why `--metrics` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// Not `IP:PORT`.
    #[error(
        "--metrics takes a loopback IP address and port, such as 127.0.0.1:9464 or [::1]:9464; \
         {0:?} is not one"
    )]
    NotAnAddress(String),
    /// An address other hosts could reach.
    #[error(
        "--metrics {0} is refused: metrics are served on a loopback address only (127.0.0.1 or \
         ::1), because they have no authentication; let a local agent or proxy scrape them"
    )]
    NotLoopback(SocketAddr),
    /// The port could not be opened.
    #[error("cannot listen on {addr} for metrics: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// Parses `--metrics` and refuses anything but a loopback address.
pub fn loopback_address(text: &str) -> Result<SocketAddr, MetricsError> {
    let addr: SocketAddr = text
        .trim()
        .parse()
        .map_err(|_| MetricsError::NotAnAddress(text.to_owned()))?;
    let loopback = match addr.ip() {
        IpAddr::V4(ip) => ip.is_loopback(),
        IpAddr::V6(ip) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    };
    if !loopback {
        return Err(MetricsError::NotLoopback(addr));
    }
    Ok(addr)
}

/// Opens the metrics port (loopback only); bind before signing in, so a bad flag fails first.
pub async fn bind(text: &str) -> Result<TcpListener, MetricsError> {
    let addr = loopback_address(text)?;
    TcpListener::bind(addr)
        .await
        .map_err(|source| MetricsError::Bind { addr, source })
}

/// How long one client may take to send its request head.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// The most of a request head read (a scrape's is a few hundred bytes).
const MAX_HEAD: usize = 8 * 1024;

/// Answers scrapes on `listener` until `stop` says `true`.
pub async fn serve(
    listener: TcpListener,
    metrics: Arc<PolicyMetrics>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            return;
        }
        tokio::select! {
            changed = stop.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let metrics = Arc::clone(&metrics);
                    tokio::spawn(async move {
                        if let Err(e) = answer(stream, &metrics).await {
                            tracing::debug!(error = %e, "metrics request failed");
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics listener: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
}

async fn answer(mut stream: TcpStream, metrics: &PolicyMetrics) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let read = tokio::time::timeout(REQUEST_TIMEOUT, async {
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        Ok::<_, std::io::Error>(())
    })
    .await;
    match read {
        Err(_) => return Ok(()), // too slow: just close
        Ok(result) => result?,
    }
    let line = head
        .split(|b| *b == b'\n')
        .next()
        .map(|l| String::from_utf8_lossy(l).trim_end().to_owned())
        .unwrap_or_default();
    let mut parts = line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    let (status, extra, body) = match (method, path) {
        ("GET", "/metrics") => (
            "200 OK",
            "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n",
            metrics.render(),
        ),
        (_, "/metrics") => (
            "405 Method Not Allowed",
            "Allow: GET\r\nContent-Type: text/plain; charset=utf-8\r\n",
            "only GET /metrics\n".to_owned(),
        ),
        _ => (
            "404 Not Found",
            "Content-Type: text/plain; charset=utf-8\r\n",
            "not found; metrics are at /metrics\n".to_owned(),
        ),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy::parse(
            "[[rule]]\nid = \"held-too-long\"\nwhen = \"held\"\nfor = \"10m\"\n\
             [[rule]]\nid = \"quiet\"\nwhen = \"silent\"\nfor = \"2m\"\n",
        )
        .expect("policy")
    }

    #[test]
    fn only_loopback_addresses_are_accepted() {
        assert!(loopback_address("127.0.0.1:9464").is_ok());
        assert!(loopback_address("[::1]:9464").is_ok());
        assert!(loopback_address("127.8.9.10:1").is_ok());
        let open = loopback_address("0.0.0.0:9464").expect_err("any address");
        assert!(open.to_string().contains("loopback address only"), "{open}");
        assert!(matches!(
            loopback_address("192.168.1.5:9464"),
            Err(MetricsError::NotLoopback(_))
        ));
        assert!(matches!(
            loopback_address("[::]:9464"),
            Err(MetricsError::NotLoopback(_))
        ));
        let name = loopback_address("localhost:9464").expect_err("a name");
        assert!(name.to_string().contains("127.0.0.1:9464"), "{name}");
        assert!(matches!(
            loopback_address("9464"),
            Err(MetricsError::NotAnAddress(_))
        ));
    }

    #[test]
    fn render_has_help_and_type_for_every_metric_and_counts() {
        let m = PolicyMetrics::new(&policy(), Mode::DryRun);
        let text = m.render();
        assert!(text.contains("bridgekeeper_policy_findings{rule=\"held-too-long\"} 0"));
        assert!(text.contains("bridgekeeper_policy_decisions_total{action=\"would_drop\"} 0"));
        assert!(text.contains("bridgekeeper_policy_enforcing 0"));
        m.decided(&[Decision {
            conversation_id: "c".into(),
            participant_id: "p".into(),
            rule: "held-too-long".into(),
            reason: "held".into(),
            action: DecisionAction::Dropped,
            outcome: Some("confirmed".into()),
            skipped_because: None,
        }]);
        let text = m.render();
        assert!(
            text.contains(
                "bridgekeeper_policy_decisions_total{action=\"dropped\",outcome=\"confirmed\"} 1"
            ),
            "{text}"
        );
        // Every sample's metric has its HELP and TYPE lines.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split(['{', ' ']).next().expect("name");
            assert!(text.contains(&format!("# HELP {name} ")), "{name}");
            assert!(text.contains(&format!("# TYPE {name} ")), "{name}");
        }
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[tokio::test]
    async fn the_responder_answers_get_metrics_and_404s_the_rest() {
        let listener = bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let metrics = Arc::new(PolicyMetrics::new(&policy(), Mode::Enforce));
        let (tx, rx) = tokio::sync::watch::channel(false);
        let server = tokio::spawn(serve(listener, Arc::clone(&metrics), rx));
        let ask = |request: &'static str| async move {
            let mut s = TcpStream::connect(addr).await.expect("connect");
            s.write_all(request.as_bytes()).await.expect("write");
            let mut out = String::new();
            s.read_to_string(&mut out).await.expect("read");
            out
        };
        let ok = ask("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
        assert!(ok.contains("text/plain; version=0.0.4"), "{ok}");
        assert!(ok.contains("bridgekeeper_policy_enforcing 1"), "{ok}");
        let missing = ask("GET / HTTP/1.1\r\n\r\n").await;
        assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
        let post = ask("POST /metrics HTTP/1.1\r\n\r\n").await;
        assert!(post.starts_with("HTTP/1.1 405"), "{post}");
        tx.send(true).expect("stop");
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("the server stops")
            .expect("join");
    }
}
