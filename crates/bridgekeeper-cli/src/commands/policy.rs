//! `policy`: the stale/idle-leg policy file (issue 8). `policy check FILE` validates it and says each
//! rule in words; an error names the line and the field and exits 1. `policy run FILE --once`
//! evaluates the current board once, acts unless in dry run, and prints one line per decision.

use std::path::PathBuf;

use chrono::Utc;
use clap::{Args, Subcommand};
use genesys_model::QueueId;
use serde::Serialize;
use supervisor_core::actions::ActionsConfig;
use supervisor_core::app;
use supervisor_core::audit::{self, AuditLog};
use supervisor_core::policy::{
    AcceptedDrops, DecisionAction, Directory, Engine, FlagTracker, Mode, Observations, Policy,
    PolicyFileError, Transcription, TranscriptionAccess, detect,
};

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
    /// Evaluate the board of the given queues/people once and act on what the rules find (unless
    /// dry run), one line per decision; signs in from the stored session like the other commands.
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
    /// Evaluate the current board once and exit (required: running until stopped is not built yet).
    #[arg(long, required = true)]
    pub once: bool,
    /// Only say what enforcing would do (overrides the file's mode); nothing is sent.
    #[arg(long)]
    pub dry_run: bool,
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
        PolicyCommand::Run(run) => run_once(ctx, run).await,
    }
}

async fn run_once(ctx: &Context, args: &RunArgs) -> Result<Exit, CliError> {
    let policy = Policy::load(&args.file).map_err(|e| CliError::new(e.to_string()))?;
    let mode = if args.dry_run {
        Mode::DryRun
    } else {
        policy.mode
    };
    enforcement_allowed(mode, &supervisor_core::admin_config::AdminConfig::load())?;
    let session = ctx.session().await?;
    let (queues, roster) = live::start_selection(ctx, &args.selection).await?;
    let result = evaluate(ctx, policy, mode, &session, &queues, &roster).await;
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

async fn evaluate(
    ctx: &Context,
    policy: Policy,
    mode: Mode,
    session: &supervisor_core::auth::Session,
    queues: &[crate::commands::queues::QueueView],
    roster: &supervisor_core::roster::Roster,
) -> Result<Exit, CliError> {
    live::wait_trusted(roster, live::TRUST_TIMEOUT).await?;
    if !live::wait_full_detail(roster, live::DETAIL_TIMEOUT).await {
        eprintln!("note: some calls are not fully known yet; rules on mute and hold skip them");
    }
    let audit_path = ctx.audit_path()?;
    let audit = tokio::task::spawn_blocking(move || AuditLog::open(audit_path))
        .await
        .map_err(|e| CliError::new(format!("opening the audit log failed: {e}")))??;
    let actions = app::actions::open_actions(
        session,
        session.api_client()?,
        roster.clone(),
        audit.clone(),
        ActionsConfig::default(),
    )
    .await
    .map_err(action::error_to_cli)?;
    let history = {
        let log = audit.clone();
        tokio::task::spawn_blocking(move || log.read_all())
            .await
            .map_err(|e| CliError::new(format!("reading the audit log failed: {e}")))??
    };
    let now = Utc::now();
    let board = roster.snapshot().conversations;
    let mut flags = FlagTracker::new();
    flags.observe(&board, now);
    let accepted = AcceptedDrops::from_audit(&history.records);
    // The CLI does not subscribe to the transcription topic yet: `silent` says so, never "silent".
    let transcription = Transcription::new(TranscriptionAccess::Unavailable(
        "unavailable: this command does not read the transcription topic yet".into(),
    ));
    let directory = queues.iter().fold(Directory::new(), |d, q| {
        d.queue(QueueId::new(q.id.clone()), q.name.clone())
    });
    let obs = Observations {
        flags: &flags,
        accepted_drops: &accepted,
        transcription: &transcription,
        directory: &directory,
    };
    let detection = detect(&board, &policy, &obs, now);
    for u in &detection.unavailable {
        eprintln!(
            "note: rule \"{}\": {}",
            sanitize(&u.rule),
            sanitize(&u.reason)
        );
    }
    let me = actions.actor();
    let actor = audit::Actor {
        user_id: me.user_id.to_string(),
        name: me.name.clone(),
    };
    let mut engine = Engine::new(policy, mode, actions, audit, actor);
    let decisions = engine
        .decide(&board, &detection.findings, &obs, now)
        .await
        .map_err(|e| CliError::new(format!("the policy could not decide: {e}")))?;
    for d in &decisions {
        if ctx.printer.json() {
            ctx.printer.json_line(d);
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
        ctx.printer.line(&sanitize(&format!(
            "{what}: {}/{} by rule \"{}\": {}",
            d.conversation_id, d.participant_id, d.rule, d.reason
        )));
    }
    if decisions.is_empty() && !ctx.printer.json() {
        ctx.printer
            .line("Nothing found: no rule matches a leg on the board now.");
    }
    Ok(Exit::Success)
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
