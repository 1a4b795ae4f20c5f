//! The `genesys-emulator` binary: prints `listening on http://127.0.0.1:PORT` first, logs to
//! stderr, and stops cleanly on Ctrl-C or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use genesys_emulator::{EmulatorConfig, ScenarioName};

/// A stateful emulator of the Genesys Cloud API subset Bridgekeeper uses.
#[derive(Debug, Parser)]
#[command(name = "genesys-emulator", version, about)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// World to load: demo, empty, load, or an idle-leg world (stuck-leg, no-outside-party,
    /// long-hold, long-mute, silent-party, unlicensed-transcription, patch-ignored, idle).
    #[arg(long, default_value = "demo", value_parser = parse_scenario)]
    scenario: ScenarioName,
    /// Seed for ids and random choices (same seed, same world).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Background churn in calls per minute (0 = off).
    #[arg(long = "churn", default_value_t = 0.0)]
    churn: f64,
    /// Number of live calls in the load scenario.
    #[arg(long, default_value_t = 1000)]
    conversations: usize,
    /// Delay before an accepted participant PATCH takes effect, in milliseconds.
    #[arg(long = "patch-delay-ms", default_value_t = 150)]
    patch_delay_ms: u64,
    /// Interval of WebSocket heartbeats, in seconds.
    #[arg(long = "heartbeat-secs", default_value_t = 30)]
    heartbeat_secs: u64,
    /// Access-token lifetime, in seconds.
    #[arg(long = "token-ttl-secs", default_value_t = 86_400)]
    token_ttl_secs: u64,
    /// Requests per token per 60 s window before 429.
    #[arg(long = "rate-limit", default_value_t = 300)]
    rate_limit: u32,
    /// Latency added to every API and login request, in milliseconds.
    #[arg(long = "latency-ms", default_value_t = 0)]
    latency_ms: u64,
    /// How old the analytics conversation details are, in milliseconds (changes newer than this
    /// are not visible to the details query yet).
    #[arg(long = "analytics-lag-ms", default_value_t = 3000)]
    analytics_lag_ms: u64,
    /// Deepest result the details query pages to (pageNumber * pageSize); deeper pages are 400.
    #[arg(long = "analytics-max-results", default_value_t = 100_000)]
    analytics_max_results: usize,
    /// Delay from a party's speech to the delivery of its transcript, in milliseconds.
    #[arg(long = "transcription-delay-ms", default_value_t = 35_000)]
    transcription_delay_ms: u64,
    /// Interval of the transcription topic's heartbeats, in milliseconds.
    #[arg(long = "transcription-heartbeat-ms", default_value_t = 300_000)]
    transcription_heartbeat_ms: u64,
    /// How often each connected party speaks on its own on transcribed calls, in milliseconds
    /// (0 = only when told through the control plane).
    #[arg(long = "speech-every-ms", default_value_t = 20_000)]
    speech_every_ms: u64,
}

fn parse_scenario(s: &str) -> Result<ScenarioName, String> {
    s.parse()
}

/// Installs the stop handlers (before the listen line is printed, so a supervisor that sends
/// SIGTERM right after reading it still gets a clean exit) and returns a future that waits.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async move {
            match (term, int) {
                (Some(mut t), Some(mut i)) => {
                    tokio::select! {
                        _ = t.recv() => {},
                        _ = i.recv() => {},
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    if !args.churn.is_finite() || args.churn < 0.0 {
        eprintln!("--churn must be a non-negative number");
        return ExitCode::from(2);
    }
    let config = EmulatorConfig {
        listen: args.listen,
        scenario: args.scenario,
        seed: args.seed,
        conversations: args.conversations,
        churn_per_minute: args.churn,
        patch_delay: Duration::from_millis(args.patch_delay_ms),
        heartbeat: Duration::from_secs(args.heartbeat_secs.max(1)),
        token_ttl: Duration::from_secs(args.token_ttl_secs.max(1)),
        rate_limit_per_minute: args.rate_limit,
        latency: Duration::from_millis(args.latency_ms),
        analytics_lag: Duration::from_millis(args.analytics_lag_ms),
        analytics_max_results: args.analytics_max_results.max(1),
        transcription_delay: Duration::from_millis(args.transcription_delay_ms),
        transcription_heartbeat: Duration::from_millis(args.transcription_heartbeat_ms.max(10)),
        speech_every: Duration::from_millis(match args.speech_every_ms {
            0 => 0,
            ms => ms.max(10),
        }),
    };
    let stop = stop_signal();
    let emulator = match genesys_emulator::start(config).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("genesys-emulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on {}", emulator.base_url());
        let _ = out.flush();
    }
    stop.await;
    tracing::info!("stopping");
    emulator.shutdown().await;
    ExitCode::SUCCESS
}
