//! Bridgekeeper's desktop shell: the thin Tauri edge over the Tauri-free core crates.
//!
//! `run()` is the whole app; [`builder`] is the same command surface minus the runtime, so tests can
//! drive the real commands and capabilities through Tauri's mock runtime (managing their own
//! [`AppState`] with throwaway folders).

pub mod commands;
pub mod demo;
pub mod error;
pub mod launch;
pub mod logging;
pub mod state;
pub mod update;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use launch::{Launch, LaunchOptions, USAGE};
use state::{AppState, DemoOrg};
use supervisor_core::admin_config::AdminConfig;
use supervisor_core::app::{Desktop, DesktopConfig};
use supervisor_core::token_store::KeyringStore;
use tauri::Manager;

/// Registers every listed command (and the opener the sign-in uses from Rust) on a builder of any runtime.
pub fn builder<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_opener::init())
        .invoke_handler(commands::handler())
}

/// Where the app keeps its files, from the OS conventions Tauri resolves for the app identifier.
pub fn desktop_config<R: tauri::Runtime>(app: &tauri::App<R>) -> Result<DesktopConfig, String> {
    let paths = app.path();
    let data = paths.app_data_dir().map_err(|e| e.to_string())?;
    let config = paths.app_config_dir().map_err(|e| e.to_string())?;
    let exports: PathBuf = paths
        .download_dir()
        .unwrap_or_else(|_| data.join("exports"));
    let mut desktop =
        DesktopConfig::new(data.join("audit.jsonl"), config.join("prefs.json"), exports);
    desktop.policy_path = Some(config.join("policy.toml"));
    Ok(desktop)
}

fn setup<R: tauri::Runtime>(
    app: &mut tauri::App<R>,
    options: &LaunchOptions,
) -> Result<(), Box<dyn std::error::Error>> {
    let guard = logging::init(app.path().app_log_dir().ok().as_deref());
    app.manage(guard);
    // Started before the window shows so the first screen can already say where the demo org
    // lives; the emulator's tasks keep running on Tauri's runtime after `block_on` returns.
    let demo = match (&options.demo_url, options.demo) {
        // An emulator in another process (memory measurements of the app alone).
        (Some(url), _) => tauri::async_runtime::block_on(demo::external(url.clone())),
        (None, true) => tauri::async_runtime::block_on(demo::start(options.demo_calls)),
        (None, false) => DemoOrg::Off,
    };
    // The admin's and the user's config.toml; a broken file is reported in the UI, never fatal.
    let config = desktop_config(app)?.with_admin(AdminConfig::load());
    tracing::info!(
        audit = %config.audit_path.display(),
        prefs = %config.prefs_path.display(),
        "app folders"
    );
    let desktop = Desktop::new(config, Arc::new(KeyringStore::new()));
    app.manage(AppState::new(demo, desktop));
    // The same rule `run` used to register the updater plugin: off unless an endpoint is named.
    let endpoint = update::updater_endpoint(&AdminConfig::load())
        .ok()
        .flatten();
    app.manage(commands::update::UpdateState::new(endpoint));
    Ok(())
}

/// Runs the desktop app until its last window closes.
pub fn run() -> ExitCode {
    let options = match Launch::parse(std::env::args_os().skip(1)) {
        Ok(Launch::Run(options)) => options,
        Ok(Launch::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("bridgekeeper: {error}");
            return ExitCode::from(2);
        }
    };

    let app = tauri::Builder::default()
        // First, so a second launch hands over before anything else starts: focus the open window.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.show();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build());
    // Signed updates only when an endpoint is configured; a bad one leaves them off (logged in setup).
    let updates = update::updater_endpoint(&AdminConfig::load());
    let app = match &updates {
        Ok(Some(_)) => app.plugin(update::plugin()),
        Ok(None) | Err(_) => app,
    };
    match builder(app)
        .setup(move |app| {
            setup(app, &options)?;
            match &updates {
                Ok(Some(endpoint)) => tracing::info!(%endpoint, "updates enabled"),
                Ok(None) => tracing::info!("updates off: no update endpoint configured"),
                Err(error) => tracing::warn!(%error, "updates off"),
            }
            Ok(())
        })
        .run(tauri::generate_context!())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the app stopped with an error");
            eprintln!("bridgekeeper: {error}");
            ExitCode::FAILURE
        }
    }
}
