//! `policy`: the stale/idle-leg policy file (issue 8). `policy check FILE` validates it and says each
//! rule in words; an error names the line and the field and exits 1.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde::Serialize;
use supervisor_core::policy::{Policy, PolicyFileError};

use crate::context::Context;
use crate::error::CliError;
use crate::output::Exit;

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
    }
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
