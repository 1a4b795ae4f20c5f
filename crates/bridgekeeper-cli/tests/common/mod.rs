//! Runs the built `bridgekeeper-cli` binary against the in-process emulator, the way an operator
//! or a script would: separate processes, real keyring, real loopback redirect.

#![allow(dead_code)] // Each test binary uses a different part of this harness.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use genesys_emulator::test_support::{ClientRequest, FaultSpec, deliver, follow_authorize};
use genesys_emulator::{EmulatorConfig, RunningEmulator};
use serde_json::Value;
use supervisor_core::auth::environment_label;
use supervisor_core::token_store::{AccountKey, KeyringStore, TokenStore};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;
use url::Url;

/// The binary with a scratch data folder and nothing inherited (no region, client, audit file,
/// log filter, or this machine's admin or user config.toml), for runs without the [`Harness`].
pub fn cli(data: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bridgekeeper-cli"));
    cmd.args(args)
        .env("BRIDGEKEEPER_DATA_DIR", data)
        .env_remove("BRIDGEKEEPER_REGION")
        .env_remove("BRIDGEKEEPER_API_BASE")
        .env_remove("BRIDGEKEEPER_CLIENT_ID")
        .env_remove("BRIDGEKEEPER_AUDIT_FILE")
        .env_remove("RUST_LOG")
        .env_remove("BRIDGEKEEPER_LOG")
        .env("BRIDGEKEEPER_SYSTEM_CONFIG", "")
        .env("BRIDGEKEEPER_USER_CONFIG", "")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// Every CLI run is bounded so a hang fails the test instead of CI.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// What one CLI run produced.
#[derive(Debug)]
pub struct Output {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Output {
    /// Stdout parsed as one JSON value (panics with both streams on failure).
    pub fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }

    /// Asserts the exit code, showing both streams when it differs.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "unexpected exit code: {self:?}");
        self
    }
}

/// An emulated org, a scratch data folder and one OAuth client for this test.
pub struct Harness {
    pub emu: RunningEmulator,
    pub data: tempfile::TempDir,
    pub client_id: String,
    http: reqwest::Client,
    signed_in: bool,
}

impl Harness {
    /// Starts the demo org with a short patch delay (actions apply quickly).
    pub async fn start(tag: &str) -> Self {
        Self::with_config(
            tag,
            EmulatorConfig {
                patch_delay: Duration::from_millis(60),
                ..EmulatorConfig::default()
            },
        )
        .await
    }

