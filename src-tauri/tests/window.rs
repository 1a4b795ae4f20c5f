//! End to end in a real window: the built app (`--demo`) under Xvfb, driven through tauri-driver and
//! WebKitWebDriver like a supervisor would use it. Sign in to the demo org, choose a queue, drop one
//! party of a 3-party conference and see it confirmed with the others still on the call (checked in
//! the window and against the emulator's truth); the same by keyboard only; a refused drop and a
//! not-confirmed (phantom) drop from emulator faults. A screenshot of the board is saved as an artifact.
//!
//! Runs when `BRIDGEKEEPER_WINDOW_TESTS=1` (the README test command sets it and provides Xvfb,
//! tauri-driver, WebKitWebDriver and a D-Bus session with an unlocked keyring); otherwise it says why
//! it did not run. Every process it starts is ended by a guard, and every wait is bounded.

mod webdriver;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use webdriver::{Session, keys};

/// How long any single UI expectation may take (the drop itself confirms in well under a second).
const UI_WAIT: Duration = Duration::from_secs(30);

/// A child process ended with SIGTERM (then SIGKILL) when the guard drops, also on panic.
struct Proc {
    name: &'static str,
    child: Child,
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
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn find_tool(name: &str) -> Option<PathBuf> {
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

/// Starts Xvfb on a display it picks itself (`-displayfd`), so parallel runs never collide.
fn start_xvfb() -> (Proc, String) {
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

fn start_driver(display: &str, scratch: &Path) -> (Proc, String) {
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

async fn wait_for_driver(http: &reqwest::Client, base: &str) {
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
struct Emulator {
    http: reqwest::Client,
    base: String,
}

impl Emulator {
    async fn get(&self, path: &str) -> Value {
        let r = self
            .http
            .get(format!("{}/_emulator{path}", self.base))
            .send()
            .await
            .expect("emulator answers");
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json().await.expect("JSON")
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}/_emulator{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("emulator answers");
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        assert!(status.is_success(), "POST {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// A new live 3-party conference on `queue`: a customer, `agent`, and an outside consultant.
    async fn conference(&self, queue: &str, agent: &str, tag: &str) -> (String, Value) {
        let created = self
            .post(
                "/conversations",
                json!({
                    "queueId": queue,
                    "parties": [
                        { "purpose": "customer", "name": format!("Customer {tag}"), "address": "tel:+15550100" },
                        { "purpose": "agent", "userId": agent },
                        { "purpose": "external", "name": format!("Consultant {tag}"), "address": "tel:+15550199" },
                    ],
                }),
            )
            .await;
        let id = created["id"].as_str().expect("conversation id").to_owned();
        (id, created)
    }

    /// The participant id of the party whose name is `name` in the emulator's truth.
    async fn participant(&self, conversation: &str, name: &str) -> String {
        let truth = self.get(&format!("/conversations/{conversation}")).await;
        truth["participants"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == json!(name)))
            .and_then(|p| p["id"].as_str())
            .unwrap_or_else(|| panic!("no party {name} in {truth}"))
            .to_owned()
    }

    /// (name, state) of every non-ACD party in the emulator's truth.
    async fn parties(&self, conversation: &str) -> Vec<(String, String)> {
        let truth = self.get(&format!("/conversations/{conversation}")).await;
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

fn row(conversation: &str, name: &str) -> String {
    format!(
        "//tbody[@data-conversation-id='{conversation}']/tr[contains(@class,'party')][th[starts-with(normalize-space(.), '{name}')]]"
    )
}

/// The `data-status` of every party row of a call in the window, by name.
async fn board_parties(s: &Session, conversation: &str) -> Vec<(String, String)> {
    let script = "const [id] = arguments;
        const body = document.querySelector(`tbody[data-conversation-id='${id}']`);
        if (!body) return [];
        return [...body.querySelectorAll('tr.party')].map((tr) => {
          const th = tr.querySelector('th');
          const note = th.querySelector('.leg-note');
          const name = (th.firstChild && th.firstChild.textContent || '').trim();
          return [name, tr.dataset.status, note ? note.textContent : ''];
        });";
    let value = s
        .execute(script, json!([conversation]))
        .await
        .expect("board probe");
    value
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap_or("").to_owned(),
                r[1].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn artifacts_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("artifacts");
    std::fs::create_dir_all(&dir).expect("artifacts folder");
    dir
}

/// The accessible name of whatever has keyboard focus (a probe: the flow itself only presses keys).
async fn focused(s: &Session) -> String {
    s.execute(
        "const e = document.activeElement; return e ? (e.getAttribute('aria-label') || e.textContent || '').trim() : '';",
        json!([]),
    )
    .await
    .expect("focus probe")
    .as_str()
    .unwrap_or("")
    .to_owned()
}

/// Tabs forward until the focused control's accessible name is `name` (bounded).
async fn tab_to(s: &Session, name: &str, max: usize) {
    for _ in 0..max {
        if focused(s).await == name {
            return;
        }
        s.press(&[keys::TAB]).await.expect("Tab");
    }
    panic!(
        "Tab never reached '{name}' in {max} presses (focus on '{}')",
        focused(s).await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_window_sign_in_choose_queue_drop_by_mouse_and_keyboard_refused_and_phantom() {
    if std::env::var("BRIDGEKEEPER_WINDOW_TESTS").as_deref() != Ok("1") {
        eprintln!(
            "real-window test not run: set BRIDGEKEEPER_WINDOW_TESTS=1 (./scripts/test.sh does, with Xvfb, tauri-driver and a D-Bus session)"
        );
        return;
    }
    let scratch = Scratch(std::env::temp_dir().join(format!(
        "bk-window-{}-{}",
        std::process::id(),
        free_port()
    )));
    for dir in ["data", "config", "cache"] {
        std::fs::create_dir_all(scratch.0.join(dir)).expect("scratch folders");
    }
    let (_xvfb, display) = start_xvfb();
    let (_driver, driver_url) = start_driver(&display, &scratch.0);
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client");
    wait_for_driver(&http, &driver_url).await;

    let app = env!("CARGO_BIN_EXE_bridgekeeper");
    let launched = Instant::now();
    let s = Session::start(
        &driver_url,
        json!({ "tauri:options": { "application": app, "args": ["--demo"] } }),
    )
    .await
    .unwrap_or_else(|e| {
        let log = std::fs::read_to_string(scratch.0.join("driver.log")).unwrap_or_default();
        panic!("no WebDriver session: {e}\n--- driver log ---\n{log}")
    });

    let result = flows(&s, &http, launched).await;
    // Always try to leave a picture of where the window was, pass or fail.
    if let Ok(png) = s.screenshot().await {
        let name = if result.is_ok() {
            "window-final.png"
        } else {
            "window-failure.png"
        };
        let _ = std::fs::write(artifacts_dir().join(name), png);
    }
    let _ = s.close().await;
    if let Err(message) = result {
        let log = std::fs::read_to_string(scratch.0.join("driver.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        panic!(
            "{message}\n--- driver and app log (last lines) ---\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
}

/// The flows, returning the first failure as text so the caller can still screenshot and clean up.
async fn flows(s: &Session, http: &reqwest::Client, launched: Instant) -> Result<(), String> {
    let e = |e: webdriver::WdError| e.to_string();

    // --- sign in to the demo org, like a newcomer --------------------------------------------------
    let demo = s
        .wait_for(
            "//button[normalize-space()='Try the demo organisation']",
            UI_WAIT,
        )
        .await
        .map_err(e)?;
    eprintln!(
        "window test: sign-in screen after {} ms",
        launched.elapsed().as_millis()
    );
    let info = s
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.__TAURI_INTERNALS__.invoke('app_info').then(done, (err) => done({ error: err }));",
            json!([]),
        )
        .await
        .map_err(e)?;
    let base = info["demo"]["baseUrl"]
        .as_str()
        .ok_or_else(|| format!("app_info names no demo org: {info}"))?
        .to_owned();
    let emulator = Emulator {
        http: http.clone(),
        base,
    };
    // Our own calls only: no background churn, so the flows are deterministic.
    emulator.post("/churn", json!({ "perMinute": 0 })).await;
    s.click(&demo).await.map_err(e)?;

    // --- choose a queue ---------------------------------------------------------------------------
    let queues = emulator.get("/queues").await;
    let users = emulator.get("/users").await;
    let queue = queues["entities"]
        .as_array()
        .and_then(|q| q.first())
        .cloned()
        .ok_or("the demo org has no queue")?;
    let queue_id = queue["id"].as_str().ok_or("queue id")?.to_owned();
    let queue_name = queue["name"].as_str().ok_or("queue name")?.to_owned();
    let agent = users["entities"]
        .as_array()
        .and_then(|us| {
            us.iter()
                .find(|u| u["email"].as_str().is_some_and(|m| m.starts_with("agent")))
        })
        .and_then(|u| u["id"].as_str())
        .ok_or("the demo org has no agent")?
        .to_owned();
    let checkbox = s
        .wait_for(
            &format!("//label[contains(@class,'check')][normalize-space()='{queue_name}']/input"),
            UI_WAIT,
        )
        .await
        .map_err(e)?;
    s.click(&checkbox).await.map_err(e)?;
    let show = s
        .wait_for("//button[normalize-space()='Show live calls']", UI_WAIT)
        .await
        .map_err(e)?;
    s.click(&show).await.map_err(e)?;
    s.wait_for(
        "//*[@data-testid='connection-status'][contains(@class,'connection-live')]",
        UI_WAIT,
    )
    .await
    .map_err(e)?;
    eprintln!(
        "window test: live board after {} ms",
        launched.elapsed().as_millis()
    );

    // --- drop by mouse: the consultant of a 3-party conference ----------------------------------
    let (conv, _) = emulator.conference(&queue_id, &agent, "Mouse").await;
    s.wait_for(&row(&conv, "Consultant Mouse"), UI_WAIT)
        .await
        .map_err(e)?;
    let drop_button = s
        .wait_for("//button[@aria-label='Drop Consultant Mouse']", UI_WAIT)
        .await
        .map_err(e)?;
    s.click(&drop_button).await.map_err(e)?;
    let dialog = s
        .wait_for(
            "//dialog[@open]//*[contains(normalize-space(.), 'Still on the call afterwards')]",
            UI_WAIT,
        )
        .await
        .map_err(e)?;
    let plan_text = s.text(&dialog).await.map_err(e)?;
    if !(plan_text.contains("Customer Mouse")) {
        return Err(format!("the dialog does not name who remains: {plan_text}"));
    }
    let confirm = s
        .wait_for(
            "//dialog[@open]//button[normalize-space()='Drop Consultant Mouse']",
            UI_WAIT,
        )
        .await
        .map_err(e)?;
    s.click(&confirm).await.map_err(e)?;
    let outcome = s
        .wait_for(
            "//dialog[@open]//*[contains(normalize-space(.), 'Consultant Mouse was dropped: confirmed in')]",
            UI_WAIT,
        )
        .await
        .map_err(e)?;
    eprintln!(
        "window test: mouse drop outcome: {}",
        s.text(&outcome).await.map_err(e)?
    );
    expect_dropped(s, &emulator, &conv, "Consultant Mouse").await?;
    // Saved for the docs and as the run's artifact: the board right after a confirmed drop.
    let close = s
        .wait_for(
            "//dialog[@open]//button[normalize-space()='Close']",
            UI_WAIT,
        )
        .await
        .map_err(e)?;
    s.click(&close).await.map_err(e)?;
    s.wait_gone("//dialog[@open]", UI_WAIT).await.map_err(e)?;
    let png = s.screenshot().await.map_err(e)?;
    std::fs::write(artifacts_dir().join("board.png"), png).map_err(|e| e.to_string())?;

    // --- the same by keyboard only ----------------------------------------------------------------
    let (conv, _) = emulator.conference(&queue_id, &agent, "Keys").await;
    s.wait_for("//button[@aria-label='Drop Consultant Keys']", UI_WAIT)
        .await
        .map_err(e)?;
    tab_to(s, "Drop Consultant Keys", 600).await;
    s.press(&[keys::ENTER]).await.map_err(e)?;
    s.wait_for(
        "//dialog[@open]//*[contains(normalize-space(.), 'Still on the call afterwards')]",
        UI_WAIT,
    )
    .await
    .map_err(e)?;
    // The dialog opens on Cancel (the safe default); the drop is one Tab away.
    if focused(s).await != "Cancel" {
        return Err(format!(
            "the dialog did not take focus on Cancel (focus on '{}')",
            focused(s).await
        ));
    }
    tab_to(s, "Drop Consultant Keys", 5).await;
    s.press(&[keys::ENTER]).await.map_err(e)?;
    s.wait_for(
        "//dialog[@open]//*[contains(normalize-space(.), 'Consultant Keys was dropped: confirmed in')]",
        UI_WAIT,
    )
    .await
    .map_err(e)?;
    // Announced for screen readers, not only drawn.
    s.wait_for(
        "//*[@data-testid='announcer'][contains(normalize-space(.), 'Consultant Keys was dropped: confirmed')]",
        UI_WAIT,
    )
    .await
    .map_err(e)?;
    expect_dropped(s, &emulator, &conv, "Consultant Keys").await?;
    if focused(s).await != "Close" {
        s.wait_for(
            "//dialog[@open]//button[normalize-space()='Close']",
            UI_WAIT,
        )
        .await
        .map_err(e)?;
    }
    tab_to(s, "Close", 5).await;
    s.press(&[keys::SPACE]).await.map_err(e)?;
    s.wait_gone("//dialog[@open]", UI_WAIT).await.map_err(e)?;
    // The dropped party's button is gone with its leg, so focus lands on the board heading.
    let after = focused(s).await;
    if after != "Live calls" {
        return Err(format!(
            "focus did not return to the board after the dialog (on '{after}')"
        ));
    }

    // --- refused: the platform answers 403 to the drop -------------------------------------------
    let (conv, _) = emulator.conference(&queue_id, &agent, "Refused").await;
    let target = emulator.participant(&conv, "Consultant Refused").await;
    emulator
        .post(
            "/faults",
            json!({
                "kind": "server_error",
                "status": 403,
                "count": 1,
                "pathPrefix": format!("/api/v2/conversations/calls/{conv}/participants/{target}"),
            }),
        )
        .await;
    drop_via_dialog(s, "Consultant Refused").await?;
    let refused = s
        .wait_for(
            "//dialog[@open]//*[contains(@class,'notice-danger')][contains(normalize-space(.), 'Refused:')]",
            UI_WAIT,
        )
        .await
        .map_err(e)?;
    let refused_text = s.text(&refused).await.map_err(e)?;
    if !refused_text.contains("Correlation id") {
        return Err(format!("a refusal shows no correlation id: {refused_text}"));
    }
    let still = emulator.parties(&conv).await;
    if !still.iter().all(|(_, state)| state == "connected") {
        return Err(format!("a refused drop changed the call: {still:?}"));
    }
    close_dialog(s).await?;

    // --- not confirmed: a phantom drop (202, nothing changes) ------------------------------------
    let (conv, _) = emulator.conference(&queue_id, &agent, "Phantom").await;
    let target = emulator.participant(&conv, "Consultant Phantom").await;
    emulator
        .post(
            "/faults",
            json!({ "kind": "phantom_drop", "participantId": target }),
        )
        .await;
    drop_via_dialog(s, "Consultant Phantom").await?;
    let phantom = s
        .wait_for(
            "//dialog[@open]//*[contains(normalize-space(.), 'Not confirmed: Consultant Phantom is still on the line')]",
            Duration::from_secs(60),
        )
        .await
        .map_err(e)?;
    eprintln!(
        "window test: phantom outcome: {}",
        s.text(&phantom).await.map_err(e)?
    );
    s.wait_for(
        "//dialog[@open]//button[normalize-space()='Try again']",
        UI_WAIT,
    )
    .await
    .map_err(e)?;
    let rows = board_parties(s, &conv).await;
    if !rows
        .iter()
        .any(|(n, st)| n == "Consultant Phantom" && st == "live")
    {
        return Err(format!(
            "the phantom leg is not shown live on the board: {rows:?}"
        ));
    }
    close_dialog(s).await?;
    Ok(())
}

async fn drop_via_dialog(s: &Session, name: &str) -> Result<(), String> {
    let e = |e: webdriver::WdError| e.to_string();
    let button = s
        .wait_for(&format!("//button[@aria-label='Drop {name}']"), UI_WAIT)
        .await
        .map_err(e)?;
    s.click(&button).await.map_err(e)?;
    let confirm = s
        .wait_for(
            &format!("//dialog[@open]//button[normalize-space()='Drop {name}']"),
            UI_WAIT,
        )
        .await
        .map_err(e)?;
    s.click(&confirm).await.map_err(e)
}

async fn close_dialog(s: &Session) -> Result<(), String> {
    let e = |e: webdriver::WdError| e.to_string();
    let close = s
        .wait_for(
            "//dialog[@open]//button[normalize-space()='Close']",
            UI_WAIT,
        )
        .await
        .map_err(e)?;
    s.click(&close).await.map_err(e)?;
    s.wait_gone("//dialog[@open]", UI_WAIT).await.map_err(e)
}

/// The dropped party is ended in the window and in the emulator; the other two are still connected.
async fn expect_dropped(
    s: &Session,
    emulator: &Emulator,
    conversation: &str,
    dropped: &str,
) -> Result<(), String> {
    let truth = emulator.parties(conversation).await;
    for (name, state) in &truth {
        let want = if name == dropped {
            "disconnected"
        } else {
            "connected"
        };
        if state != want {
            return Err(format!(
                "emulator truth after dropping {dropped}: {name} is {state}, want {want} ({truth:?})"
            ));
        }
    }
    let deadline = Instant::now() + UI_WAIT;
    loop {
        let rows = board_parties(s, conversation).await;
        let dropped_ended = rows.iter().any(|(n, st)| n == dropped && st != "live");
        let others_live = rows
            .iter()
            .filter(|(n, _)| n != dropped && !n.is_empty())
            .filter(|(n, _)| truth.iter().any(|(t, _)| t == n))
            .all(|(_, st)| st == "live");
        let others_count = rows
            .iter()
            .filter(|(n, st)| n != dropped && st == "live")
            .count();
        if dropped_ended && others_live && others_count >= 2 {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "the board does not show {dropped} gone and the others live: {rows:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
