//! `bridgekeeper-cli`: parse, run one command, exit with the code its outcome maps to.

mod cli;
mod commands;
mod context;
mod error;
mod output;

use clap::Parser;

fn main() {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version print and succeed; usage errors exit 1, not clap's 2, which
            // scripts must be able to read as "refused".
            let _ = e.print();
            std::process::exit(if e.use_stderr() {
                output::Exit::Failure.code()
            } else {
                output::Exit::Success.code()
            });
        }
    };
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(output::Exit::Failure.code());
        }
    };
    let ctx = context::Context::new(cli.global.clone());
    let exit = match runtime.block_on(commands::run(&ctx, &cli.command)) {
        Ok(exit) => exit,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit
        }
    };
    // Do not wait for background tasks (sockets, timers) once the answer is printed.
    runtime.shutdown_background();
    std::process::exit(exit.code());
}

/// Logs go to stderr only when asked for (`BRIDGEKEEPER_LOG=debug` or `RUST_LOG`), so stderr
/// otherwise carries just the one-line reason a script logs.
fn init_logging() {
    let filter = std::env::var("BRIDGEKEEPER_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "off".to_owned());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}
