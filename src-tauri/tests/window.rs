//! End to end in a real window: the built app (`--demo`) under Xvfb, driven through tauri-driver and
//! WebKitWebDriver like a supervisor would use it. Sign in to the demo org, choose a queue, drop one
//! party of a 3-party conference and see it confirmed with the others still on the call (checked in
//! the window and against the emulator's truth); the same by keyboard only; a refused drop and a
//! not-confirmed (phantom) drop from emulator faults; a mute by keyboard shortcut (find, →, m, confirm);
//! the policy page, whose dry-run preview lists the phantom leg and whose enforce switch asks first.
//! The window's accessibility tree is read over AT-SPI (`atspi_tree.py`) on the sign-in screen and the
//! board: one web document, every button and field named, every heading shown. A screenshot of the
//! board is saved as an artifact.
//!
//! Ignored by a plain `cargo test`; the README test command runs it (`--include-ignored`) with Xvfb,
//! tauri-driver, WebKitWebDriver and a D-Bus session with an unlocked keyring, and a missing piece
//! fails it. Every process it starts is ended by a guard, and every wait is bounded.
//!
//! One file (over 600 lines): one real window runs the flows in order (a window start costs seconds),
//! and the helpers below serve only them.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bridgekeeper_desktop_testkit::harness::{
    Emulator, Proc, Scratch, start_driver, start_xvfb, wait_for_driver,
};
use genesys_emulator::FaultSpec;

use bridgekeeper_desktop_testkit::webdriver::{self, Session, keys};
use serde_json::json;

/// How long any single UI expectation may take (the drop itself confirms in well under a second).
const UI_WAIT: Duration = Duration::from_secs(30);

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
        "const e = document.activeElement;
         if (!e) return '';
         const label = e.labels && e.labels.length > 0 ? e.labels[0].textContent : '';
         return (e.getAttribute('aria-label') || label || e.textContent || '').trim();",
        json!([]),
    )
    .await
    .expect("focus probe")
    .as_str()
    .unwrap_or("")
    .to_owned()
}

/// Waits for a confirmation dialog (`shown` is in it), checks that it opened on Cancel (the safe
/// default), then Tabs to `confirm` and presses Enter, as a keyboard user would.
async fn confirm_by_keyboard(s: &Session, shown: &str, confirm: &str) -> Result<(), String> {
    s.wait_for(shown, UI_WAIT)
        .await
        .map_err(|e| e.to_string())?;
    if focused(s).await != "Cancel" {
        return Err(format!(
            "the dialog for '{confirm}' did not open on Cancel (focus on '{}')",
            focused(s).await
        ));
    }
    tab_to(s, confirm, 5).await;
    s.press(&[keys::ENTER]).await.map_err(|e| e.to_string())
}

