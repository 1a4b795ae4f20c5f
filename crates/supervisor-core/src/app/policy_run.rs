//! The policy runner as a client starts it (the CLI's `policy run`; the desktop can use the same):
//! the verified actions over the live roster, the engine acting as the signed-in user, and the
//! runner that evaluates once or keeps going.

use std::sync::{Arc, Mutex};

use genesys_client::Client;

use super::actions::open_actions;
use crate::actions::{ActionError, Actions, ActionsConfig};
use crate::audit::{self, AuditLog};
use crate::auth::Session;
use crate::policy::{Directory, Engine, Mode, Policy, PolicyRunner, Transcription};
use crate::roster::Roster;

/// What a runner runs: the policy, its mode, the names behind ids, the transcription input.
pub struct RunnerSetup {
    /// The policy file's rules.
    pub policy: Policy,
    /// The file's mode or `--dry-run`'s override.
    pub mode: Mode,
    /// Queue names (and user emails) the rules may name.
    pub directory: Directory,
    /// The `silent` rule's input, shared with whoever feeds it.
    pub transcription: Arc<Mutex<Transcription>>,
}

/// Opens the actions over `roster` (sending with `client`, the session's) and returns a runner of
/// the setup's policy, recording to `audit` as the signed-in user.
pub async fn open_runner(
    session: &Session,
    client: Client,
    roster: &Roster,
    audit: AuditLog,
    setup: RunnerSetup,
) -> Result<PolicyRunner<Actions>, ActionError> {
    let RunnerSetup {
        policy,
        mode,
        directory,
        transcription,
    } = setup;
    let actions = open_actions(
        session,
        client,
        roster.clone(),
        audit.clone(),
        ActionsConfig::default(),
    )
    .await?;
    let me = actions.actor();
    let actor = audit::Actor {
        user_id: me.user_id.to_string(),
        name: me.name.clone(),
    };
    let engine = Engine::new(policy, mode, actions, audit, actor);
    Ok(PolicyRunner::new(
        engine,
        roster.clone(),
        directory,
        transcription,
    ))
}
