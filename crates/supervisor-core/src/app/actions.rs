//! Drop, mute and hold from the board: the drop plans waiting for confirmation, and the actions
//! built once per live board.

use chrono::Utc;
use genesys_client::Client;
use genesys_model::{ConversationId, ParticipantId};

use super::ids::one_id;
use super::{Desktop, lock};
use crate::actions::{ActionError, Actions, ActionsConfig};
use crate::audit::AuditLog;
use crate::auth::Session;
use crate::ipc::actions::{
    ActionResult, DropPlanView, ExecuteDropRequest, PlanDropRequest, SetFlagRequest,
};
use crate::ipc::error::{ErrorCode, IpcError};
use crate::roster::Roster;

/// The verified actions of a signed-in session over a live roster (the desktop's board, the CLI's
/// `drop`, `mute` and `hold`): they send with the session's REST client (`client`, the one whose
/// request budget the roster shares), read who is acting, and follow the session, so its end is
/// recognised before any request.
pub async fn open_actions(
    session: &Session,
    client: Client,
    roster: Roster,
    audit: AuditLog,
    config: ActionsConfig,
) -> Result<Actions, ActionError> {
    let actions = Actions::new(client, roster, audit, config).await?;
    actions.attach_session(session.clone());
    Ok(actions)
}

impl Desktop {
    /// The actions over the live board, opened once per board (also for the policy and the whole-call disconnect).
    pub(super) async fn actions(&self) -> Result<Actions, IpcError> {
        let audit = self.audit()?.clone();
        let (live, session, client) = self
            .with_signed(|s| (s.live.clone(), s.session.clone(), s.client.clone()))
            .await?;
        let Some(live) = live else {
            return Err(IpcError::invalid(
                "Choose the queues to watch first; actions work on calls of watched queues.",
            ));
        };
        let actions = live
            .actions
            .get_or_try_init(|| async {
                Ok::<_, IpcError>(
                    open_actions(
                        &session,
                        client,
                        live.roster.clone(),
                        audit,
                        self.config.actions.clone(),
                    )
                    .await?,
                )
            })
            .await?;
        Ok(actions.clone())
    }

    /// `plan_drop`: who would be dropped, who remains, what to warn about; nothing is sent.
    pub async fn plan_drop(&self, request: PlanDropRequest) -> Result<DropPlanView, IpcError> {
        let conversation = ConversationId::new(one_id(&request.conversation_id, "conversation")?);
        let participant = ParticipantId::new(one_id(&request.participant_id, "participant")?);
        let actions = self.actions().await?;
        let plan = actions.plan_drop(&conversation, &participant).await?;
        let view = DropPlanView::from(&plan);
        let mut plans = lock(&self.plans);
        let now = Utc::now();
        plans.retain(|_, p| p.expires_at > now);
        plans.insert(view.plan_id.clone(), plan);
        Ok(view)
    }

    /// `execute_drop`: carries out a plan once (the core re-checks the leg first).
    pub async fn execute_drop(
        &self,
        request: ExecuteDropRequest,
    ) -> Result<ActionResult, IpcError> {
        let plan = lock(&self.plans).remove(request.plan_id.trim());
        let Some(plan) = plan else {
            return Err(IpcError::new(
                ErrorCode::PlanExpired,
                "This drop was already carried out or its check is too old; check the call again.",
            ));
        };
        let actions = self.actions().await?;
        let _busy = self.in_flight.enter();
        let report = actions.execute_drop(&plan).await?;
        Ok(ActionResult::from(&report))
    }

    /// `set_mute`: mutes or unmutes one leg and waits to see it.
    pub async fn set_mute(&self, request: SetFlagRequest) -> Result<ActionResult, IpcError> {
        let (conversation, participant) = Self::target(&request)?;
        let actions = self.actions().await?;
        let _busy = self.in_flight.enter();
        let report = actions
            .set_muted(&conversation, &participant, request.on)
            .await?;
        Ok(ActionResult::from(&report))
    }

    /// `set_hold`: holds or resumes one leg and waits to see it.
    pub async fn set_hold(&self, request: SetFlagRequest) -> Result<ActionResult, IpcError> {
        let (conversation, participant) = Self::target(&request)?;
        let actions = self.actions().await?;
        let _busy = self.in_flight.enter();
        let report = actions
            .set_held(&conversation, &participant, request.on)
            .await?;
        Ok(ActionResult::from(&report))
    }

    /// How many drops, mutes and holds are under way now (an update never installs in the middle of one).
    pub fn actions_in_flight(&self) -> usize {
        self.in_flight.count()
    }

    fn target(request: &SetFlagRequest) -> Result<(ConversationId, ParticipantId), IpcError> {
        Ok((
            ConversationId::new(one_id(&request.conversation_id, "conversation")?),
            ParticipantId::new(one_id(&request.participant_id, "participant")?),
        ))
    }
}
