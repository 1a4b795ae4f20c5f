//! `policy run` without `--once`, as a service runs it: the built binary against the in-process
//! emulator, stopped with a real SIGTERM, scraped over real HTTP, through a socket drop and a
//! token renewal. Also the figure of issue 8: the time from a leg passing its threshold to its
//! confirmed drop.
//!
//! About 600 lines in one file because the runs share the follower of a running process.

mod common;

use common::cli;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use genesys_emulator::{EmulatorConfig, NewCallRequest, PartyRequest, ScenarioName};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Lines of one stream, each with when the test read it.
type Lines = Arc<Mutex<Vec<(DateTime<Utc>, String)>>>;

/// A CLI process that keeps running, its output collected as it comes.
struct Running {
    child: Child,
    stdout: Lines,
    stderr: Lines,
}

impl Running {
    fn spawn(mut cmd: Command) -> Self {
        let mut child = cmd.spawn().expect("spawn cli");
        let follow = |stream: Option<Box<dyn tokio::io::AsyncRead + Unpin + Send>>| {
            let lines: Lines = Arc::default();
            let into = Arc::clone(&lines);
            if let Some(stream) = stream {
                tokio::spawn(async move {
                    let mut reader = BufReader::new(stream).lines();
                    while let Ok(Some(line)) = reader.next_line().await {
                        into.lock().expect("lines").push((Utc::now(), line));
                    }
                });
            }
            lines
        };
        let stdout = follow(child.stdout.take().map(|s| Box::new(s) as _));
        let stderr = follow(child.stderr.take().map(|s| Box::new(s) as _));
        Self {
            child,
            stdout,
            stderr,
        }
    }

    fn text(lines: &Lines) -> String {
        lines
            .lock()
            .expect("lines")
            .iter()
            .map(|(_, l)| format!("{l}\n"))
            .collect()
    }

    /// The JSON decisions printed so far, with when each arrived.
    fn decisions(&self) -> Vec<(DateTime<Utc>, Value)> {
        self.stdout
            .lock()
            .expect("lines")
            .iter()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(t, l)| {
                (
                    *t,
                    serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")),
                )
            })
            .collect()
    }

    /// Waits (bounded) until `done` holds for stderr's text; panics with both streams if not.
    async fn wait_stderr(&self, what: &str, done: impl Fn(&str) -> bool) {
        self.wait(what, || done(&Self::text(&self.stderr))).await;
    }

    async fn wait(&self, what: &str, done: impl Fn() -> bool) {
        let deadline = Instant::now() + common::RUN_TIMEOUT;
        while !done() {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}\nstdout:\n{}\nstderr:\n{}",
                Self::text(&self.stdout),
                Self::text(&self.stderr)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (bounded) for the process to end by itself; its exit code and stderr.
    async fn exits(mut self) -> (i32, String) {
        let exit = tokio::time::timeout(common::RUN_TIMEOUT, self.child.wait())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "did not exit in time\nstdout:\n{}\nstderr:\n{}",
                    Self::text(&self.stdout),
                    Self::text(&self.stderr)
                )
            })
            .expect("wait");
        tokio::time::sleep(Duration::from_millis(100)).await;
        (exit.code().unwrap_or(-1), Self::text(&self.stderr))
    }

    /// Sends SIGTERM (as systemd stops the unit) and waits for the exit code.
    async fn terminate(mut self) -> (i32, String) {
        let pid = self.child.id().expect("still running");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill -TERM {pid}");
        let exit = tokio::time::timeout(common::RUN_TIMEOUT, self.child.wait())
            .await
            .expect("exits after SIGTERM in time")
            .expect("wait");
        // Let the readers drain what was left in the pipes.
        tokio::time::sleep(Duration::from_millis(100)).await;
        (exit.code().unwrap_or(-1), Self::text(&self.stderr))
    }
}

const DRY: &str =
    "mode = \"dry-run\"\n\n[[rule]]\nid = \"long-call\"\nwhen = \"on_call\"\nfor = \"1s\"\n";