/// The DOM id of whatever has keyboard focus (call headers and party rows carry one).
async fn focused_id(s: &Session) -> String {
    s.execute(
        "return document.activeElement ? document.activeElement.id : '';",
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

/// WebDriver key codes the flows press beyond the testkit's (W3C WebDriver, "keyboard actions").
const ARROW_LEFT: &str = "\u{E012}";
const ARROW_RIGHT: &str = "\u{E014}";

/// The AT-SPI registry for this D-Bus session, so the app's window exposes its accessibility tree.
/// A missing launcher fails the test (it is part of what the README test command installs).
fn start_atspi_bus() -> Proc {
    let launcher = [
        "/usr/libexec/at-spi-bus-launcher",
        "/usr/lib/at-spi2-core/at-spi-bus-launcher",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
    .expect("no at-spi-bus-launcher: install at-spi2-core (scripts/lib.sh does)");
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no D-Bus session: run this test from scripts/test.sh, which provides one"
    );
    let child = Command::new(launcher)
        .arg("--launch-immediately")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start at-spi-bus-launcher");
    Proc {
        name: "at-spi-bus-launcher",
        child,
    }
}

/// One node of the window's accessibility tree, as `atspi_tree.py` prints it.
#[derive(serde::Deserialize, Debug)]
struct AxNode {
    role: String,
    name: String,
}

/// The app's accessibility tree through AT-SPI, read with Debian's Python and its GObject bindings.
fn atspi_tree() -> Result<Vec<AxNode>, String> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src-tauri/tests/atspi_tree.py");
    let out = Command::new("/usr/bin/python3")
        .arg(&script)
        .arg("bridgekeeper")
        .output()
        .map_err(|e| format!("run /usr/bin/python3 (python3-gi, gir1.2-atspi-2.0): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "atspi_tree.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("atspi_tree.py printed no JSON: {e}"))
}

/// Roles of controls a person operates, which must each carry a name.
const NAMED_ROLES: &[&str] = &[
    "push button",
    "toggle button",
    "entry",
    "password text",
    "combo box",
    "check box",
    "radio button",
    "spin button",
    "link",
];

/// The real window's accessibility tree, as a screen reader gets it: a web document, every button and
/// field named, every heading the screen shows, and the named controls `expect` lists. Waits (bounded)
/// for the tree to catch up.
async fn check_accessibility_tree(
    s: &Session,
    screen: &str,
    expect: &[&str],
) -> Result<(), String> {
    let shown = s
        .execute(
            "return [...document.querySelectorAll('h1, h2, h3, h4')]
               .filter((h) => h.getClientRects().length > 0 && !h.closest('[aria-hidden=true]'))
               .map((h) => h.textContent.replace(/\\s+/g, ' ').trim());",
            json!([]),
        )
        .await
        .map_err(|e| e.to_string())?;
    let shown: Vec<String> = serde_json::from_value(shown).map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let tree = atspi_tree()?;
        let headings: Vec<&str> = tree
            .iter()
            .filter(|n| n.role == "heading")
            .map(|n| n.name.as_str())
            .collect();
        let documents = tree.iter().filter(|n| n.role == "document web").count();
        let missing: Vec<&String> = shown
            .iter()
            .filter(|h| !headings.contains(&h.as_str()))
            .collect();
        let unnamed: Vec<&AxNode> = tree
            .iter()
            .filter(|n| NAMED_ROLES.contains(&n.role.as_str()) && n.name.trim().is_empty())
            .collect();
        let controls = tree
            .iter()
            .filter(|n| NAMED_ROLES.contains(&n.role.as_str()))
            .count();
        let absent: Vec<&&str> = expect
            .iter()
            .filter(|name| {
                !tree
                    .iter()
                    .any(|n| NAMED_ROLES.contains(&n.role.as_str()) && n.name == **name)
            })
            .collect();
        let ok = documents == 1 && missing.is_empty() && unnamed.is_empty() && absent.is_empty();
        if ok {
            eprintln!(
                "window test: AT-SPI on {screen}: {} nodes, {controls} named controls, headings {headings:?}",
                tree.len()
            );
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "the accessibility tree of the {screen} screen is not right: {documents} web documents \
                 (want 1), {controls} controls, expected controls not exposed {absent:?}, headings \
                 shown but not exposed {missing:?}, unnamed controls {unnamed:?}; exposed headings \
                 {headings:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a window: Xvfb, tauri-driver and a D-Bus session, which scripts/test.sh provides"]
async fn real_window_sign_in_choose_queue_drop_by_mouse_and_keyboard_refused_and_phantom() {
    let scratch = Scratch::new("window");
    let (_xvfb, display) = start_xvfb();
    // Before the app starts, so its window registers with it.
    let _atspi = start_atspi_bus();
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
    check_log_files(&scratch.0.join("data/io.bridgekeeper.desktop/logs")).await;
}

/// The app kept a log in its log folder, and nothing in it looks like a credential.
async fn check_log_files(dir: &std::path::Path) {
    // The file writer flushes when the app exits; give the exit a moment.
    let deadline = Instant::now() + Duration::from_secs(10);
    let text = loop {
        let text: String = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
            .collect();
        if text.contains("demo organisation started") || Instant::now() >= deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        text.contains("demo organisation started"),
        "no app log in {} (got {} bytes)",
        dir.display(),
        text.len()
    );
    for secret_marker in [
        "Bearer ",
        "access_token",
        "refresh_token",
        "code_verifier",
        "client_secret",
        "demo-secret",
    ] {
        assert!(
            !text.contains(secret_marker),
            "the app log contains '{secret_marker}'"
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
    check_accessibility_tree(
        s,
        "sign-in",
        &[
            "Region",
            "Sign in with your browser",
            "Try the demo organisation",
        ],
    )
    .await?;
    let emulator = Emulator::of_app(s, http).await?;
    // Our own calls only: no background churn, so the flows are deterministic.
    emulator.control.set_churn(0.0).await;
    s.click(&demo).await.map_err(e)?;

    // --- choose a queue ---------------------------------------------------------------------------
    let queues = emulator.control.queues().await;
    let users = emulator.control.users().await;
    let queue = queues.first().cloned().ok_or("the demo org has no queue")?;
    let queue_id = queue["id"].as_str().ok_or("queue id")?.to_owned();
    let queue_name = queue["name"].as_str().ok_or("queue name")?.to_owned();
    let agent = users
        .iter()
        .find(|u| u["email"].as_str().is_some_and(|m| m.starts_with("agent")))
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
    // The "Needs attention" panel is there beside the board, its count in the header.
    s.wait_for(
        "//*[@data-testid='attention-count'][starts-with(normalize-space(.), 'Needs attention: ')]",
        UI_WAIT,
    )
    .await
    .map_err(e)?;
    s.wait_for(
        "//section[@data-testid='attention-panel']//*[contains(normalize-space(.), 'Rules from the built-in policy')]",
        UI_WAIT,
    )
    .await
    .map_err(e)?;

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
    close_dialog(s).await?;
    let png = s.screenshot().await.map_err(e)?;
    std::fs::write(artifacts_dir().join("board.png"), png).map_err(|e| e.to_string())?;
    check_accessibility_tree(
        s,
        "board",
        &[
            "Find a person",
            "Drop Customer Mouse",
            "Mute Customer Mouse",
        ],
    )
    .await?;

    // --- the same by keyboard only ----------------------------------------------------------------
    let (conv, _) = emulator.conference(&queue_id, &agent, "Keys").await;
    s.wait_for("//button[@aria-label='Drop Consultant Keys']", UI_WAIT)
        .await
        .map_err(e)?;
    tab_to(s, "Drop Consultant Keys", 600).await;
    s.press(&[keys::ENTER]).await.map_err(e)?;
    confirm_by_keyboard(
        s,
        "//dialog[@open]//*[contains(normalize-space(.), 'Still on the call afterwards')]",
        "Drop Consultant Keys",
    )
    .await?;
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

    // --- mute by shortcut: find the person, → to their row, m, confirm ----------------------------
    let (conv, _) = emulator.conference(&queue_id, &agent, "Shortcut").await;
    s.wait_for(&row(&conv, "Consultant Shortcut"), UI_WAIT)
        .await
        .map_err(e)?;
    tab_to(s, "Find a person", 40).await;
    let mut typed: Vec<String> = "Consultant Shortcut".chars().map(String::from).collect();
    typed.push(keys::ENTER.to_owned());
    s.press(&typed.iter().map(String::as_str).collect::<Vec<_>>())
        .await
        .map_err(e)?;
    // Enter in "find a person" moves focus to the found call's header; → walks its parties.
    let header = format!("call-{conv}");
    let deadline = Instant::now() + UI_WAIT;
    while focused_id(s).await != header {
        if Instant::now() >= deadline {
            return Err(format!(
                "find did not move focus to the call (focus on '{}')",
                focused_id(s).await
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let target = emulator.participant(&conv, "Consultant Shortcut").await;
    let mut on_row = false;
    for _ in 0..6 {
        s.press(&[ARROW_RIGHT]).await.map_err(e)?;
        if focused_id(s).await == format!("party-{target}") {
            on_row = true;
            break;
        }
    }
    if !on_row {
        return Err(format!(
            "→ never reached Consultant Shortcut's row (focus on '{}')",
            focused_id(s).await
        ));
    }
    // ← and → again: back one party and forward to the same row.
    s.press(&[ARROW_LEFT, ARROW_RIGHT]).await.map_err(e)?;
    if focused_id(s).await != format!("party-{target}") {
        return Err("← then → did not come back to the same party".into());
    }
    s.press(&["m"]).await.map_err(e)?;
    confirm_by_keyboard(
        s,
        "//dialog[@open]//h2[normalize-space()='Mute Consultant Shortcut?']",
        "Mute Consultant Shortcut",
    )
    .await?;
    s.wait_for(
        &format!(
            "{}//*[contains(normalize-space(.), 'Consultant Shortcut is muted: confirmed in')]",
            row(&conv, "Consultant Shortcut")
        ),
        UI_WAIT,
    )
    .await
    .map_err(e)?;
    let truth = emulator.control.conversation(&conv).await;
    let muted = truth["participants"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["id"].as_str() == Some(target.as_str()))
        .map(|p| p["muted"] == json!(true));
    if muted != Some(true) {
        return Err(format!(
            "the emulator does not show Consultant Shortcut muted after the shortcut: {truth}"
        ));
    }
    eprintln!("window test: mute by shortcut confirmed and true in the emulator");

    // --- refused: the platform answers 403 to the drop -------------------------------------------
    let (conv, _) = emulator.conference(&queue_id, &agent, "Refused").await;
    let target = emulator.participant(&conv, "Consultant Refused").await;
    emulator
        .control
        .fault(&FaultSpec::ServerError {
            status: 403,
            count: Some(1),
            rate: None,
            path_prefix: Some(format!(
                "/api/v2/conversations/calls/{conv}/participants/{target}"
            )),
        })
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
        .control
        .fault(&FaultSpec::PhantomDrop {
            participant_id: target,
        })
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
    policy_page(s, &emulator, &conv).await
}

/// The policy page from the board: the built-in rules, and a dry-run preview that lists the phantom
/// leg (the `phantom-leg` rule finds a leg still live 30 s after a drop the platform accepted) while
/// sending nothing; the enforce switch opens its confirmation and Cancel leaves it off.
async fn policy_page(s: &Session, emulator: &Emulator, phantom_call: &str) -> Result<(), String> {
    let e = |e: webdriver::WdError| e.to_string();
    let open = s
        .wait_for("//button[@data-testid='open-policy']", UI_WAIT)
        .await
        .map_err(e)?;
    s.click(&open).await.map_err(e)?;
    s.wait_for("//h2[normalize-space()='Policy']", UI_WAIT)
        .await
        .map_err(e)?;
    s.wait_for(
        "//*[@data-testid='policy-source'][starts-with(normalize-space(.), 'The built-in rules')]",
        UI_WAIT,
    )
    .await
    .map_err(e)?;
    let line = s
        .wait_for(
            "//table[@data-testid='policy-preview']//tr[th[normalize-space()='Consultant Phantom']][td[normalize-space()='phantom-leg']]",
            Duration::from_secs(60),
        )
        .await
        .map_err(e)?;
    let text = s.text(&line).await.map_err(e)?;
    if !text.contains("Drop") || !text.contains("after a drop the platform accepted") {
        return Err(format!(
            "the preview line does not say what enforcing would do: {text}"
        ));
    }
    eprintln!("window test: policy preview: {text}");
    let toggle = s
        .wait_for(
            "//button[@role='switch'][@aria-checked='false'][normalize-space()='Enforce the policy in this app']",
            UI_WAIT,
        )
        .await
        .map_err(e)?;
    s.click(&toggle).await.map_err(e)?;
    confirm_dialog_cancelled(
        s,
        "//dialog[@open]//*[contains(normalize-space(.), 'The app will then drop legs by itself')]",
    )
    .await?;
    s.wait_for(
        "//button[@role='switch'][@aria-checked='false'][normalize-space()='Enforce the policy in this app']",
        UI_WAIT,
    )
    .await
    .map_err(e)?;
    // The preview sent nothing: the phantom leg is still on the call in the emulator.
    let truth = emulator.parties(phantom_call).await;
    if !truth
        .iter()
        .any(|(n, st)| n == "Consultant Phantom" && st == "connected")
    {
        return Err(format!("the preview changed the call: {truth:?}"));
    }
    Ok(())
}

/// Waits for a confirmation (`shown` is in it), checks it opened on Cancel, and cancels it.
async fn confirm_dialog_cancelled(s: &Session, shown: &str) -> Result<(), String> {
    s.wait_for(shown, UI_WAIT)
        .await
        .map_err(|e| e.to_string())?;
    if focused(s).await != "Cancel" {
        return Err(format!(
            "the enforce confirmation did not open on Cancel (focus on '{}')",
            focused(s).await
        ));
    }
    s.press(&[keys::ENTER]).await.map_err(|e| e.to_string())?;
    s.wait_gone("//dialog[@open]", UI_WAIT)
        .await
        .map_err(|e| e.to_string())
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
