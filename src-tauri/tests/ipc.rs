//! The app's IPC surface driven through Tauri's mock runtime: the real command registry, the real
//! capabilities (compiled from src-tauri/capabilities) and the real JSON, with no display. The app
//! state uses throwaway folders and an in-memory token store (never the real app data or keyring).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bridgekeeper_lib::state::{AppState, DemoOrg};
use serde_json::{Value, json};
use supervisor_core::app::{Desktop, DesktopConfig};
use supervisor_core::token_store::MemoryStore;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

/// Every command the app registers: the one list in crates/ipc-commands.
fn commands() -> impl Iterator<Item = &'static str> {
    ipc_commands::names()
}

/// A throwaway folder for one test's app files, removed at the end.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        Self(std::env::temp_dir().join(format!("bk-ipc-{tag}-{}-{nanos}", std::process::id())))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn desktop(dir: &TempDir) -> Desktop {
    let mut config = DesktopConfig::new(
        dir.0.join("data/audit.jsonl"),
        dir.0.join("config/prefs.json"),
        dir.0.join("exports"),
    );
    config.actions.confirm_timeout = Duration::from_secs(6);
    Desktop::new(config, Arc::new(MemoryStore::new()))
}

fn app(demo: DemoOrg, dir: &TempDir) -> App<MockRuntime> {
    bridgekeeper_lib::builder(mock_builder())
        .manage(AppState::new(demo, desktop(dir)))
        // As the app's setup does with no update endpoint configured: updates off.
        .manage(bridgekeeper_lib::commands::update::UpdateState::new(None))
        .build(tauri::generate_context!())
        .expect("the app builds on the mock runtime")
}

/// Opens the window declared in tauri.conf.json under `label` (the app itself does this at setup).
fn configured_window(app: &App<MockRuntime>, label: &str) -> WebviewWindow<MockRuntime> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == label)
        .unwrap_or_else(|| panic!("tauri.conf.json declares a window labelled {label}"))
        .clone();
    WebviewWindowBuilder::from_config(app.handle(), &config)
        .expect("window config is valid")
        .build()
        .expect("window opens")
}

/// Invokes `cmd` the way the UI's `invoke()` does, from the window's own (local) origin.
fn call(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    let url = window.url().expect("the window has a URL");
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url,
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().expect("the response is JSON"))
}

fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str) -> Result<Value, Value> {
    call(window, cmd, json!({}))
}

/// Arguments that deserialise for each command (the answer itself may be an error).
fn sample_args(cmd: &str) -> Value {
    match cmd {
        "sign_in" => {
            json!({"request": {"region": null, "apiBase": null, "clientId": "", "clientSecret": null}})
        }
        "list_queues" => json!({"request": {"filter": ""}}),
        "select_queues" => json!({"request": {"queueIds": []}}),
        "roster_subscribe" => json!({"onEvent": "__CHANNEL__:7"}),
        "plan_drop" => json!({"request": {"conversationId": "c", "participantId": "p"}}),
        "execute_drop" => json!({"request": {"planId": "nope"}}),
        "set_mute" | "set_hold" => {
            json!({"request": {"conversationId": "c", "participantId": "p", "on": true}})
        }
        "audit_list" | "audit_export_csv" => json!({"request": {"filters": {}}}),
        other => generic_args(other),
    }
}

/// Arguments of the listed shape for a command without hand-made ones: none, an empty request (which
/// its use case may refuse as invalid arguments, proving it was reached) or a channel.
fn generic_args(cmd: &str) -> Value {
    let command = ipc_commands::COMMANDS
        .iter()
        .find(|c| c.name == cmd)
        .unwrap_or_else(|| panic!("{cmd} is not on the command list"));
    match command.arg {
        None => json!({}),
        Some(arg) => match arg.kind {
            ipc_commands::ArgKind::Json => json!({ ipc_commands::camel_case(arg.name): {} }),
            ipc_commands::ArgKind::Channel => {
                json!({ ipc_commands::camel_case(arg.name): "__CHANNEL__:7" })
            }
        },
    }
}

