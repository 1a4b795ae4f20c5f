//! Bridgekeeper's desktop shell: the thin Tauri edge over the Tauri-free core crates.
//!
//! `run()` is the whole app; [`builder`] is the same app minus the runtime, so tests can drive the real
//! command surface and capabilities through Tauri's mock runtime.

pub mod commands;
pub mod demo;
pub mod error;
pub mod launch;
pub mod state;

use launch::{Launch, USAGE};
use state::{AppState, DemoOrg};
use std::process::ExitCode;

/// Registers the state and every command on a builder of any runtime (Wry in the app, mock in tests).
pub fn builder<R: tauri::Runtime>(
    builder: tauri::Builder<R>,
    state: AppState,
) -> tauri::Builder<R> {
    builder
        .manage(state)
        .invoke_handler(tauri::generate_handler![commands::app::app_info])
}

/// Runs the desktop app until its last window closes.
pub fn run() -> ExitCode {
    init_tracing();

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

    // Started before the window so the first screen can already say where the demo org lives; the
    // emulator's tasks keep running on Tauri's runtime after `block_on` returns.
    let demo = if options.demo {
        tauri::async_runtime::block_on(demo::start())
    } else {
        DemoOrg::Off
    };

    match builder(tauri::Builder::default(), AppState::new(demo)).run(tauri::generate_context!()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the app stopped with an error");
            eprintln!("bridgekeeper: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr, filtered by `RUST_LOG` (default: info). A file log with rotation comes later.
fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // try_init: a second subscriber (for example in tests) is not an error worth stopping for.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