#[tokio::test]
async fn metrics_on_an_address_other_hosts_could_reach_is_refused_before_anything_else() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("policy.toml");
    std::fs::write(&file, DRY).expect("write");
    let path = file.to_str().expect("utf-8");
    for (addr, words) in [
        ("0.0.0.0:9464", "loopback address only"),
        ("192.168.1.20:9464", "loopback address only"),
        ("localhost:9464", "such as 127.0.0.1:9464"),
    ] {
        let out = common::run_to_end(cli(
            dir.path(),
            &[
                "policy",
                "run",
                path,
                "--queue",
                "Support",
                "--metrics",
                addr,
            ],
        ))
        .await;
        out.expect_code(1);
        assert!(out.stderr.contains(words), "{addr}: {out:?}");
        // Refused before signing in: not the "not signed in" error.
        assert!(!out.stderr.contains("not signed in"), "{addr}: {out:?}");
    }
    let once = common::run_to_end(cli(
        dir.path(),
        &["policy", "run", path, "--once", "--metrics", "127.0.0.1:0"],
    ))
    .await;
    once.expect_code(1);
    assert!(once.stderr.contains("--once"), "{once:?}");
    assert!(!dir.path().join("audit.jsonl").exists(), "nothing written");
}

async fn scrape(stderr: &str) -> String {
    let url = stderr
        .lines()
        .find_map(|l| l.strip_prefix("Metrics: "))
        .expect("the metrics address is printed")
        .trim()
        .to_owned();
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("http");
    let resp = http.get(&url).send().await.expect("scrape");
    assert_eq!(resp.status(), 200);
    let missing = http
        .get(url.replace("/metrics", "/"))
        .send()
        .await
        .expect("get /");
    assert_eq!(missing.status(), 404);
    resp.text().await.expect("body")
}

/// Starts a Support call of a customer, an agent and an external party (named `external`) now;
/// returns the emulator's truth of it.
fn support_call(h: &common::Harness, external: &str) -> Value {
    let world = h.emu.world();
    let support = world.queue_id("Support").expect("Support");
    let agent = world
        .users()
        .into_iter()
        .find(|u| u.queue_ids.contains(&support) && u.email != genesys_emulator::SUPERVISOR_EMAIL)
        .expect("a Support agent");
    world
        .create_call(NewCallRequest {
            queue_id: Some(support),
            parties: vec![
                PartyRequest {
                    purpose: "customer".into(),
                    ..PartyRequest::default()
                },
                PartyRequest {
                    purpose: "agent".into(),
                    user_id: Some(agent.id),
                    ..PartyRequest::default()
                },
                PartyRequest {
                    purpose: "external".into(),
                    name: Some(external.into()),
                    ..PartyRequest::default()
                },
            ],
        })
        .expect("call")
}

