//! Logs: stderr (for a terminal) and a daily-rotated file in the app's log folder (for support).
//! Nothing here ever logs a token: the core logs ids and outcomes only, and secrets are redacted types.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Rotated log files kept (one per day).
pub const KEPT_LOG_FILES: usize = 7;

/// Keeps the file writer's background thread alive (and flushes it on drop).
pub struct LogGuard(#[allow(dead_code)] Option<WorkerGuard>);

/// Starts logging, filtered by `RUST_LOG` (default: info). A log folder that cannot be used leaves
/// stderr logging on and says so: losing the file log must not stop the app.
pub fn init(log_dir: Option<&Path>) -> LogGuard {
    let filter = || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let stderr = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let file = log_dir.and_then(|dir| {
        RollingFileAppender::builder()
            .rotation(Rotation::DAILY)
            .filename_prefix("bridgekeeper")
            .filename_suffix("log")
            .max_log_files(KEPT_LOG_FILES)
            .build(dir)
            .map_err(|e| eprintln!("bridgekeeper: no log file in {}: {e}", dir.display()))
            .ok()
    });
    let (file_layer, guard) = match file {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let layer = tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(writer);
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    // try_init: a second subscriber (for example in tests) is not an error worth stopping for.
    let _ = tracing_subscriber::registry()
        .with(filter())
        .with(stderr)
        .with(file_layer)
        .try_init();
    if let Some(dir) = log_dir {
        tracing::info!(log_dir = %dir.display(), "logging to a daily rotated file");
    }
    LogGuard(guard)
}
