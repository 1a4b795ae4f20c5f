//! `policy`: the stale/idle-leg policy file (issue 8). `policy check FILE` validates it and says each
//! rule in words; an error names the line and the field and exits 1. `policy run FILE` evaluates
//! the board, acts unless in dry run, and prints one line per decision: once with `--once`, else
//! until SIGTERM or Ctrl-C (the loop is the core's `PolicyRunner`; this file only wires and prints).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use genesys_model::QueueId;
use serde::Serialize;
use supervisor_core::app;
use supervisor_core::app::policy_run::RunnerSetup;
use supervisor_core::audit::AuditLog;
use supervisor_core::policy::{
    DecisionAction, Directory, Mode, Pass, Policy, PolicyFileError, RunError, metrics,
};
use tokio::sync::watch;

use crate::cli::QueueSelection;
use crate::commands::{action, live};
use crate::context::Context;
use crate::error::CliError;
use crate::output::{Exit, sanitize};

/// `policy`.
#[derive(Debug, Clone, Args)]
pub struct PolicyArgs {
    /// What to do with the policy.
    #[command(subcommand)]
    pub command: PolicyCommand,
}

/// The `policy` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum PolicyCommand {
    /// Validate a policy file and explain each rule in words (exit 1 naming the line and field of
    /// an error). Reads only the file: no sign-in needed.
    Check(CheckArgs),
    /// Evaluate the board of the given queues/people and act on what the rules find (unless dry
    /// run), one line per decision, until SIGTERM or Ctrl-C (or once with --once); signs in from
    /// the stored session like the other commands.
    Run(RunArgs),
}

/// `policy run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The policy file (TOML).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Which calls to look at.
    #[command(flatten)]
    pub selection: QueueSelection,
    /// Evaluate the current board once and exit (without it: run until SIGTERM or Ctrl-C).
    #[arg(long)]
    pub once: bool,
    /// Only say what enforcing would do (overrides the file's mode); nothing is sent.
    #[arg(long)]
    pub dry_run: bool,
    /// Serve Prometheus text metrics at http://ADDR/metrics (a loopback address only, such as
    /// 127.0.0.1:9464) while running.
    #[arg(long, value_name = "ADDR", conflicts_with = "once")]
    pub metrics: Option<String>,
}

/// `policy check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// The policy file (TOML).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CheckView<'a> {
    file: String,
    valid: bool,
    mode: &'static str,
    max_drops_per_minute: u32,
    rules: Vec<RuleView<'a>>,
    explanation: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleView<'a> {
    id: &'a str,
    when: &'static str,
    for_seconds: u64,
    purposes: &'a [String],
    queues: &'a [String],
    users: &'a [String],
    exclude_users: &'a [String],
    allow_customer_alone: bool,
    line: usize,
    explanation: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InvalidView<'a> {
    file: String,
    valid: bool,
    line: usize,
    column: usize,
    field: &'a str,
    message: &'a str,
}

/// Runs a `policy` subcommand.
pub async fn run(ctx: &Context, args: &PolicyArgs) -> Result<Exit, CliError> {
    match &args.command {
        PolicyCommand::Check(check) => run_check(ctx, check),
        PolicyCommand::Run(run) => run_policy(ctx, run).await.map_err(sign_in_exit),
    }
}

/// A run that only a new sign-in can fix exits [`Exit::SignInAgain`] (4), so a service stops
/// with one "sign in again" line instead of restarting into the same failure every few seconds.
fn sign_in_exit(mut e: CliError) -> CliError {
    if e.needs_sign_in {
        e.exit = Exit::SignInAgain;
    }
    e
}

