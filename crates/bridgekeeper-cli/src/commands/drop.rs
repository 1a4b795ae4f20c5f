//! `drop`: plan (who remains, warnings), confirm on a terminal, execute, and report whether the
//! leg really left.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use supervisor_core::actions::{DropPlan, PlanVerdict};

use crate::cli::DropArgs;
use crate::commands::action::{self, Live};
use crate::context::Context;
use crate::error::CliError;
use crate::output::{Exit, PartyLabel, PlanView, Printer, Style};

/// Plans, confirms and executes one drop.
pub async fn run(ctx: &Context, args: &DropArgs) -> Result<Exit, CliError> {
    let (conversation, _) = action::ids(&args.party)?;
    let interactive = std::io::stdin().is_terminal();
    if !args.yes && !interactive {
        return Err(CliError::new(
            "refusing to drop without confirmation: stdin is not a terminal; pass --yes to drop \
             without asking (nothing was sent)",
        ));
    }
    let live = Live::start(ctx, &conversation, Duration::from_secs(args.party.wait)).await?;
    let result = plan_and_execute(ctx, args, &live, interactive).await;
    live.stop().await;
    result
}

async fn plan_and_execute(
    ctx: &Context,
    args: &DropArgs,
    live: &Live,
    interactive: bool,
) -> Result<Exit, CliError> {
    let (conversation, participant) = action::ids(&args.party)?;
    let ids = (&conversation, &participant);
    let plan = match live.actions.plan_drop(&conversation, &participant).await {
        Ok(plan) => plan,
        Err(e) => return action::handle_error(ctx, "drop", ids, None, e),
    };
    let view = PlanView::from(&plan);
    if plan.verdict == PlanVerdict::Ready {
        if !ctx.printer.json() {
            for line in plan_lines(&ctx.printer, &view) {
                ctx.printer.line(&line);
            }
        }
        if !args.yes && !confirm(ctx, &plan, &view, interactive)? {
            return Err(CliError::new("drop cancelled; nothing was sent"));
        }
    }
    match live.actions.execute_drop(&plan).await {
        Ok(report) => action::print_report(ctx, &report, Some(&plan)),
        Err(e) => action::handle_error(ctx, "drop", ids, Some(&plan), e),
    }
}

/// The plan in words: target, who remains, warnings.
pub fn plan_lines(printer: &Printer, view: &PlanView) -> Vec<String> {
    let mut lines = vec![format!("Drop {}", view.target.label())];
    if let Some(r) = &view.resolution {
        lines.push(format!("  {}", crate::output::sanitize(r)));
    }
    if view.remaining.is_empty() {
        lines.push("  Remaining: no one".into());
    } else {
        let names: Vec<String> = view.remaining.iter().map(PartyLabel::label).collect();
        lines.push(format!("  Remaining: {}", names.join(", ")));
    }
    for w in &view.warning_texts {
        lines.push(format!("  {} {w}", printer.paint("Warning:", Style::Warn)));
    }
    lines
}

/// Asks on the terminal; only `y`/`yes` proceeds.
fn confirm(
    ctx: &Context,
    plan: &DropPlan,
    view: &PlanView,
    interactive: bool,
) -> Result<bool, CliError> {
    if !interactive {
        return Ok(false);
    }
    let mut err = std::io::stderr().lock();
    if ctx.printer.json() {
        // Stdout carries only the outcome object: show the plan on the terminal's stderr.
        for line in plan_lines(&Printer::new(false), view) {
            let _ = writeln!(err, "{line}");
        }
    }
    let _ = write!(
        err,
        "Drop {} from the call? [y/N] ",
        PartyLabel::from(&plan.target).label()
    );
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::new(format!("cannot read the answer: {e}")))?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
