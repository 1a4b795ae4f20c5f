//! Xvfb on a free display, tauri-driver with throwaway app folders, process guards that always end
//! what they started, and the demo emulator's control plane.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use genesys_emulator::test_support::{ControlClient, NewCallRequest, PartyRequest};
use serde_json::{Value, json};

/// A child process ended with SIGTERM (then SIGKILL) when the guard drops, also on panic.
pub struct Proc {
    /// For the message when it will not stop.
    pub name: &'static str,
    /// The process.
    pub child: Child,
}

impl Drop for Proc {
    fn drop(&mut self) {
        // SIGTERM first: tauri-driver then ends WebKitWebDriver instead of orphaning it.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("window test: {} ignored SIGTERM; killing it", self.name);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A scratch folder for the app's data, config and cache, removed at the end.
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// A fresh folder with the app's `data`, `config` and `cache` folders in it.
    pub fn new(tag: &str) -> Self {
        let scratch = Self(std::env::temp_dir().join(format!(
            "bk-{tag}-{}-{}",
            std::process::id(),
            free_port()
        )));
        for dir in ["data", "config", "cache"] {
            std::fs::create_dir_all(scratch.0.join(dir)).expect("scratch folders");
        }
        scratch
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A loopback port nobody listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A program on PATH or in cargo's bin folder.
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|p| p.join("bin").join(name));
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    on_path.or(cargo_bin.filter(|p| p.is_file()))
}

/// The environment variable naming the app binary to launch instead of the one cargo built, so the
/// same tests can drive an installed package (`/usr/bin/bridgekeeper`) as well as the build.
pub const APP_BINARY_ENV: &str = "BRIDGEKEEPER_APP_BINARY";

/// The app binary to launch: `$BRIDGEKEEPER_APP_BINARY` when set, else `built` (cargo's own binary).
/// A named binary that is not an executable file panics with the variable and path in the message.
pub fn app_binary(built: &str) -> PathBuf {
    let Some(named) = std::env::var_os(APP_BINARY_ENV).filter(|v| !v.is_empty()) else {
        return PathBuf::from(built);
    };
    let path = PathBuf::from(named);
    let executable = std::fs::metadata(&path).is_ok_and(|m| m.is_file() && is_executable(&m));
    assert!(
        executable,
        "{APP_BINARY_ENV}={} is not an executable file",
        path.display()
    );
    path
}

#[cfg(unix)]
fn is_executable(m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    m.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &std::fs::Metadata) -> bool {
    true
}

/// Starts Xvfb on a display it picks itself (`-displayfd`), so parallel runs never collide.
pub fn start_xvfb() -> (Proc, String) {
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb starts (apt-get install xvfb)");
    let stdout = child.stdout.take().expect("Xvfb's stdout");
    let proc = Proc {
        name: "Xvfb",
        child,
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(15))
        .expect("Xvfb reports its display within 15 s");
    let display = format!(":{}", line.trim());
    assert!(display.len() > 1, "Xvfb reported no display number");
    (proc, display)
}

/// A PNG of the whole X `display` (ImageMagick's `import`), as the user would see the screen; also
/// works where WebKitWebDriver's page screenshot waits forever (the first screen right after launch).
pub fn screenshot_display(display: &str) -> Result<Vec<u8>, String> {
    let out = Command::new("import")
        .args(["-display", display, "-window", "root", "png:-"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("import (apt-get install imagemagick) does not start: {e}"))?;
    if !out.status.success() || !out.stdout.starts_with(b"\x89PNG") {
        return Err(format!(
            "import could not capture {display} ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}

/// Starts tauri-driver for `display`, with the app's folders under `scratch`; returns its URL.
pub fn start_driver(display: &str, scratch: &Path) -> (Proc, String) {
    let driver = find_tool("tauri-driver")
        .expect("tauri-driver is installed (cargo install tauri-driver --version '^2' --locked)");
    assert!(
        find_tool("WebKitWebDriver").is_some(),
        "WebKitWebDriver is installed (apt-get install webkit2gtk-driver)"
    );
    let (port, native_port) = (free_port(), free_port());
    let log = std::fs::File::create(scratch.join("driver.log")).expect("driver log");
    let child = Command::new(driver)
        .args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native_port.to_string(),
        ])
        .env("DISPLAY", display)
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
        // The app's own folders are throwaway; the keyring is the session's (D-Bus), also throwaway.
        .env("XDG_DATA_HOME", scratch.join("data"))
        .env("XDG_CONFIG_HOME", scratch.join("config"))
        .env("XDG_CACHE_HOME", scratch.join("cache"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log handle"))
        .stderr(log)
        .spawn()
        .expect("tauri-driver starts");
    (
        Proc {
            name: "tauri-driver",
            child,
        },
        format!("http://127.0.0.1:{port}"),
    )
}

/// Waits (bounded) until tauri-driver answers.
pub async fn wait_for_driver(http: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = http.get(format!("{base}/status")).send().await
            && r.status().is_success()
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "tauri-driver did not answer within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The demo emulator's control plane, reached at the address the app reports over its own IPC.
pub struct Emulator {
    /// The typed control-plane client of that emulator.
    pub control: ControlClient,
}

impl Emulator {
    /// The demo org of the app in the session, at the address the app reports over its own IPC.
    pub async fn of_app(
        s: &crate::webdriver::Session,
        http: &reqwest::Client,
    ) -> Result<Self, String> {
        let info = s
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 window.__TAURI_INTERNALS__.invoke('app_info').then(done, (err) => done({ error: err }));",
                json!([]),
            )
            .await
            .map_err(|e| e.to_string())?;
        let base = info["demo"]["baseUrl"]
            .as_str()
            .ok_or_else(|| format!("app_info names no demo org: {info}"))?;
        Ok(Self {
            control: ControlClient::with_http(http.clone(), base),
        })
    }

    /// A new live 3-party conference on `queue`: a customer, `agent`, and an outside consultant.
    pub async fn conference(&self, queue: &str, agent: &str, tag: &str) -> (String, Value) {
        let party = |purpose: &str, name: Option<String>, address: Option<&str>| PartyRequest {
            purpose: purpose.into(),
            name,
            address: address.map(str::to_owned),
            ..PartyRequest::default()
        };
        let created = self
            .control
            .create_call(&NewCallRequest {
                queue_id: Some(queue.to_owned()),
                parties: vec![
                    party(
                        "customer",
                        Some(format!("Customer {tag}")),
                        Some("tel:+15550100"),
                    ),
                    PartyRequest {
                        user_id: Some(agent.to_owned()),
                        ..party("agent", None, None)
                    },
                    party(
                        "external",
                        Some(format!("Consultant {tag}")),
                        Some("tel:+15550199"),
                    ),
                ],
            })
            .await;
        let id = created["id"].as_str().expect("conversation id").to_owned();
        (id, created)
    }

    /// The participant id of the party whose name is `name` in the emulator's truth.
    pub async fn participant(&self, conversation: &str, name: &str) -> String {
        let truth = self.control.conversation(conversation).await;
        truth["participants"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == json!(name)))
            .and_then(|p| p["id"].as_str())
            .unwrap_or_else(|| panic!("no party {name} in {truth}"))
            .to_owned()
    }

    /// (name, state) of every non-ACD party in the emulator's truth.
    pub async fn parties(&self, conversation: &str) -> Vec<(String, String)> {
        let truth = self.control.conversation(conversation).await;
        truth["participants"]
            .as_array()
            .expect("participants")
            .iter()
            .filter(|p| p["purpose"] != json!("acd"))
            .map(|p| {
                let state = p["calls"][0]["state"]
                    .as_str()
                    .or_else(|| p["state"].as_str())
                    .unwrap_or("?");
                (
                    p["name"].as_str().unwrap_or("?").to_owned(),
                    state.to_owned(),
                )
            })
            .collect()
    }
}
