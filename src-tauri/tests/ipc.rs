//! The app's IPC surface driven through Tauri's mock runtime: the real command registry, the real
//! capabilities (compiled from src-tauri/capabilities) and the real JSON, with no display.

use bridgekeeper_lib::state::{AppState, DemoOrg};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

fn app(demo: DemoOrg) -> App<MockRuntime> {
    bridgekeeper_lib::builder(mock_builder(), AppState::new(demo))
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
fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str) -> Result<Value, Value> {
    let url = window.url().expect("the window has a URL");
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url,
            body: InvokeBody::default(),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().expect("the response is JSON"))
}

#[test]
fn app_info_on_a_real_org_has_the_crate_version_and_no_demo() {
    let app = app(DemoOrg::Off);
    let main = configured_window(&app, "main");

    let response = invoke(&main, "app_info").expect("app_info is allowed for the main window");

    assert_eq!(
        response,
        json!({ "version": env!("CARGO_PKG_VERSION"), "demo": null })
    );
}

#[test]
fn app_info_when_the_demo_failed_is_a_coded_error() {
    let app = app(DemoOrg::Failed {
        reason: "address already in use".into(),
    });
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
    let demo = tauri::async_runtime::block_on(bridgekeeper_lib::demo::start());
    assert!(
        matches!(demo, DemoOrg::Running { .. }),
        "the demo emulator starts: {demo:?}"
    );
    let app = app(demo);
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
fn a_window_without_a_capability_cannot_call_app_info() {
    let app = app(DemoOrg::Off);
    let _main = configured_window(&app, "main");
    let other = WebviewWindowBuilder::new(&app, "other", Default::default())
        .build()
        .expect("second window opens");

    let error = invoke(&other, "app_info").expect_err("no capability grants app_info to 'other'");

    let message = error.as_str().unwrap_or_default();
    assert!(
        message.starts_with("app_info not allowed on window \"other\""),
        "refused by the ACL for that window, got {error}"
    );
}

#[test]
fn the_main_window_gets_no_core_permission_it_does_not_use() {
    let app = app(DemoOrg::Off);
    let main = configured_window(&app, "main");

    // `core:app:default` is not granted: the UI reads the version through app_info instead.
    let error = invoke(&main, "plugin:app|version").expect_err("core:app is not granted");

    let message = error.as_str().unwrap_or_default();
    assert!(
        message.contains("app.version not allowed"),
        "refused by the ACL, got {error}"
    );
}