async fn run_policy(ctx: &Context, args: &RunArgs) -> Result<Exit, CliError> {
    let policy = Policy::load(&args.file).map_err(|e| CliError::new(e.to_string()))?;
    let mode = if args.dry_run {
        Mode::DryRun
    } else {
        policy.mode
    };
    enforcement_allowed(mode, &supervisor_core::admin_config::AdminConfig::load())?;
    // Flags first: a refused metrics address fails before anything is read or sent.
    let listener = match &args.metrics {
        Some(addr) => Some(
            metrics::bind(addr)
                .await
                .map_err(|e| CliError::new(e.to_string()))?,
        ),
        None => None,
    };
    // Installed before signing in, so SIGTERM at any point of a continuous run ends it cleanly.
    let (stop_tx, stop) = watch::channel(false);
    if !args.once {
        let signal = stop_signal()
            .map_err(|e| CliError::new(format!("cannot listen for SIGTERM and Ctrl-C: {e}")))?;
        tokio::spawn(async move {
            signal.await;
            let _ = stop_tx.send(true);
        });
    }
    // One session for the roster and the actions: a refresh replaces the refresh token, so two
    // copies of the session would leave one of them with a dead one.
    let session = ctx.session().await?;
    let (queues, roster) = live::start_selection_for(&session, &args.selection).await?;
    let run = Run {
        ctx,
        args,
        session: &session,
        queues: &queues,
        roster: &roster,
    };
    let result = run.go(policy, mode, listener, stop).await;
    roster.shutdown().await;
    result
}

/// The admin's `allow_policy_enforcement = false` (config.toml) stops enforce mode before anything is
/// read or sent; a dry run is always allowed.
fn enforcement_allowed(
    mode: Mode,
    admin: &supervisor_core::admin_config::AdminConfig,
) -> Result<(), CliError> {
    if mode == Mode::Enforce && !admin.policy_enforcement_allowed() {
        return Err(CliError::new(
            "enforce mode is turned off by your administrator (allow_policy_enforcement = false in \
             config.toml, see docs/ADMIN.md): nothing was sent; run with --dry-run to see what the \
             policy would do",
        ));
    }
    Ok(())
}

struct Run<'a> {
    ctx: &'a Context,
    args: &'a RunArgs,
    session: &'a supervisor_core::auth::Session,
    queues: &'a [crate::commands::queues::QueueView],
    roster: &'a supervisor_core::roster::Roster,
}

impl Run<'_> {
    async fn go(
        &self,
        policy: Policy,
        mode: Mode,
        listener: Option<tokio::net::TcpListener>,
        mut stop: watch::Receiver<bool>,
    ) -> Result<Exit, CliError> {
        let ready = async {
            live::wait_trusted(self.roster, live::TRUST_TIMEOUT).await?;
            if !live::wait_full_detail(self.roster, live::DETAIL_TIMEOUT).await {
                eprintln!(
                    "note: some calls are not fully known yet; rules on mute and hold skip them"
                );
            }
            Ok::<_, CliError>(())
        };
        tokio::select! {
            ready = ready => ready?,
            // (`--once` has no signal task: its closed channel disables this branch.)
            Ok(_) = stop.wait_for(|s| *s) => return Ok(Exit::Success),
        }
        let audit_path = self.ctx.audit_path()?;
        let audit = tokio::task::spawn_blocking(move || AuditLog::open(audit_path))
            .await
            .map_err(|e| CliError::new(format!("opening the audit log failed: {e}")))??;
        let directory = self.queues.iter().fold(Directory::new(), |d, q| {
            d.queue(QueueId::new(q.id.clone()), q.name.clone())
        });
        // `silent` rules read the transcription feed; a single pass says why it cannot judge.
        let transcription = app::transcription::for_run(
            &self.session.api_client()?,
            self.roster,
            &policy,
            self.args.once,
            Default::default(),
        )
        .await;
        let mut runner = app::policy_run::open_runner(
            self.session,
            self.session.api_client()?,
            self.roster,
            audit,
            RunnerSetup {
                policy,
                mode,
                directory,
                transcription: transcription.input(),
            },
        )
        .await
        .map_err(action::error_to_cli)?;
        if self.args.once {
            let pass = runner.evaluate().await.map_err(run_error)?;
            self.print(&pass);
            if self.session.status() != supervisor_core::auth::SessionStatus::Active {
                // Findings met after the session ended were left undecided, not skipped.
                return Err(CliError::session_expired());
            }
            if pass.decisions.is_empty() && !self.ctx.printer.json() {
                self.ctx
                    .printer
                    .line("Nothing found: no rule matches a leg on the board now.");
            }
            return Ok(Exit::Success);
        }
        if let Some(listener) = listener {
            if let Ok(addr) = listener.local_addr() {
                eprintln!("Metrics: http://{addr}/metrics");
            }
            tokio::spawn(metrics::serve(listener, runner.metrics(), stop.clone()));
        }
        let names: Vec<&str> = self.queues.iter().map(|q| q.name.as_str()).collect();
        eprintln!(
            "Running {} ({}) on {} until SIGTERM or Ctrl-C...",
            sanitize(&self.args.file.display().to_string()),
            mode.as_str(),
            if names.is_empty() {
                "the chosen people".to_owned()
            } else {
                sanitize(&names.join(", "))
            }
        );
        runner
            .run(stop, Some(self.session.subscribe()), |pass| {
                self.print(pass)
            })
            .await
            .map_err(run_error)?;
        transcription.shutdown().await;
        eprintln!("Stopped: actions under way were finished and recorded.");
        Ok(Exit::Success)
    }

    /// One line (or one JSON object) per decision; the unavailable rules as notes on stderr.
    fn print(&self, pass: &Pass) {
        for u in pass.unavailable.iter().flatten() {
            eprintln!(
                "note: rule \"{}\": {}",
                sanitize(&u.rule),
                sanitize(&u.reason)
            );
        }
        let printer = &self.ctx.printer;
        for d in &pass.decisions {
            if printer.json() {
                printer.json_line(d);
                continue;
            }
            let what = match d.action {
                DecisionAction::WouldDrop => "would drop".to_owned(),
                DecisionAction::Dropped => {
                    format!("dropped ({})", d.outcome.as_deref().unwrap_or("unknown"))
                }
                DecisionAction::Skipped => format!(
                    "skipped ({})",
                    d.skipped_because.as_deref().unwrap_or("no reason given")
                ),
            };
            printer.line(&sanitize(&format!(
                "{what}: {}/{} by rule \"{}\": {}",
                d.conversation_id, d.participant_id, d.rule, d.reason
            )));
        }
    }
}

