//! One module per command; `run` dispatches.

pub mod audit;
pub mod login;
pub mod logout;
pub mod queues;
pub mod whoami;

use crate::cli::Command;
use crate::context::Context;
use crate::error::CliError;
use crate::output::Exit;

/// Runs one command and returns the exit code its result maps to.
pub async fn run(ctx: &Context, command: &Command) -> Result<Exit, CliError> {
    match command {
        Command::Login(args) => login::run(ctx, args).await,
        Command::Logout => logout::run(ctx).await,
        Command::Whoami => whoami::run(ctx).await,
        Command::Queues(args) => queues::run(ctx, args).await,
        Command::Audit(args) => audit::run(ctx, args).await,
        Command::Calls(_)
        | Command::Drop(_)
        | Command::Mute(_)
        | Command::Unmute(_)
        | Command::Hold(_)
        | Command::Unhold(_)
        | Command::Watch(_) => Err(CliError::new(
            "this command needs the roster and actions of supervisor-core, which this build does not have yet",
        )),
    }
}
