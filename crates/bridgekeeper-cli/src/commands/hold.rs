//! `hold` / `unhold`: one PATCH, then wait for the party's `held` flag to show the change.

use std::time::Duration;

use crate::cli::PartyArgs;
use crate::commands::action::{self, Live};
use crate::context::Context;
use crate::error::CliError;
use crate::output::Exit;

/// Holds (`held = true`) or resumes one party and reports the outcome.
pub async fn run(ctx: &Context, args: &PartyArgs, held: bool) -> Result<Exit, CliError> {
    let (conversation, participant) = action::ids(args)?;
    let name = if held { "hold" } else { "unhold" };
    let live = Live::start(ctx, &conversation, Duration::from_secs(args.wait)).await?;
    let result = match live
        .actions
        .set_held(&conversation, &participant, held)
        .await
    {
        Ok(report) => action::print_report(ctx, &report, None),
        Err(e) => action::handle_error(ctx, name, (&conversation, &participant), None, e),
    };
    live.stop().await;
    result
}