fn disconnects(h: &common::Harness) -> Vec<String> {
    h.emu
        .world()
        .requests(0)
        .into_iter()
        .filter(|r| r.method == "PATCH" || r.path.ends_with("/disconnect"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real OS keyring: scripts/test.sh runs it in a throwaway keyring session"]
async fn keyring_continuous_dry_run_lists_each_leg_once_sends_nothing_and_stops_on_sigterm() {
    let mut h = common::Harness::start("policy-svc-dry").await;
    h.login(None).await;
    let file = h.data.path().join("policy.toml");
    // The file says enforce; --dry-run overrides it.
    std::fs::write(&file, DRY.replace("dry-run", "enforce")).expect("write");
    let path = file.to_str().expect("utf-8");

    // What one evaluation finds: the expected legs.
    let once = h
        .run(&[
            "--json",
            "policy",
            "run",
            path,
            "--once",
            "--dry-run",
            "--queue",
            "Support",
        ])
        .await;
    once.expect_code(0);
    let expected: Vec<(String, String, String)> = {
        let mut v: Vec<_> = once
            .stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str::<Value>(l).expect("json"))
            .map(|d| {
                (
                    d["conversationId"].as_str().expect("c").to_owned(),
                    d["participantId"].as_str().expect("p").to_owned(),
                    d["action"].as_str().expect("a").to_owned(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert!(
        expected.iter().any(|e| e.2 == "would_drop"),
        "the demo org's Support calls are over 1 s: {once:?}"
    );

    let run = Running::spawn(h.command(&[
        "--json",
        "policy",
        "run",
        path,
        "--dry-run",
        "--queue",
        "Support",
        "--metrics",
        "127.0.0.1:0",
    ]));
    run.wait_stderr("the run to start", |e| {
        e.contains("until SIGTERM or Ctrl-C")
    })
    .await;
    run.wait("every expected decision", || {
        run.decisions().len() >= expected.len()
    })
    .await;
    // Several ticks (500 ms each) later nothing is said again.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let decided = run.decisions();
    let mut listed: Vec<_> = decided
        .iter()
        .map(|(_, d)| {
            (
                d["conversationId"].as_str().expect("c").to_owned(),
                d["participantId"].as_str().expect("p").to_owned(),
                d["action"].as_str().expect("a").to_owned(),
            )
        })
        .collect();
    listed.sort();
    assert_eq!(
        listed, expected,
        "the continuous run lists what one evaluation finds, each leg once"
    );
    assert!(
        decided.iter().all(|(_, d)| d["rule"] == "long-call"),
        "{decided:?}"
    );
    assert_eq!(
        disconnects(&h),
        Vec::<String>::new(),
        "a dry run sends nothing"
    );

    let metrics = scrape(&Running::text(&run.stderr)).await;
    let would = expected.iter().filter(|e| e.2 == "would_drop").count();
    assert!(
        metrics.contains(&format!(
            "bridgekeeper_policy_decisions_total{{action=\"would_drop\"}} {would}"
        )),
        "{metrics}"
    );
    assert!(
        metrics.contains("# TYPE bridgekeeper_policy_findings gauge"),
        "{metrics}"
    );
    assert!(
        metrics.contains("bridgekeeper_policy_findings{rule=\"long-call\"} "),
        "{metrics}"
    );
    assert!(
        metrics.contains("bridgekeeper_board_complete 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("bridgekeeper_policy_enforcing 0"),
        "{metrics}"
    );
    assert!(
        metrics.contains("# TYPE bridgekeeper_last_event_age_seconds gauge"),
        "{metrics}"
    );

    let (code, stderr) = run.terminate().await;
    assert_eq!(code, 0, "SIGTERM ends the run with 0: {stderr}");
    assert!(stderr.contains("Stopped"), "{stderr}");
    assert_eq!(disconnects(&h), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real OS keyring: scripts/test.sh runs it in a throwaway keyring session"]
async fn keyring_continuous_enforce_drops_a_leg_when_it_passes_its_threshold_and_reports_the_time()
{
    let patch_delay = Duration::from_millis(60);
    let mut h = common::Harness::with_config(
        "policy-svc-enforce",
        EmulatorConfig {
            scenario: ScenarioName::Empty,
            patch_delay,
            ..EmulatorConfig::default()
        },
    )
    .await;
    h.login(None).await;
    let threshold = Duration::from_secs(3);
    let file = h.data.path().join("policy.toml");
    std::fs::write(
        &file,
        "mode = \"enforce\"\n\n[[rule]]\nid = \"long-external\"\nwhen = \"on_call\"\n\
         for = \"3s\"\npurposes = [\"external\"]\n",
    )
    .expect("write");
    let path = file.to_str().expect("utf-8");
    let run = Running::spawn(h.command(&["--json", "policy", "run", path, "--queue", "Support"]));
    run.wait_stderr("the run to start", |e| {
        e.contains("until SIGTERM or Ctrl-C")
    })
    .await;
    assert!(run.decisions().is_empty(), "an empty board: nothing to do");

    // A call that starts after the run did: its external leg passes 3 s during the run.
    let call = support_call(&h, "Late Consultant");
    let conversation = call["id"].as_str().expect("id").to_owned();
    let external = call["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .find(|p| p["purpose"] == "external")
        .expect("external leg")
        .clone();
    let external_id = external["id"].as_str().expect("pid").to_owned();
    let connected: DateTime<Utc> = external["connectedTime"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .expect("connectedTime")
        .with_timezone(&Utc);
    let crossed = connected + chrono::Duration::from_std(threshold).expect("threshold");

    run.wait("the drop", || {
        run.decisions()
            .iter()
            .any(|(_, d)| d["action"] == "dropped")
    })
    .await;
    // A few more ticks: the decided finding is not acted on again.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let decided = run.decisions();
    assert_eq!(decided.len(), 1, "one decision: {decided:?}");
    let (printed_at, d) = &decided[0];
    assert_eq!(d["conversationId"], conversation.as_str());
    assert_eq!(d["participantId"], external_id.as_str());
    assert_eq!(d["rule"], "long-external");
    assert_eq!(d["outcome"], "confirmed", "{d}");
    assert!(*printed_at >= crossed, "never before its threshold: {d}");

    // Verified against the emulator's truth: the external left, the customer and agent stayed.
    let truth = h.truth(&conversation);
    for p in truth["participants"].as_array().expect("participants") {
        let want = if p["id"] == external_id.as_str() {
            "disconnected"
        } else if p["purpose"] == "acd" {
            continue;
        } else {
            "connected"
        };
        assert_eq!(p["state"], want, "{p}");
    }
    let sent = disconnects(&h);
    assert_eq!(
        sent,
        vec![format!(
            "PATCH /api/v2/conversations/calls/{conversation}/participants/{external_id}"
        )],
        "exactly one disconnect, of that leg"
    );

    // The figure: from the threshold to the printed, confirmed drop.
    let late = (*printed_at - crossed).to_std().unwrap_or_default();
    eprintln!(
        "FIGURE policy threshold-to-confirmed-drop: {} ms after the {} s threshold \
         (target: at most 1 s + the platform's delay of {} ms)",
        late.as_millis(),
        threshold.as_secs(),
        patch_delay.as_millis()
    );
    // The target with slack for a loaded CI machine; the figure above is what counts.
    assert!(
        late < Duration::from_secs(3),
        "{} ms after the threshold",
        late.as_millis()
    );

    // The socket drops: the roster reconnects and re-reads, and the run goes on.
    h.fault(&genesys_emulator::FaultSpec::CloseSockets {}).await;
    let second = support_call(&h, "Second Consultant");
    let second_id = second["id"].as_str().expect("id").to_owned();
    run.wait("the drop on the second call, after the reconnect", || {
        run.decisions()
            .iter()
            .any(|(_, d)| d["conversationId"] == second_id.as_str() && d["action"] == "dropped")
    })
    .await;
    assert_eq!(disconnects(&h).len(), 2, "{:?}", disconnects(&h));

    let (code, stderr) = run.terminate().await;
    assert_eq!(code, 0, "SIGTERM ends the run with 0: {stderr}");
    let audit = std::fs::read_to_string(h.audit_file()).expect("audit");
    assert!(audit.contains("\"decision\":\"dropping\""), "{audit}");
    assert!(audit.contains("\"decision\":\"dropped\""), "{audit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real OS keyring: scripts/test.sh runs it in a throwaway keyring session"]
async fn keyring_sigterm_during_a_drop_lets_it_finish_and_be_recorded_then_exits_0() {
    // The platform takes 2 s to act on the PATCH: SIGTERM arrives while the drop is in flight.
    let mut h = common::Harness::with_config(
        "policy-svc-inflight",
        EmulatorConfig {
            scenario: ScenarioName::Empty,
            patch_delay: Duration::from_secs(2),
            ..EmulatorConfig::default()
        },
    )
    .await;
    h.login(None).await;
    let file = h.data.path().join("policy.toml");
    std::fs::write(
        &file,
        "mode = \"enforce\"\n\n[[rule]]\nid = \"long-external\"\nwhen = \"on_call\"\n\
         for = \"1s\"\npurposes = [\"external\"]\n",
    )
    .expect("write");
    let path = file.to_str().expect("utf-8");
    let run = Running::spawn(h.command(&["--json", "policy", "run", path, "--queue", "Support"]));
    run.wait_stderr("the run to start", |e| {
        e.contains("until SIGTERM or Ctrl-C")
    })
    .await;
    let call = support_call(&h, "Slow Consultant");
    let conversation = call["id"].as_str().expect("id").to_owned();
    // The PATCH was sent (and the platform has not acted yet): stop now.
    run.wait("the PATCH", || !disconnects(&h).is_empty()).await;
    let (code, stderr) = run.terminate().await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("Stopped"), "{stderr}");
    // The drop finished: confirmed, printed, recorded with its outcome, and nothing else was sent.
    let decided = run_decisions(&h);
    assert!(
        decided
            .iter()
            .any(|d| d["policy"]["decision"] == "dropped" && d["outcome"] == "confirmed"),
        "the outcome is recorded: {decided:?}"
    );
    let truth = h.truth(&conversation);
    let external = truth["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .find(|p| p["purpose"] == "external")
        .expect("external")
        .clone();
    assert_eq!(external["state"], "disconnected", "{external}");
    assert_eq!(disconnects(&h).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real OS keyring: scripts/test.sh runs it in a throwaway keyring session"]
async fn keyring_a_continuous_run_renews_an_expired_token_and_goes_on() {
    let mut h = common::Harness::with_config(
        "policy-svc-refresh",
        EmulatorConfig {
            scenario: ScenarioName::Empty,
            patch_delay: Duration::from_millis(60),
            ..EmulatorConfig::default()
        },
    )
    .await;
    let session = h.login_with(None, Some("svc-e2e-secret")).await;
    assert_eq!(session["renewable"], true, "{session}");
    let file = h.data.path().join("policy.toml");
    std::fs::write(
        &file,
        "mode = \"enforce\"\n\n[[rule]]\nid = \"long-external\"\nwhen = \"on_call\"\n\
         for = \"1s\"\npurposes = [\"external\"]\n",
    )
    .expect("write");
    let path = file.to_str().expect("utf-8");
    let run = Running::spawn(h.command(&["--json", "policy", "run", path, "--queue", "Support"]));
    run.wait_stderr("the run to start", |e| {
        e.contains("until SIGTERM or Ctrl-C")
    })
    .await;
    let refreshes = |h: &common::Harness| {
        h.emu
            .world()
            .requests(0)
            .into_iter()
            .filter(|r| r.path == "/oauth/token")
            .count()
    };
    let before = refreshes(&h);
    // Every access token expires now: the run's next request gets a 401 and must renew.
    h.fault(&genesys_emulator::FaultSpec::ExpireTokens { user_id: None })
        .await;
    support_call(&h, "Any Consultant");
    run.wait("the drop after the renewal", || {
        run.decisions()
            .iter()
            .any(|(_, d)| d["action"] == "dropped" && d["outcome"] == "confirmed")
    })
    .await;
    assert!(refreshes(&h) > before, "the token was renewed");
    // The 401 the renewal recovered from is not a decision: nothing printed or recorded as
    // skipped (it would say "sign in again" though the session went on).
    let printed: Vec<Value> = run.decisions().into_iter().map(|(_, d)| d).collect();
    assert!(
        printed.iter().all(|d| d["action"] != "skipped"),
        "{printed:?}"
    );
    let recorded = run_decisions(&h);
    assert!(
        recorded
            .iter()
            .all(|r| r["policy"]["decision"] != "skipped"),
        "{recorded:?}"
    );
    let (code, stderr) = run.terminate().await;
    assert_eq!(code, 0, "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real OS keyring: scripts/test.sh runs it in a throwaway keyring session"]
async fn keyring_a_revoked_session_ends_the_continuous_run_with_exit_4() {
    let mut h = common::Harness::with_config(
        "policy-svc-revoked",
        EmulatorConfig {
            scenario: ScenarioName::Empty,
            ..EmulatorConfig::default()
        },
    )
    .await;
    // Renewable, so it is the revocation (refresh token included) that ends it, not an expiry.
    let session = h.login_with(None, Some("svc-e2e-secret")).await;
    assert_eq!(session["renewable"], true, "{session}");
    let file = h.data.path().join("policy.toml");
    std::fs::write(&file, DRY).expect("write");
    let path = file.to_str().expect("utf-8");
    let run = Running::spawn(h.command(&["policy", "run", path, "--queue", "Support"]));
    run.wait_stderr("the run to start", |e| {
        e.contains("until SIGTERM or Ctrl-C")
    })
    .await;
    h.fault(&genesys_emulator::FaultSpec::RevokeTokens { user_id: None })
        .await;
    // No SIGTERM: the run ends by itself, with the code the systemd unit does not restart on.
    let (code, stderr) = run.exits().await;
    assert_eq!(code, 4, "{stderr}");
    assert_eq!(stderr.matches("sign in again").count(), 1, "{stderr}");
    assert!(!stderr.contains("Stopped"), "{stderr}");
}

/// The policy's records in the audit log.
fn run_decisions(h: &common::Harness) -> Vec<Value> {
    std::fs::read_to_string(h.audit_file())
        .expect("audit")
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("record"))
        .filter(|r| r.get("policy").is_some())
        .collect()
}
