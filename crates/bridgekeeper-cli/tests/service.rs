//! `login --service` as an admin does it on a server: a confidential client whose secret comes from
//! the environment or a file, no browser and no D-Bus on the machine, the session in the kernel
//! keyring, the redirected address pasted back; then later commands resume (and renew) from it.
//! Against the emulator, through the built binary. The kernel keyring tests are ignored by a plain
//! `cargo test` (they write this user's persistent keyring); scripts/test.sh runs them.

#![cfg(target_os = "linux")]

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::{Harness, Output, RUN_TIMEOUT};
use genesys_emulator::EmulatorConfig;
use genesys_emulator::test_support::{deliver, follow_authorize};
use serde_json::{Value, json};
use supervisor_core::token_store::{AccountKey, KernelKeyringStore, TokenStore};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};
use url::Url;

/// Removes the session from the kernel keyring whatever the test did.
struct KernelCleanup(AccountKey);
impl Drop for KernelCleanup {
    fn drop(&mut self) {
        let _ = KernelKeyringStore::new().delete(&self.0);
    }
}

/// A server: no D-Bus session (so no Secret Service), and a scratch home for every folder the
/// app could write to, so the test can prove nothing secret lands on disk.
fn on_a_server(mut cmd: Command, home: &Path) -> Command {
    cmd.env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("BRIDGEKEEPER_CLIENT_SECRET")
        .env_remove("BRIDGEKEEPER_TOKEN_STORE")
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .env("BRIDGEKEEPER_SYSTEM_CONFIG", "")
        .env("BRIDGEKEEPER_USER_CONFIG", "");
    cmd
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("http client")
}

/// A running `login`: its first line (the address to open) is read.
struct Login {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    authorize: Value,
    /// Read all along, so a chatty log can never fill the pipe and stall the child.
    stderr: tokio::task::JoinHandle<String>,
}

impl Login {
    async fn start(mut cmd: Command) -> Self {
        cmd.stdin(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn login");
        let mut err = child.stderr.take().expect("stderr");
        let stderr = tokio::spawn(async move {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text).await;
            text
        });
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = tokio::time::timeout(RUN_TIMEOUT, lines.next_line())
            .await
            .expect("login prints the address in time")
            .expect("read stdout");
        let Some(first) = first else {
            let out = finish(child, String::new(), stderr).await;
            panic!("login printed nothing: {out:?}");
        };
        let authorize = serde_json::from_str(&first).expect("first line is JSON");
        Self {
            child,
            lines,
            authorize,
            stderr,
        }
    }

    fn url(&self) -> Url {
        Url::parse(
            self.authorize["authorizeUrl"]
                .as_str()
                .expect("authorizeUrl"),
        )
        .expect("url")
    }

    fn redirect_uri(&self) -> String {
        self.authorize["redirectUri"]
            .as_str()
            .expect("redirectUri")
            .to_owned()
    }

    /// The process's command line as `ps` shows it to every user.
    fn cmdline(&self) -> String {
        let pid = self.child.id().expect("running");
        std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
            .expect("cmdline readable")
    }

    async fn paste(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().expect("stdin");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("paste");
        stdin.flush().await.expect("flush");
    }

    async fn end(mut self) -> Output {
        drop(self.child.stdin.take());
        let mut rest = String::new();
        while let Ok(Ok(Some(line))) =
            tokio::time::timeout(RUN_TIMEOUT, self.lines.next_line()).await
        {
            rest.push_str(&line);
            rest.push('\n');
        }
        finish(self.child, rest, self.stderr).await
    }
}

async fn finish(
    mut child: Child,
    stdout: String,
    stderr: tokio::task::JoinHandle<String>,
) -> Output {
    let status = tokio::time::timeout(RUN_TIMEOUT, child.wait())
        .await
        .expect("login exits in time")
        .expect("wait");
    let stderr = tokio::time::timeout(RUN_TIMEOUT, stderr)
        .await
        .expect("stderr closes")
        .unwrap_or_default();
    Output {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr,
    }
}

/// Every file under `root`, with its text.
fn files_under(root: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let text =
                    String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()).into_owned();
                out.push((path.display().to_string(), text));
            }
        }
    }
    out
}

