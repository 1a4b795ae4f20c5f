//! The updater against a `latest.json` served from 127.0.0.1, through the real plugin on Tauri's mock
//! runtime (no window): the app reports the offered version and its notes, a download whose
//! signature matches the configured public key is accepted, and a tampered one is refused with a
//! message that says so (nothing is installed).
//!
//! The public key and the signature below belong to a TEST-ONLY keypair made with
//! `tauri signer generate --ci -p ""` and `tauri signer sign` over [`PAYLOAD`]; its private key was
//! not kept. The shipped `tauri.conf.json` carries a placeholder (docs/RELEASING.md); the test swaps
//! in this key the way a test-only config overlay would.

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use bridgekeeper_lib::update::{self, UpdateError};
use serde_json::json;
use tauri::test::{MockRuntime, mock_builder};
use url::Url;

const TEST_PUBKEY: &str = "dW50cnVzdGVkIGNvbW1lbnQ6IG1pbmlzaWduIHB1YmxpYyBrZXk6IEVEQTI0MkQ2QkFERkM4RjEKUldUeHlOKzYxa0tpN1Rrbm5IK1ppTVJvQ3M4SzBqU1RFZzJsS0dJdlQvQlVmNDcyYzBMR0s4Q0wK";
const PAYLOAD: &str = "Bridgekeeper 0.2.0 test update payload (not an installer)\n";
const PAYLOAD_SIG: &str = "dW50cnVzdGVkIGNvbW1lbnQ6IHNpZ25hdHVyZSBmcm9tIHRhdXJpIHNlY3JldCBrZXkKUlVUeHlOKzYxa0tpN2E1akZNZjc0Mzk5TUc2RG45WEx2R0I3M3BaL0ZiRFBlT3MrdzgxODdYemdFalgzZ3dOYXZETDdFSkhPTSs4TkFaN2thV1FQY1ZFU2lTcUJzb2hqWkE4PQp0cnVzdGVkIGNvbW1lbnQ6IHRpbWVzdGFtcDoxNzk2Mjg0MDYyCWZpbGU6cGF5bG9hZC5iaW4KT3AzWHBFeWw1RVRmZ3dpbTk2ZXB3NXV2TWxJb1JxOUYzM0h0aGxwdGFOb3N3dE8vN1NFN2oveTM1L0x1cFY2Nk1rS0pjWWRZajg2RGpsSXJmUWdEQXc9PQo=";
const NOTES: &str = "Keyboard shortcuts for mute and hold.";

/// `latest.json` for `version` pointing at `file` on the same server, with the genuine signature.
fn latest(base: &str, file: &str, version: &str) -> serde_json::Value {
    let platform = json!({ "url": format!("{base}/{file}"), "signature": PAYLOAD_SIG });
    json!({
        "version": version,
        "notes": NOTES,
        "pub_date": "2026-12-01T12:00:00Z",
        "platforms": {
            "linux-x86_64": platform, "linux-aarch64": platform,
            "darwin-x86_64": platform, "darwin-aarch64": platform,
            "windows-x86_64": platform,
        }
    })
}

/// A release server on 127.0.0.1: the genuine file, a tampered copy, and a manifest for each.
async fn serve() -> String {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind 127.0.0.1");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let (b1, b2, b3) = (base.clone(), base.clone(), base.clone());
    let router =
        Router::new()
            .route(
                "/latest.json",
                get(move || async move { axum::Json(latest(&b1, "update.bin", "0.2.0")) }),
            )
            .route(
                "/tampered/latest.json",
                get(move || async move { axum::Json(latest(&b2, "tampered.bin", "0.2.0")) }),
            )
            .route("/update.bin", get(|| async { PAYLOAD }))
            // One byte changed after signing: what an attacker between the release and the app serves.
            .route(
                "/tampered.bin",
                get(|| async { PAYLOAD.replace("0.2.0", "0.2.1") }),
            )
            .route(
                "/current/latest.json",
                get(move || async move {
                    axum::Json(latest(&b3, "update.bin", env!("CARGO_PKG_VERSION")))
                }),
            );
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    base
}

/// The app's plugin on the mock runtime, with the test public key as a test-only overlay would set it.
fn app() -> tauri::App<MockRuntime> {
    let mut context = tauri::generate_context!();
    context.config_mut().plugins.0.insert(
        "updater".into(),
        json!({ "pubkey": TEST_PUBKEY, "endpoints": [] }),
    );
    mock_builder()
        .plugin(update::plugin())
        .build(context)
        .expect("the app builds with the updater plugin")
}

fn url(base: &str, path: &str) -> Url {
    Url::parse(&format!("{base}{path}")).expect("url")
}

#[tokio::test]
async fn the_app_reports_the_offered_version_and_notes_and_accepts_a_genuine_signature() {
    let base = serve().await;
    let app = app();
    let pending = update::check(app.handle(), url(&base, "/latest.json"))
        .await
        .expect("the check succeeds")
        .expect("0.2.0 is newer than the running version");
    let offered = pending.available();
    assert_eq!(offered.version, "0.2.0");
    assert_eq!(offered.notes, NOTES);
    let bytes = pending
        .download_verified()
        .await
        .expect("a genuinely signed update verifies");
    assert_eq!(bytes, PAYLOAD.as_bytes());
}

#[tokio::test]
async fn a_tampered_update_is_refused_with_a_clear_message() {
    let base = serve().await;
    let app = app();
    let pending = update::check(app.handle(), url(&base, "/tampered/latest.json"))
        .await
        .expect("the check succeeds")
        .expect("an update is offered");
    // Installing starts with the download and its verification: it must stop there.
    let error = pending
        .install()
        .await
        .expect_err("a tampered update is refused");
    assert!(
        matches!(error, UpdateError::BadSignature(_)),
        "not reported as a bad signature: {error:?}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with("The update was refused: its signature does not match")
            && message.contains("Nothing was installed"),
        "{message}"
    );
}

#[tokio::test]
async fn no_update_when_the_endpoint_offers_the_running_version() {
    let base = serve().await;
    let app = app();
    let none = update::check(app.handle(), url(&base, "/current/latest.json"))
        .await
        .expect("the check succeeds");
    assert!(
        none.is_none(),
        "the running version is offered as an update"
    );
}

#[tokio::test]
async fn an_unreachable_endpoint_is_reported_as_such() {
    let app = app();
    // Port 9 (discard) on loopback: nobody answers.
    let error = match update::check(app.handle(), url("http://127.0.0.1:9", "/latest.json")).await {
        Err(error) => error,
        Ok(_) => panic!("an unreachable endpoint reported an answer"),
    };
    assert!(matches!(error, UpdateError::Unavailable(_)), "{error:?}");
    assert!(
        error.to_string().starts_with("Could not check for updates"),
        "{error}"
    );
}
