//! What drop, mute and hold share: the actions over a roster of the call's queues, and turning a
//! report or an error into output and an exit code.

use std::time::Duration;

use genesys_model::{ConversationId, ParticipantId};
use supervisor_core::actions::{ActionError, ActionReport, Actions, ActionsConfig, DropPlan};
use supervisor_core::app;
use supervisor_core::audit::{AuditError, AuditLog};
use supervisor_core::present;
use supervisor_core::roster::Roster;

use crate::cli::PartyArgs;
use crate::commands::live;
use crate::context::Context;
use crate::error::CliError;
use crate::output::{Exit, OutcomeView, PartyLabel};

/// The longest a confirmation waits before the one re-read, whatever `--wait` says.
const MAX_REREAD_AFTER: Duration = Duration::from_secs(2);

/// Checked ids from the command line.
pub fn ids(args: &PartyArgs) -> Result<(ConversationId, ParticipantId), CliError> {
    let checked = |id: &str, what: &'static str| {
        app::ids::valid_id(id, what).map_err(|_| {
            CliError::new(format!(
                "{id:?} is not a {what} id (letters, digits and dashes, as listed by `calls`)"
            ))
        })
    };
    let conversation = checked(&args.conversation, "conversation")?;
    let participant = checked(&args.participant, "participant")?;
    Ok((
        ConversationId::new(conversation),
        ParticipantId::new(participant),
    ))
}

/// The actions of the signed-in user over a roster of the conversation's queues.
pub struct Live {
    /// The verified actions.
    pub actions: Actions,
    roster: Roster,
}

impl Live {
    /// Signs in from the keyring, opens the audit log, starts the roster and reads the actor.
    pub async fn start(
        ctx: &Context,
        conversation: &ConversationId,
        wait: Duration,
    ) -> Result<Self, CliError> {
        let session = ctx.session().await?;
        let audit_path = ctx.audit_path()?;
        let audit = tokio::task::spawn_blocking(move || AuditLog::open(audit_path))
            .await
            .map_err(|e| CliError::new(format!("opening the audit log failed: {e}")))??;
        let api = session.api_client()?;
        let roster = live::for_conversation(&session, &api, conversation).await;
        let config = ActionsConfig {
            confirm_timeout: wait,
            reread_after: (wait / 2).min(MAX_REREAD_AFTER),
            ..ActionsConfig::default()
        };
        let actions =
            match app::actions::open_actions(&session, api.clone(), roster.clone(), audit, config)
                .await
            {
                Ok(actions) => actions,
                Err(e) => {
                    roster.shutdown().await;
                    return Err(error_to_cli(e));
                }
            };
        Ok(Self { actions, roster })
    }

    /// Stops the notification socket and the roster task.
    pub async fn stop(self) {
        self.roster.shutdown().await;
    }
}

/// Prints an action's report and returns the exit code its outcome maps to.
pub fn print_report(
    ctx: &Context,
    report: &ActionReport,
    plan: Option<&DropPlan>,
) -> Result<Exit, CliError> {
    let view = OutcomeView::from_report(report, plan);
    print_view(ctx, &view)
}

/// Prints an outcome; a non-success outcome also gets its one-line reason on stderr.
pub fn print_view(ctx: &Context, view: &OutcomeView) -> Result<Exit, CliError> {
    if ctx.printer.json() {
        ctx.printer.json_line(view);
    } else {
        for line in view.human_lines(&ctx.printer) {
            ctx.printer.line(&line);
        }
    }
    match view.reason() {
        Some(reason) => Err(CliError::with_exit(reason, view.exit())),
        None => Ok(view.exit()),
    }
}

/// Turns an action error into output: a local permission refusal is an outcome (`refused`, exit 2,
/// nothing sent); an audit failure prints the outcome and fails; everything else is exit 1.
pub fn handle_error(
    ctx: &Context,
    action: &'static str,
    ids: (&ConversationId, &ParticipantId),
    plan: Option<&DropPlan>,
    error: ActionError,
) -> Result<Exit, CliError> {
    match error {
        ActionError::Forbidden {
            verb,
            ref party,
            permission,
        } => {
            let target = plan
                .map(|p| PartyLabel::from(&p.target))
                .unwrap_or(PartyLabel {
                    participant_id: ids.1.as_str().to_owned(),
                    name: party.clone(),
                    purpose: String::new(),
                });
            let view = OutcomeView {
                action,
                outcome: "refused",
                conversation_id: ids.0.as_str().to_owned(),
                participant_id: target.participant_id.clone(),
                requested_participant_id: None,
                party: target,
                latency_ms: 0,
                request_sent: false,
                confirmed_via: None,
                call_ended: None,
                others_left: Vec::new(),
                waited_ms: None,
                still_shows: None,
                communication_id: None,
                status: None,
                code: Some("Forbidden".into()),
                message: Some(format!("missing permission {permission} to {verb} {party}")),
                explanation: Some(present::error::action(&error)),
                resolution: None,
                correlation_id: None,
                audit_id: None,
                plan: plan.map(Into::into),
            };
            print_view(ctx, &view)
        }
        ActionError::AuditFailed { report, source } => {
            let _ = print_report(ctx, &report, plan);
            Err(audit_not_written(&source))
        }
        other => Err(error_to_cli(other)),
    }
}

/// The outcome was printed but is not in the audit log: says which file and what the system said,
/// from the typed cause (not from a flattened string).
fn audit_not_written(cause: &AuditError) -> CliError {
    match cause {
        AuditError::Io { path, source } => CliError::new(format!(
            "the outcome above could not be written to the audit log {}: {source}",
            path.display()
        )),
        other => CliError::new(format!(
            "the outcome above could not be written to the audit log: {other}"
        )),
    }
}

/// An action error that is not an outcome, as a one-line CLI error.
pub fn error_to_cli(error: ActionError) -> CliError {
    match error {
        ActionError::SessionExpired => CliError::session_expired(),
        ActionError::NotSignedIn => CliError::not_signed_in(),
        ActionError::PlanExpired { reason, .. } => CliError::new(format!(
            "{reason}; nothing was sent: run the command again to review the new situation"
        )),
        other => {
            let mut text = present::error::action(&other);
            if let Some(id) = other.correlation_id() {
                text.push_str(&format!(" (correlation id {id})"));
            }
            CliError::new(text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(c: &str, p: &str) -> PartyArgs {
        PartyArgs {
            conversation: c.into(),
            participant: p.into(),
            wait: 5,
        }
    }

    #[test]
    fn ids_are_checked_before_anything_is_sent() {
        let (c, p) = ids(&args(" 6f1e-aa ", "p_1")).expect("valid");
        assert_eq!((c.as_str(), p.as_str()), ("6f1e-aa", "p_1"));
        assert!(ids(&args("", "p")).is_err());
        assert!(ids(&args("c/../x", "p")).is_err());
        let e = ids(&args("c", "p q")).expect_err("space");
        assert!(e.message.contains("participant id"), "{e}");
        assert!(ids(&args(&"a".repeat(129), "p")).is_err());
    }
}