fn run_error(e: RunError) -> CliError {
    match e {
        RunError::SessionEnded => CliError::session_expired(),
        other => CliError::new(other.to_string()),
    }
}

/// SIGTERM or Ctrl-C (SIGINT), listened for from the moment this returns (not from the first
/// poll), so a signal during start-up is not lost.
#[cfg(unix)]
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = interrupt.recv() => {}
        }
    })
}

/// Ctrl-C.
#[cfg(not(unix))]
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

fn run_check(ctx: &Context, args: &CheckArgs) -> Result<Exit, CliError> {
    let file = args.file.display().to_string();
    let policy = match Policy::load(&args.file) {
        Ok(policy) => policy,
        Err(PolicyFileError::Invalid { path, error }) => {
            if ctx.printer.json() {
                ctx.printer.json_line(&InvalidView {
                    file: path.clone(),
                    valid: false,
                    line: error.line,
                    column: error.column,
                    field: &error.field,
                    message: &error.message,
                });
            }
            return Err(CliError::new(format!("{path}: {error}")));
        }
        Err(e @ PolicyFileError::Read { .. }) => return Err(CliError::new(e.to_string())),
    };
    let explanation = policy.explain();
    if ctx.printer.json() {
        ctx.printer.json_line(&CheckView {
            file,
            valid: true,
            mode: policy.mode.as_str(),
            max_drops_per_minute: policy.max_drops_per_minute,
            rules: policy
                .rules
                .iter()
                .map(|r| RuleView {
                    id: &r.id,
                    when: r.when.as_str(),
                    for_seconds: r.threshold.as_secs(),
                    purposes: &r.purposes,
                    queues: &r.queues,
                    users: &r.users,
                    exclude_users: &r.exclude_users,
                    allow_customer_alone: r.allow_customer_alone,
                    line: r.line,
                    explanation: r.explain(),
                })
                .collect(),
            explanation,
        });
    } else {
        ctx.printer.line(&format!(
            "{file}: valid, {} rule{}",
            policy.rules.len(),
            if policy.rules.len() == 1 { "" } else { "s" }
        ));
        for line in explanation {
            ctx.printer
                .line(&format!("  {}", crate::output::sanitize(&line)));
        }
    }
    Ok(Exit::Success)
}