fn login_args(client_id: &str) -> Vec<String> {
    [
        "--json",
        "login",
        "--service",
        "--client-id",
        client_id,
        "--redirect-port",
        "0",
        "--timeout",
        "30",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Linux kernel keyring (keyctl): scripts/test.sh runs it with --include-ignored"]
async fn kernel_keyring_service_login_pastes_the_redirect_and_later_commands_renew_from_it() {
    // Tokens live 30 s, less than the refresh margin: every later command renews first.
    let h = Harness::with_config(
        "service",
        EmulatorConfig {
            patch_delay: Duration::from_millis(60),
            token_ttl: Duration::from_secs(30),
            ..EmulatorConfig::default()
        },
    )
    .await;
    let home = tempfile::tempdir().expect("home");
    let _cleanup = KernelCleanup(h.account_key());
    let secret = "svc-e2e-secret-4f1d";
    let args = login_args(&h.client_id);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut cmd = on_a_server(h.command(&args), home.path());
    cmd.args(["--token-store", "kernel-keyring"])
        .env("BRIDGEKEEPER_CLIENT_SECRET", secret)
        .env("BRIDGEKEEPER_LOG", "debug");
    let mut login = Login::start(cmd).await;
    assert_eq!(login.authorize["paste"], json!(true), "{}", login.authorize);
    assert_eq!(login.authorize["tokenStore"], json!("kernel-keyring"));
    let url = login.url();
    assert!(
        url.query_pairs().all(|(k, _)| k != "code_challenge"),
        "the confidential code grant sends no PKCE challenge: {url}"
    );
    assert!(
        !login.cmdline().contains(secret),
        "the secret is not in argv"
    );
    h.register_client(&login.redirect_uri(), Some(secret)).await;

    // The browser runs elsewhere: its redirect never reaches this machine; the admin pastes it.
    let location = follow_authorize(&http(), &url).await;
    login.paste("not the address").await;
    login.paste(location.as_str()).await;
    let out = login.end().await;
    out.expect_code(0);
    assert!(
        out.stderr.contains("is not an address"),
        "a bad paste is explained: {out:?}"
    );
    assert!(
        out.stderr.contains("ssh -L"),
        "the tunnel is offered: {out:?}"
    );
    let session: Value = serde_json::from_str(out.stdout.trim()).expect("session JSON");
    assert_eq!(session["renewable"], json!(true), "{session}");
    assert_eq!(session["tokenStore"], json!("kernel-keyring"));
    for text in [&out.stdout, &out.stderr] {
        assert!(
            !text.contains(secret),
            "the secret is never logged: {out:?}"
        );
    }

    let store = KernelKeyringStore::new();
    let stored = store
        .load(&h.account_key())
        .expect("kernel keyring readable")
        .expect("the session is in the kernel keyring");
    let first_refresh = stored.refresh_token.clone().expect("a refresh token");
    assert_eq!(
        stored.client_secret.as_ref().map(|s| s.expose_secret()),
        Some(secret)
    );

    // Later commands resume from the kernel keyring and renew (the refresh token rotates).
    let who = on_a_server(h.command(&["whoami", "--json"]), home.path())
        .args(["--token-store", "kernel-keyring"])
        .output()
        .await
        .expect("whoami");
    assert_eq!(who.status.code(), Some(0), "{who:?}");
    let who: Value = serde_json::from_slice(&who.stdout).expect("whoami JSON");
    assert_eq!(who["tokenStore"], json!("kernel-keyring"));
    assert_eq!(who["renewable"], json!(true));
    let renewed = store
        .load(&h.account_key())
        .expect("readable")
        .expect("stored");
    assert_ne!(
        renewed.refresh_token.as_ref().map(|t| t.expose_secret()),
        Some(first_refresh.expose_secret()),
        "the renewed tokens were written back"
    );
    let refreshes = h
        .emu
        .world()
        .requests(0)
        .into_iter()
        .filter(|r| r.path == "/oauth/token")
        .count();
    assert!(refreshes >= 2, "code exchange then a refresh: {refreshes}");

    // The headless policy run signs in from the same stored session.
    let policy = h.data.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[[rule]]\nid = \"long-call\"\nwhen = \"on_call\"\nfor = \"1s\"\n",
    )
    .expect("policy");
    let run = on_a_server(
        h.command(&[
            "--json",
            "policy",
            "run",
            policy.to_str().expect("utf-8"),
            "--once",
            "--dry-run",
            "--queue",
            "Support",
        ]),
        home.path(),
    )
    .args(["--token-store", "kernel-keyring"])
    .output()
    .await
    .expect("policy run");
    assert_eq!(run.status.code(), Some(0), "{run:?}");

    // Nothing secret on disk: not in the data folder, not anywhere under the scratch home.
    let tokens = [
        secret.to_owned(),
        renewed.access_token.expose_secret().to_owned(),
        renewed
            .refresh_token
            .as_ref()
            .map(|t| t.expose_secret().to_owned())
            .expect("refresh"),
        first_refresh.expose_secret().to_owned(),
    ];
    for root in [h.data.path(), home.path()] {
        for (path, text) in files_under(root) {
            for t in &tokens {
                assert!(!text.contains(t.as_str()), "{path} holds a secret");
            }
        }
    }
    let log = serde_json::to_string(&h.emu.world().requests(0)).expect("log");
    assert!(!log.contains(secret), "the emulator's request log");

    let out = on_a_server(h.command(&["logout"]), home.path())
        .args(["--token-store", "kernel-keyring"])
        .output()
        .await
        .expect("logout");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("kernel keyring"),
        "{out:?}"
    );
    assert!(
        store.load(&h.account_key()).expect("readable").is_none(),
        "logout removes the kernel keyring entry"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Linux kernel keyring (keyctl): scripts/test.sh runs it with --include-ignored"]
async fn kernel_keyring_service_login_with_a_wrong_secret_is_refused_and_stores_nothing() {
    let h = Harness::start("wrong-secret").await;
    let home = tempfile::tempdir().expect("home");
    let _cleanup = KernelCleanup(h.account_key());
    let wrong = "svc-wrong-secret-77aa";
    let file = home.path().join("client-secret");
    std::fs::write(&file, format!("{wrong}\n")).expect("secret file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let args = login_args(&h.client_id);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut cmd = on_a_server(h.command(&args), home.path());
    // `auto` without a Secret Service: the kernel keyring, and the output says so.
    cmd.args(["--token-store", "auto", "--client-secret-file"])
        .arg(&file)
        .env("BRIDGEKEEPER_LOG", "debug");
    let login = Login::start(cmd).await;
    assert_eq!(login.authorize["tokenStore"], json!("kernel-keyring"));
    h.register_client(&login.redirect_uri(), Some("the-right-secret"))
        .await;
    // This time the redirect reaches the listener (an SSH tunnel, say).
    let location = follow_authorize(&http(), &login.url()).await;
    let (status, _) = deliver(&http(), &location).await;
    assert_eq!(status, 200);
    let out = login.end().await;
    out.expect_code(1);
    assert!(
        out.stderr.contains("no system keyring answered") && out.stderr.contains("kernel keyring"),
        "the fallback is said: {out:?}"
    );
    assert!(out.stderr.contains("invalid_client"), "{out:?}");
    assert!(out.stderr.contains("client secret is wrong"), "{out:?}");
    assert!(!out.stderr.contains(wrong) && !out.stdout.contains(wrong));
    let token_calls: Vec<u16> = h
        .emu
        .world()
        .requests(0)
        .into_iter()
        .filter(|r| r.path == "/oauth/token")
        .map(|r| r.status)
        .collect();
    assert_eq!(token_calls, [401], "refused the way the platform refuses");
    assert!(
        KernelKeyringStore::new()
            .load(&h.account_key())
            .expect("readable")
            .is_none(),
        "nothing is stored"
    );
}

#[tokio::test]
async fn service_login_needs_a_secret_and_a_store_that_works() {
    let h = Harness::start("no-secret").await;
    let home = tempfile::tempdir().expect("home");
    let args = login_args(&h.client_id);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = common::run_to_end(on_a_server(h.command(&args), home.path())).await;
    out.expect_code(1);
    assert!(out.stderr.contains("BRIDGEKEEPER_CLIENT_SECRET"), "{out:?}");
    assert!(out.stderr.contains("never on the command line"), "{out:?}");

    // The system keyring without a D-Bus session: the error names the server alternative.
    let mut cmd = on_a_server(
        h.command(&["whoami", "--client-id", &h.client_id]),
        home.path(),
    );
    cmd.args(["--token-store", "os-keyring"]);
    let out = common::run_to_end(cmd).await;
    out.expect_code(1);
    assert!(out.stderr.contains("keyring is unavailable"), "{out:?}");
    assert!(out.stderr.contains("kernel-keyring"), "{out:?}");
    assert_eq!(out.stderr.trim().lines().count(), 1, "{out:?}");
}

#[test]
fn the_service_unit_keeps_the_session_where_it_can_reach_it() {
    let unit = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../packaging/systemd/bridgekeeper-policy.service"),
    )
    .expect("the unit");
    let lines: Vec<&str> = unit.lines().map(str::trim).collect();
    assert!(
        lines.contains(&"Environment=BRIDGEKEEPER_TOKEN_STORE=kernel-keyring"),
        "the unit reads the session from the kernel keyring"
    );
    // keyctl is in @keyring, which @system-service includes; a private user namespace would
    // give the unit another, empty persistent keyring.
    assert!(lines.contains(&"SystemCallFilter=@system-service"));
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("PrivateUsers=") && !l.ends_with("no"))
    );
    assert!(
        !lines
            .iter()
            .any(|l| l.contains("@keyring") && l.contains('~'))
    );
}