fn code(error: &Value) -> &str {
    error["code"].as_str().unwrap_or_default()
}

#[test]
fn app_info_on_a_real_org_has_the_crate_version_and_no_demo() {
    let dir = TempDir::new("info");
    let app = app(DemoOrg::Off, &dir);
    let main = configured_window(&app, "main");

    let response = invoke(&main, "app_info").expect("app_info is allowed for the main window");

    assert_eq!(
        response,
        json!({ "version": env!("CARGO_PKG_VERSION"), "demo": null })
    );
}

#[test]
fn app_info_when_the_demo_failed_is_a_coded_error() {
    let dir = TempDir::new("failed");
    let app = app(
        DemoOrg::Failed {
            reason: "address already in use".into(),
        },
        &dir,
    );
    let main = configured_window(&app, "main");

    let error = invoke(&main, "app_info").expect_err("a failed demo cannot describe itself");

    assert_eq!(
        error,
        json!({
            "code": "DemoUnavailable",
            "message": "The demo organisation could not start: address already in use"
        })
    );
}

#[test]
fn app_info_on_the_demo_org_names_the_running_emulator() {
    // The same start-up path as `bridgekeeper --demo`, on Tauri's async runtime.
    let demo = tauri::async_runtime::block_on(bridgekeeper_lib::demo::start(None));
    assert!(
        matches!(demo, DemoOrg::Running { .. }),
        "the demo emulator starts: {demo:?}"
    );
    let dir = TempDir::new("demo-info");
    let app = app(demo, &dir);
    let main = configured_window(&app, "main");

    let response = invoke(&main, "app_info").expect("app_info is allowed");

    let base_url = response["demo"]["baseUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("demo.baseUrl is a string in {response}"));
    let authority = base_url
        .strip_prefix("http://127.0.0.1:")
        .expect("the demo org listens on loopback over plain HTTP");
    let port: u16 = authority
        .trim_end_matches('/')
        .parse()
        .expect("the base URL ends with a port");
    assert_eq!(response["version"], env!("CARGO_PKG_VERSION"));

    // Something answers HTTP there: the emulator is alive, not just a URL in a struct.
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).expect("the emulator accepts connections");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    stream
        .write_all(b"GET /api/v2/users/me HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .expect("request sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("response read");
    assert!(
        answer.starts_with("HTTP/1.1 "),
        "an HTTP response from the emulator, got {answer:?}"
    );
}

#[test]
fn every_command_is_refused_to_a_window_without_the_capability() {
    let dir = TempDir::new("acl");
    let app = app(DemoOrg::Off, &dir);
    let _main = configured_window(&app, "main");
    let other = WebviewWindowBuilder::new(&app, "other", Default::default())
        .build()
        .expect("second window opens");

    for cmd in commands() {
        let error = call(&other, cmd, sample_args(cmd))
            .expect_err("no capability grants app commands to 'other'");
        let message = error.as_str().unwrap_or_default();
        assert!(
            message.starts_with(&format!("{cmd} not allowed on window \"other\"")),
            "{cmd} refused by the ACL for that window, got {error}"
        );
    }
}

#[test]
fn every_command_is_granted_to_the_main_window() {
    let dir = TempDir::new("grants");
    let app = app(DemoOrg::Off, &dir);
    let main = configured_window(&app, "main");

    for cmd in commands().filter(|c| *c != "sign_in_demo") {
        // Allowed means: the command ran and answered (with a value or a coded IpcError), or its
        // registered handler refused the generic arguments (past the ACL, so it is granted).
        match call(&main, cmd, sample_args(cmd)) {
            Ok(_) => {}
            Err(error) => {
                assert!(
                    error["code"].is_string()
                        || error.as_str().is_some_and(|m| m
                            .starts_with(&format!("invalid args `request` for command `{cmd}`"))),
                    "{cmd} reached the command and answered with a coded error, got {error}"
                )
            }
        }
    }
}

#[test]
fn the_main_window_gets_no_core_permission_it_does_not_use() {
    let dir = TempDir::new("core");
    let app = app(DemoOrg::Off, &dir);
    let main = configured_window(&app, "main");

    // `core:app:default` is not granted: the UI reads the version through app_info instead.
    let error = invoke(&main, "plugin:app|version").expect_err("core:app is not granted");
    let message = error.as_str().unwrap_or_default();
    assert!(
        message.contains("app.version not allowed"),
        "refused by the ACL, got {error}"
    );
    // Nor the opener plugin: the sign-in opens the browser from Rust, never from the page.
    let error = call(
        &main,
        "plugin:opener|open_url",
        json!({"url": "https://example.com"}),
    )
    .expect_err("opener is not granted");
    assert!(
        error.as_str().unwrap_or_default().contains("not allowed"),
        "refused by the ACL, got {error}"
    );
}

#[test]
fn signed_out_state_and_bad_requests_get_the_codes_the_ui_switches_on() {
    let dir = TempDir::new("signed-out");
    let app = app(DemoOrg::Off, &dir);
    let main = configured_window(&app, "main");

    let info = invoke(&main, "session_info").expect("session_info");
    assert_eq!(info["state"], "signedOut");
    assert_eq!(info["session"], Value::Null);
    assert_eq!(info["redirectUri"], "http://localhost:8765/oauth/callback");
    let regions = info["regions"].as_array().expect("regions");
    assert_eq!(regions.len(), 18);
    assert!(
        regions
            .iter()
            .any(|r| r["name"] == "eu_west_1" && r["label"] == "EMEA (Dublin)")
    );

    let e = call(&main, "sign_in", sample_args("sign_in")).expect_err("no region");
    assert_eq!(code(&e), "InvalidArgument", "{e}");
    let e = call(
        &main,
        "sign_in",
        json!({"request": {"region": "eu_west_1", "apiBase": "http://127.0.0.1:1", "clientId": "x", "clientSecret": null}}),
    )
    .expect_err("both region and base");
    assert_eq!(code(&e), "InvalidArgument", "{e}");
    let e = call(
        &main,
        "sign_in",
        json!({"request": {"region": null, "apiBase": "http://10.1.2.3:80", "clientId": "x", "clientSecret": null}}),
    )
    .expect_err("remote plain http");
    assert_eq!(code(&e), "InvalidArgument", "{e}");

    for cmd in [
        "list_queues",
        "select_queues",
        "plan_drop",
        "set_mute",
        "set_hold",
    ] {
        let e = call(&main, cmd, sample_args(cmd)).expect_err("signed out");
        assert_eq!(code(&e), "NotSignedIn", "{cmd}: {e}");
    }
    let e = call(&main, "execute_drop", sample_args("execute_drop")).expect_err("no plan");
    assert_eq!(code(&e), "PlanExpired", "{e}");
    let e = call(&main, "list_queues", json!({"request": {"filter": 5}}))
        .expect_err("wrong argument type");
    assert!(
        e.as_str().unwrap_or_default().contains("invalid args"),
        "a malformed request is refused before the command, got {e}"
    );

    // The audit log is readable signed out (empty), and the roster is idle.
    let audit = call(&main, "audit_list", sample_args("audit_list")).expect("audit");
    assert_eq!(audit["total"], 0);
    assert_eq!(
        invoke(&main, "sign_out").expect("sign out"),
        json!({"warning": null})
    );
}

/// Polls `roster_snapshot` until the board is live and shows a conference.
fn live_conference(main: &WebviewWindow<MockRuntime>) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let snapshot = invoke(main, "roster_snapshot").expect("snapshot");
        // Live means every call is on the board; the flags (muted, held) arrive with the paced
        // detail reads that follow, so wait for a conference whose details are all known.
        if snapshot["connection"]["state"] == "live" {
            if let Some(c) = snapshot["conversations"].as_array().and_then(|cs| {
                cs.iter().find(|c| {
                    c["isConference"] == true
                        && c["fullDetail"] == true
                        && c["parties"].as_array().is_some_and(|ps| {
                            ps.iter()
                                .any(|p| p["muted"] == true && p["status"] == "live")
                        })
                })
            }) {
                return c.clone();
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the board did not become live: {snapshot}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn demo_org_through_ipc_sign_in_watch_drop_and_audit() {
    let dir = TempDir::new("demo-flow");
    let app = app(DemoOrg::Off, &dir);
    let main = configured_window(&app, "main");

    // "Try the demo organisation": the emulator starts in-process and PKCE signs in.
    let signed = invoke(&main, "sign_in_demo").expect("demo sign-in");
    assert_eq!(signed["session"]["demo"], true);
    assert_eq!(signed["session"]["userName"], "Sam Supervisor");
    assert_eq!(signed["session"]["environment"], "Demo organisation");
    assert_eq!(
        invoke(&main, "session_info").expect("info")["state"],
        "signedIn"
    );

    let queues = call(&main, "list_queues", json!({"request": {"filter": "sup"}})).expect("queues");
    let support = queues["queues"][0]["id"]
        .as_str()
        .expect("Support")
        .to_owned();
    assert_eq!(queues["queues"][0]["name"], "Support");
    let chosen = call(
        &main,
        "select_queues",
        json!({"request": {"queueIds": [support]}}),
    )
    .expect("select");
    assert_eq!(chosen["selected"][0]["name"], "Support");
    let remembered = std::fs::read_to_string(dir.0.join("config/prefs.json")).expect("prefs saved");
    assert!(remembered.contains("Support"), "{remembered}");

    let subscribed = call(
        &main,
        "roster_subscribe",
        json!({"onEvent": "__CHANNEL__:42"}),
    )
    .expect("subscribe");
    assert!(subscribed["seq"].is_u64(), "{subscribed}");

    let conference = live_conference(&main);
    let conversation_id = conference["id"].as_str().expect("id").to_owned();
    let consultant = conference["parties"]
        .as_array()
        .and_then(|ps| {
            ps.iter()
                .find(|p| p["muted"] == true && p["status"] == "live")
        })
        .expect("the muted consultant")
        .clone();

    let plan = call(
        &main,
        "plan_drop",
        json!({"request": {"conversationId": conversation_id, "participantId": consultant["participantId"]}}),
    )
    .expect("plan");
    assert_eq!(plan["target"]["name"], consultant["name"]);
    assert_eq!(plan["verdict"], "ready");
    assert_eq!(
        plan["remaining"].as_array().map(Vec::len),
        Some(2),
        "{plan}"
    );

    let outcome = call(
        &main,
        "execute_drop",
        json!({"request": {"planId": plan["planId"]}}),
    )
    .expect("drop outcome");
    assert_eq!(outcome["outcome"]["kind"], "confirmed", "{outcome}");
    assert_eq!(outcome["partyName"], consultant["name"]);
    assert!(outcome["outcome"]["latencyMs"].is_u64());

    let audit = call(
        &main,
        "audit_list",
        json!({"request": {"filters": {"actions": ["drop"]}}}),
    )
    .expect("audit");
    assert_eq!(audit["entries"][0]["outcome"], "confirmed", "{audit}");
    assert_eq!(audit["entries"][0]["partyName"], consultant["name"]);
    let export = call(
        &main,
        "audit_export_csv",
        json!({"request": {"filters": {}}}),
    )
    .expect("export");
    assert_eq!(export["rows"], 1);
    let csv = std::fs::read_to_string(export["path"].as_str().expect("path")).expect("csv");
    assert!(csv.contains("confirmed"), "{csv}");

    let status = invoke(&main, "connection_status").expect("status");
    assert_eq!(status["connection"]["state"], "live", "{status}");
    assert_eq!(
        invoke(&main, "sign_out").expect("sign out"),
        json!({"warning": null})
    );
    assert_eq!(
        invoke(&main, "connection_status").expect_err("signed out")["code"],
        "NotSignedIn"
    );
}
