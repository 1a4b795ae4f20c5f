//! One module per command; `run` dispatches.

pub mod action;
pub mod audit;
pub mod calls;
pub mod drop;
pub mod hold;
pub mod live;
pub mod login;
pub mod logout;
pub mod mute;
pub mod policy;
pub mod queues;
pub mod watch;
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
        Command::Calls(args) => calls::run(ctx, args).await,
        Command::Drop(args) => drop::run(ctx, args).await,
        Command::Mute(args) => mute::run(ctx, args, true).await,
        Command::Unmute(args) => mute::run(ctx, args, false).await,
        Command::Hold(args) => hold::run(ctx, args, true).await,
        Command::Unhold(args) => hold::run(ctx, args, false).await,
        Command::Watch(args) => watch::run(ctx, args).await,
        Command::Audit(args) => audit::run(ctx, args).await,
        Command::Policy(args) => policy::run(ctx, args).await,
    }
}