    /// Starts an emulator with `config`.
    pub async fn with_config(tag: &str, config: EmulatorConfig) -> Self {
        let emu = genesys_emulator::start(config)
            .await
            .expect("emulator starts");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(20))
            .build()
            .expect("http client");
        Self {
            emu,
            data: tempfile::tempdir().expect("scratch dir"),
            client_id: format!("cli-{tag}-{}", uuid_like()),
            http,
            signed_in: false,
        }
    }

    /// The audit log this harness's CLI runs write to.
    pub fn audit_file(&self) -> PathBuf {
        self.data.path().join("audit.jsonl")
    }

    /// A command for the binary: scratch data folder, this emulator, no inherited settings.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_bridgekeeper-cli"));
        cmd.args(["--api-base", &self.emu.base_url()])
            .args(args)
            .env("BRIDGEKEEPER_DATA_DIR", self.data.path())
            .env_remove("BRIDGEKEEPER_REGION")
            .env_remove("BRIDGEKEEPER_API_BASE")
            .env_remove("BRIDGEKEEPER_CLIENT_ID")
            .env_remove("BRIDGEKEEPER_AUDIT_FILE")
            .env_remove("RUST_LOG")
            .env_remove("BRIDGEKEEPER_LOG")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    /// Runs the CLI to completion (stdin empty, not a terminal).
    pub async fn run(&self, args: &[&str]) -> Output {
        run_to_end(self.command(args)).await
    }

    /// Runs the CLI with `input` on stdin.
    pub async fn run_with_stdin(&self, args: &[&str], input: &str) -> Output {
        let mut cmd = self.command(args);
        cmd.stdin(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn cli");
        {
            use tokio::io::AsyncWriteExt;
            let mut stdin = child.stdin.take().expect("stdin");
            stdin
                .write_all(input.as_bytes())
                .await
                .expect("write stdin");
        }
        collect(child).await
    }

    /// Registers an OAuth client through the control plane (the demo client only knows port
    /// 8765; tests use a random port).
    pub async fn register_client(&self, redirect_uri: &str, secret: Option<&str>) {
        self.emu
            .control()
            .register_client(&ClientRequest::loopback(
                &self.client_id,
                redirect_uri,
                secret,
            ))
            .await;
    }

    /// Adds a fault through the control plane.
    pub async fn fault(&self, fault: &FaultSpec) {
        self.emu.control().fault(fault).await;
    }

    /// A whole `login --no-browser` as an operator does it: read the printed address, let the
    /// "browser" (reqwest, no redirect following) visit it and deliver the redirect to the
    /// loopback port. Returns the second JSON line (the session).
    pub async fn login(&mut self, login_hint: Option<&str>) -> Value {
        self.login_with(login_hint, None).await
    }

    /// [`Harness::login`], optionally as a confidential client whose secret goes in on stdin.
    pub async fn login_with(&mut self, login_hint: Option<&str>, secret: Option<&str>) -> Value {
        let mut args = vec![
            "--json",
            "login",
            "--client-id",
            &self.client_id,
            "--no-browser",
            "--redirect-port",
            "0",
            "--timeout",
            "30",
        ];
        if let Some(hint) = login_hint {
            args.extend(["--login-hint", hint]);
        }
        if secret.is_some() {
            args.push("--client-secret-stdin");
        }
        let client_id = self.client_id.clone();
        let mut cmd = self.command(&args);
        if secret.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd.spawn().expect("spawn login");
        if let Some(secret) = secret {
            use tokio::io::AsyncWriteExt;
            let mut stdin = child.stdin.take().expect("stdin");
            stdin
                .write_all(format!("{secret}\n").as_bytes())
                .await
                .expect("write the secret");
        }
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(RUN_TIMEOUT, lines.next_line())
            .await
            .expect("login prints the address in time")
            .expect("read stdout");
        let Some(first) = first else {
            let out = collect(child).await;
            panic!("login printed nothing: {out:?}");
        };
        let authorize: Value = serde_json::from_str(&first).expect("first line is JSON");
        let url = Url::parse(authorize["authorizeUrl"].as_str().expect("authorizeUrl"))
            .expect("authorize URL");
        let redirect_uri = authorize["redirectUri"].as_str().expect("redirectUri");
        assert!(
            redirect_uri.starts_with("http://localhost:"),
            "{redirect_uri}"
        );
        assert!(url.as_str().starts_with(&self.emu.base_url()), "{url}");
        assert_eq!(
            url.query_pairs()
                .find(|(k, _)| k == "client_id")
                .map(|(_, v)| v.into_owned()),
            Some(client_id)
        );
        self.register_client(redirect_uri, secret).await;

        // The browser: the login host answers with a redirect to the loopback listener.
        let location = follow_authorize(&self.http, &url).await;
        assert!(location.as_str().starts_with(redirect_uri), "{location}");
        let (status, page) = deliver(&self.http, &location).await;
        assert_eq!(status, 200, "{page}");

        let second = tokio::time::timeout(RUN_TIMEOUT, lines.next_line())
            .await
            .expect("login finishes in time")
            .expect("read stdout")
            .expect("a second line");
        let mut rest = String::new();
        while let Ok(Some(line)) = lines.next_line().await {
            rest.push_str(&line);
        }
        let status = tokio::time::timeout(RUN_TIMEOUT, child.wait())
            .await
            .expect("login exits")
            .expect("wait");
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err).await;
        }
        assert_eq!(status.code(), Some(0), "login failed: {err}");
        assert!(
            rest.is_empty(),
            "unexpected output after the session: {rest}"
        );
        self.signed_in = true;
        serde_json::from_str(&second).expect("second line is JSON")
    }

    /// The emulator's truth about a conversation.
    pub fn truth(&self, conversation_id: &str) -> Value {
        self.emu
            .world()
            .conversation(conversation_id)
            .expect("conversation exists")
    }

    /// The keyring account of this harness's client on this emulator.
    pub fn account_key(&self) -> AccountKey {
        let env = genesys_client::Environment::custom(&self.emu.base_url()).expect("env");
        AccountKey::new(&environment_label(&env), &self.client_id).expect("key")
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        // Never leave a session in the keyring, whatever the test did.
        if self.signed_in {
            let _ = KeyringStore::new().delete(&self.account_key());
        }
    }
}

/// Runs `cmd` with empty stdin and collects everything.
pub async fn run_to_end(mut cmd: Command) -> Output {
    let child = cmd.spawn().expect("spawn cli");
    collect(child).await
}

async fn collect(child: tokio::process::Child) -> Output {
    let out = tokio::time::timeout(RUN_TIMEOUT, child.wait_with_output())
        .await
        .expect("the CLI finishes in time")
        .expect("wait for the CLI");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A short unique suffix without pulling in a UUID crate for tests.
fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{}-{:x}-{}",
        std::process::id(),
        nanos,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A path that certainly does not exist inside `dir`.
pub fn missing_file(dir: &Path) -> PathBuf {
    dir.join("no-such-dir").join("audit.jsonl")
}
