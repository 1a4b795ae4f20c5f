//! The verified actions: drop (plan, then execute), mute/unmute, hold/unhold — the orchestration.
//!
//! Verification lives in `verify.rs`, judgement (and outcome wording) in `judge.rs`, audit
//! writing in `audit_trail.rs`.
//!
//! About 750 lines on purpose: the three actions share one orchestration (ids, session, route, audit,
//! verification), and each is read top to bottom here; verification, judgement and audit are split out.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use genesys_client::request::build;
use genesys_client::{Client, ErrorKind, Priority, Request};
use genesys_model::error::codes;
use genesys_model::{
    CommunicationId, ConversationId, MediaParticipantRequest, PERMISSION_DISCONNECT, ParticipantId,
    UserId, UserMe,
};
use tracing::Instrument;

use super::audit_trail::{Audited, audit_request};
use super::error::ActionError;
use super::judge::{already_gone, refused};
use super::outcome::{ActionKind, ActionReport, ActionTimings, PartySummary};
use super::plan::{self, DropPlan, PlanOptions, PlanVerdict, Target};
use super::verify::{Expect, Flag, Verified};
use crate::audit::{AuditLog, AuditRequest};
use crate::auth::{Lifecycle, Session, SessionStatus};
use crate::roster::{ConversationRecord, Roster, RosterError};

/// The signed-in supervisor, as the actions need them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// Genesys user id: decides which legs are the user's own.
    pub user_id: UserId,
    /// Display name, for the audit log.
    pub name: String,
    /// Holds `conversation:communication:disconnect`: may act on other people's legs.
    pub can_act_on_others: bool,
}

impl Actor {
    /// From `GET /api/v2/users/me?expand=authorization`.
    pub fn from_user(me: &UserMe) -> Self {
        Self {
            user_id: me.id.clone(),
            name: me.display_name().to_owned(),
            can_act_on_others: me.has_permission(PERMISSION_DISCONNECT),
        }
    }
}

/// Timing of the verification.
#[derive(Clone, Debug)]
pub struct ActionsConfig {
    /// How long to wait for the change to show before reporting `NotConfirmed`.
    pub confirm_timeout: Duration,
    /// When no confirming event arrived after this long, the conversation is re-read once.
    pub reread_after: Duration,
    /// A drop plan older than this must be made again (the call may have changed).
    pub plan_ttl: Duration,
}

impl Default for ActionsConfig {
    fn default() -> Self {
        Self {
            confirm_timeout: Duration::from_secs(8),
            reread_after: Duration::from_secs(2),
            plan_ttl: Duration::from_secs(120),
        }
    }
}

/// Drop, mute and hold with verification and an audit record each; cheap to clone.
#[derive(Clone)]
pub struct Actions {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    /// The REST client the actions send with (interactive priority, the session's budget).
    pub(super) client: Client,
    pub(super) roster: Roster,
    pub(super) audit: AuditLog,
    pub(super) actor: RwLock<Actor>,
    pub(super) config: ActionsConfig,
    /// The lifecycle followed (the session's once attached): the only record of whether the
    /// session ended.
    pub(super) lifecycle: RwLock<Lifecycle>,
}

impl std::fmt::Debug for Actions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Actions")
            .field("actor", &self.actor())
            .field("expired", &self.session_expired())
            .finish_non_exhaustive()
    }
}

/// One action in progress: what the audit record and the report need.
pub(super) struct Ctx {
    pub(super) kind: ActionKind,
    pub(super) conversation_id: ConversationId,
    pub(super) requested: ParticipantId,
    pub(super) party: Option<PartySummary>,
    pub(super) communication_id: Option<CommunicationId>,
    pub(super) resolution: Option<String>,
    pub(super) started: Instant,
    pub(super) started_at: DateTime<Utc>,
    pub(super) timings: ActionTimings,
    pub(super) request: Option<AuditRequest>,
}

impl Ctx {
    fn new(kind: ActionKind, conversation_id: &ConversationId, requested: &ParticipantId) -> Self {
        Self {
            kind,
            conversation_id: conversation_id.clone(),
            requested: requested.clone(),
            party: None,
            communication_id: None,
            resolution: None,
            started: Instant::now(),
            started_at: Utc::now(),
            timings: ActionTimings::default(),
            request: None,
        }
    }

    pub(super) fn party_label(&self) -> String {
        self.party.as_ref().map_or_else(
            || format!("participant {}", self.requested),
            |p| p.name.clone(),
        )
    }
}

impl Actions {
    /// Reads the signed-in user and their permissions (`users/me?expand=authorization`) and builds
    /// the actions that send with `client` (the session's), check against the roster and record
    /// in the audit log.
    pub async fn new(
        client: Client,
        roster: Roster,
        audit: AuditLog,
        config: ActionsConfig,
    ) -> Result<Self, ActionError> {
        let client = client.with_priority(Priority::Interactive);
        let me = client
            .users_me(&["authorization"])
            .await
            .map_err(|e| read_error(e, None))?;
        Ok(Self::with_actor(
            client,
            roster,
            audit,
            Actor::from_user(&me),
            config,
        ))
    }

    /// Builds the actions for a known actor (the CLI with a cached profile, tests, benches).
    pub fn with_actor(
        client: Client,
        roster: Roster,
        audit: AuditLog,
        actor: Actor,
        config: ActionsConfig,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                client: client.with_priority(Priority::Interactive),
                roster,
                audit,
                actor: RwLock::new(actor),
                config,
                lifecycle: RwLock::new(Lifecycle::new()),
            }),
        }
    }

    /// Ties the actions to a session, so an expired or signed-out session is recognised before any
    /// request (and a PKCE session's expiry is reported as `SessionExpired`, not `NotSignedIn`);
    /// a refused request ends the session for every other subscriber.
    pub fn attach_session(&self, session: Session) {
        let theirs = session.lifecycle();
        let ours = std::mem::replace(
            &mut *self
                .inner
                .lifecycle
                .write()
                .unwrap_or_else(PoisonError::into_inner),
            theirs.clone(),
        );
        if ours.status() == SessionStatus::Expired {
            theirs.end();
        }
    }

    fn lifecycle(&self) -> Lifecycle {
        self.inner
            .lifecycle
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Who is acting.
    pub fn actor(&self) -> Actor {
        self.inner
            .actor
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Re-reads the user's permissions (after an administrator changed the role, say).
    pub async fn refresh_actor(&self) -> Result<Actor, ActionError> {
        self.check_session()?;
        let me = self
            .inner
            .client
            .users_me(&["authorization"])
            .await
            .map_err(|e| self.client_error(e, None))?;
        let actor = Actor::from_user(&me);
        *self
            .inner
            .actor
            .write()
            .unwrap_or_else(PoisonError::into_inner) = actor.clone();
        Ok(actor)
    }

    /// The roster the actions check against.
    pub fn roster(&self) -> &Roster {
        &self.inner.roster
    }

    /// The REST client the actions were given (by the session's owner, not the roster), for the
    /// policy engine's per-communication disconnect.
    pub(crate) fn client(&self) -> &Client {
        &self.inner.client
    }

    /// True once the followed session ended by itself (a refused request, an expired token, the
    /// platform's revocation): every later action fails fast.
    pub fn session_expired(&self) -> bool {
        self.lifecycle().status() == SessionStatus::Expired
    }

    /// A request was refused as unauthenticated: the session is over, for everyone following it.
    pub(super) fn expire(&self) {
        self.lifecycle().end();
    }

    fn check_session(&self) -> Result<(), ActionError> {
        match self.lifecycle().status() {
            SessionStatus::Expired => Err(ActionError::SessionExpired),
            SessionStatus::SignedOut => Err(ActionError::NotSignedIn),
            SessionStatus::Active => Ok(()),
        }
    }

    /// Maps a failed read or request that produced no outcome.
    fn client_error(
        &self,
        e: genesys_client::Error,
        conversation: Option<&ConversationId>,
    ) -> ActionError {
        match e.kind() {
            ErrorKind::Unauthorized => {
                self.expire();
                ActionError::SessionExpired
            }
            ErrorKind::NotSignedIn => {
                if self.session_expired() {
                    ActionError::SessionExpired
                } else {
                    ActionError::NotSignedIn
                }
            }
            _ => read_error(e, conversation),
        }
    }

    /// The record to decide on: the board's when it is trusted, else a fresh read.
    async fn current_record(
        &self,
        conversation: &ConversationId,
    ) -> Result<Arc<ConversationRecord>, ActionError> {
        let roster = &self.inner.roster;
        if roster.status().trusted {
            if let Some(record) = roster.conversation(conversation) {
                return Ok(record);
            }
        }
        self.reread(conversation).await
    }

    async fn reread(
        &self,
        conversation: &ConversationId,
    ) -> Result<Arc<ConversationRecord>, ActionError> {
        match self.inner.roster.reread(conversation).await {
            Ok(record) => Ok(record),
            Err(RosterError::ConversationNotFound(_)) => Err(ActionError::ParticipantGone {
                conversation_id: conversation.clone(),
                participant_id: None,
                detail: "That call no longer exists.".into(),
            }),
            Err(RosterError::Api(e)) => Err(self.client_error(e, Some(conversation))),
            Err(other) => Err(ActionError::Internal(other)),
        }
    }

    fn check_ids(
        conversation: &ConversationId,
        participant: &ParticipantId,
    ) -> Result<(), ActionError> {
        if conversation.is_empty() || participant.is_empty() {
            return Err(ActionError::InvalidArgument(
                "a conversation id and a participant id are required".into(),
            ));
        }
        Ok(())
    }

    /// Plans a drop with the default options; see [`Actions::plan_drop_with`].
    pub async fn plan_drop(
        &self,
        conversation: &ConversationId,
        participant: &ParticipantId,
    ) -> Result<DropPlan, ActionError> {
        self.plan_drop_with(conversation, participant, PlanOptions::default())
            .await
    }

    /// Step one of a drop: re-checks the leg (board when trusted, else one GET), resolves a stale
    /// duplicate to the person's live leg, checks the permission for someone else's leg, and states
    /// the consequences. Sends nothing that changes anything.
    pub async fn plan_drop_with(
        &self,
        conversation: &ConversationId,
        participant: &ParticipantId,
        options: PlanOptions,
    ) -> Result<DropPlan, ActionError> {
        Self::check_ids(conversation, participant)?;
        self.check_session()?;
        let mut record = self.current_record(conversation).await?;
        if record.leg(participant).is_none() && !record.ended {
            // The board may not have seen a leg that just joined: read once before saying "unknown".
            record = self.reread(conversation).await?;
        }
        let actor = self.actor();
        let plan = match plan::resolve(&record, participant) {
            Target::Unknown => {
                return Err(ActionError::ParticipantGone {
                    conversation_id: conversation.clone(),
                    participant_id: Some(participant.clone()),
                    detail: format!("Participant {participant} is not on this call."),
                });
            }
            Target::NotActionable(party) => {
                return Err(not_actionable(conversation, party));
            }
            Target::Gone(party) => plan::build(
                &record,
                participant,
                party,
                None,
                PlanVerdict::AlreadyGone,
                &actor.user_id,
                actor.can_act_on_others,
                options,
                self.inner.config.plan_ttl,
            ),
            Target::Live(party, resolution) => plan::build(
                &record,
                participant,
                party,
                resolution,
                PlanVerdict::Ready,
                &actor.user_id,
                actor.can_act_on_others,
                options,
                self.inner.config.plan_ttl,
            ),
        };
        if plan.verdict == PlanVerdict::Ready && !plan.permitted && !options.skip_permission_check {
            return Err(ActionError::Forbidden {
                verb: ActionKind::Drop.verb(),
                party: plan.target.label(),
                permission: PERMISSION_DISCONNECT,
            });
        }
        tracing::info!(
            plan_id = %plan.id,
            conversation_id = %plan.conversation_id,
            participant_id = %plan.target.participant_id,
            verdict = ?plan.verdict,
            warnings = ?plan.warnings,
            "drop planned"
        );
        Ok(plan)
    }

    /// Step two of a drop: re-checks that the plan still holds (same leg live, same consequences),
    /// sends exactly one `PATCH …/participants/{id}` `{"state":"disconnected"}`, and waits for the
    /// roster to show the leg ended (one re-read if the event is late). Audited before returning.
    pub async fn execute_drop(&self, plan: &DropPlan) -> Result<ActionReport, ActionError> {
        let mut ctx = Ctx::new(
            ActionKind::Drop,
            &plan.conversation_id,
            &plan.requested_participant_id,
        );
        ctx.party = Some(plan.target.clone());
        ctx.resolution = plan.resolution.clone();
        let span = tracing::info_span!(
            "drop",
            plan_id = %plan.id,
            conversation_id = %plan.conversation_id,
            participant_id = %plan.target.participant_id
        );
        let result = self
            .execute_drop_inner(plan, &mut ctx)
            .instrument(span)
            .await;
        match result {
            Ok(Audited(answer)) => answer,
            Err(e) => Err(self.audit_failure(&ctx, e).await),
        }
    }

    async fn execute_drop_inner(
        &self,
        plan: &DropPlan,
        ctx: &mut Ctx,
    ) -> Result<Audited, ActionError> {
        self.check_session()?;
        if plan.created.elapsed() > self.inner.config.plan_ttl || Utc::now() > plan.expires_at {
            return Err(ActionError::PlanExpired {
                reason: format!(
                    "the drop plan is older than {} s",
                    self.inner.config.plan_ttl.as_secs()
                ),
                fresh: None,
            });
        }
        let body = MediaParticipantRequest::disconnect();
        ctx.request = Some(audit_request(
            &plan.conversation_id,
            &plan.target.participant_id,
            &body,
        ));
        if plan.verdict == PlanVerdict::AlreadyGone {
            return Ok(self.finish(ctx, already_gone(ctx, false), None, None).await);
        }
        let record = self.current_record(&plan.conversation_id).await?;
        let actor = self.actor();
        let party = match plan::resolve(&record, &plan.target.participant_id) {
            Target::Live(party, _) => party,
            Target::Gone(_) => {
                return Ok(self.finish(ctx, already_gone(ctx, false), None, None).await);
            }
            Target::Unknown => {
                return Err(ActionError::ParticipantGone {
                    conversation_id: plan.conversation_id.clone(),
                    participant_id: Some(plan.target.participant_id.clone()),
                    detail: format!("{} is no longer on this call.", plan.target.label()),
                });
            }
            Target::NotActionable(party) => {
                return Err(not_actionable(&plan.conversation_id, party));
            }
        };
        ctx.communication_id = party.communication_id.clone();
        let fresh = plan::build(
            &record,
            &plan.requested_participant_id,
            party,
            plan.resolution.clone(),
            PlanVerdict::Ready,
            &actor.user_id,
            actor.can_act_on_others,
            PlanOptions {
                skip_permission_check: plan.skip_permission_check,
            },
            self.inner.config.plan_ttl,
        );
        let new_warnings = fresh.warnings.iter().any(|w| !plan.warnings.contains(w));
        if new_warnings || fresh.call_will_end != plan.call_will_end {
            return Err(ActionError::PlanExpired {
                reason: "the call changed since the drop was reviewed".into(),
                fresh: Some(Box::new(fresh)),
            });
        }
        if !fresh.permitted && !plan.skip_permission_check {
            return Err(ActionError::Forbidden {
                verb: ActionKind::Drop.verb(),
                party: plan.target.label(),
                permission: PERMISSION_DISCONNECT,
            });
        }
        let expect = Expect::Dropped {
            target: plan.target.participant_id.clone(),
            remaining: fresh.remaining.clone(),
            call_will_end: fresh.call_will_end,
        };
        self.send_and_verify(ctx, body, expect).await
    }

    /// Mutes or unmutes a party and waits for the roster to show the new `muted` flag.
    pub async fn set_muted(
        &self,
        conversation: &ConversationId,
        participant: &ParticipantId,
        muted: bool,
    ) -> Result<ActionReport, ActionError> {
        let kind = if muted {
            ActionKind::Mute
        } else {
            ActionKind::Unmute
        };
        self.set_flag(
            kind,
            conversation,
            participant,
            MediaParticipantRequest::mute(muted),
            Flag::Muted,
            muted,
        )
        .await
    }

    /// Holds or resumes a party and waits for the roster to show the new `held` flag.
    pub async fn set_held(
        &self,
        conversation: &ConversationId,
        participant: &ParticipantId,
        held: bool,
    ) -> Result<ActionReport, ActionError> {
        let kind = if held {
            ActionKind::Hold
        } else {
            ActionKind::Unhold
        };
        self.set_flag(
            kind,
            conversation,
            participant,
            MediaParticipantRequest::hold(held),
            Flag::Held,
            held,
        )
        .await
    }

    async fn set_flag(
        &self,
        kind: ActionKind,
        conversation: &ConversationId,
        participant: &ParticipantId,
        body: MediaParticipantRequest,
        flag: Flag,
        value: bool,
    ) -> Result<ActionReport, ActionError> {
        let mut ctx = Ctx::new(kind, conversation, participant);
        let span = tracing::info_span!(
            "set_flag",
            action = kind.verb(),
            conversation_id = %conversation,
            participant_id = %participant
        );
        let result = self
            .set_flag_inner(&mut ctx, conversation, participant, body, flag, value)
            .instrument(span)
            .await;
        match result {
            Ok(Audited(answer)) => answer,
            Err(e) => Err(self.audit_failure(&ctx, e).await),
        }
    }

    async fn set_flag_inner(
        &self,
        ctx: &mut Ctx,
        conversation: &ConversationId,
        participant: &ParticipantId,
        body: MediaParticipantRequest,
        flag: Flag,
        value: bool,
    ) -> Result<Audited, ActionError> {
        Self::check_ids(conversation, participant)?;
        ctx.request = Some(audit_request(conversation, participant, &body));
        self.check_session()?;
        let mut record = self.current_record(conversation).await?;
        if record.leg(participant).is_none() && !record.ended {
            record = self.reread(conversation).await?;
        }
        let party = match plan::resolve(&record, participant) {
            Target::Live(party, resolution) => {
                ctx.resolution = resolution;
                party
            }
            Target::Gone(party) => {
                ctx.party = Some(PartySummary::from(party));
                return Ok(self.finish(ctx, already_gone(ctx, false), None, None).await);
            }
            Target::Unknown => {
                return Err(ActionError::ParticipantGone {
                    conversation_id: conversation.clone(),
                    participant_id: Some(participant.clone()),
                    detail: format!("Participant {participant} is not on this call."),
                });
            }
            Target::NotActionable(party) => return Err(not_actionable(conversation, party)),
        };
        ctx.party = Some(PartySummary::from(party));
        ctx.request = Some(audit_request(conversation, &party.participant_id, &body));
        let actor = self.actor();
        let own = party.user_id.as_ref() == Some(&actor.user_id);
        if !own && !actor.can_act_on_others {
            return Err(ActionError::Forbidden {
                verb: ctx.kind.verb(),
                party: PartySummary::from(party).label(),
                permission: PERMISSION_DISCONNECT,
            });
        }
        let expect = Expect::Flag {
            target: party.participant_id.clone(),
            flag,
            value,
        };
        self.send_and_verify(ctx, body, expect).await
    }

    /// Sends the one PATCH and turns the answer plus what the roster shows into an outcome.
    async fn send_and_verify(
        &self,
        ctx: &mut Ctx,
        body: MediaParticipantRequest,
        expect: Expect,
    ) -> Result<Audited, ActionError> {
        let request: Request =
            build::patch_participant(&ctx.conversation_id, expect.target(), &body)
                .map_err(ActionError::InvalidRequest)?;
        let roster = &self.inner.roster;
        // Subscribe before sending, so no confirming change can slip between the two.
        let changes = roster.changes();
        let before = roster.conversation(&ctx.conversation_id);
        let sent = Instant::now();
        ctx.timings.to_wire = Some(sent.duration_since(ctx.started));
        let answer = self.inner.client.execute(request).await;
        ctx.timings.request = Some(sent.elapsed());
        // The confirmation window starts when the platform answered: a 429 retried by the client
        // layer may have taken seconds, and the change can only start after acceptance.
        let answered = Instant::now();
        let party = ctx.party_label();
        match answer {
            Ok(response) => {
                let correlation_id = response.correlation_id().map(str::to_owned);
                tracing::info!(status = response.status(), correlation_id = ?correlation_id, "request accepted; verifying");
                let timeout = self.inner.config.confirm_timeout;
                let v = self
                    .verify(
                        &ctx.conversation_id,
                        &expect,
                        changes,
                        answered,
                        timeout,
                        before,
                    )
                    .await;
                let (outcome, confirm_at) = self.judge(ctx, &expect, v, answered);
                Ok(self.finish(ctx, outcome, correlation_id, confirm_at).await)
            }
            Err(e) => {
                let correlation_id = e.correlation_id().map(str::to_owned);
                tracing::warn!(error = %e, "action request failed");
                match e.kind() {
                    ErrorKind::BadRequest if e.code() == Some(codes::CALL_DISCONNECTED) => {
                        let outcome = already_gone(ctx, true);
                        Ok(self.finish(ctx, outcome, correlation_id, None).await)
                    }
                    ErrorKind::Unauthorized | ErrorKind::NotSignedIn | ErrorKind::RateLimited => {
                        Err(self.client_error(e, Some(&ctx.conversation_id)))
                    }
                    ErrorKind::Server
                    | ErrorKind::Unreachable
                    | ErrorKind::Decode
                    | ErrorKind::UnexpectedStatus => {
                        // The platform may or may not have acted: look before answering.
                        let window = self.inner.config.reread_after + Duration::from_millis(500);
                        let v = self
                            .verify(
                                &ctx.conversation_id,
                                &expect,
                                changes,
                                answered,
                                window,
                                before,
                            )
                            .await;
                        if let Verified::Confirmed { .. } = v.result {
                            let (outcome, confirm_at) = self.judge(ctx, &expect, v, answered);
                            return Ok(self.finish(ctx, outcome, correlation_id, confirm_at).await);
                        }
                        if e.kind() == ErrorKind::Server {
                            let outcome = refused(ctx.kind, &party, &e);
                            Ok(self.finish(ctx, outcome, correlation_id, None).await)
                        } else {
                            Err(ActionError::Unreachable {
                                source: e,
                                unchanged: Some(party),
                            })
                        }
                    }
                    _ => {
                        let outcome = refused(ctx.kind, &party, &e);
                        Ok(self.finish(ctx, outcome, correlation_id, None).await)
                    }
                }
            }
        }
    }
}

fn not_actionable(conversation: &ConversationId, party: &crate::roster::Party) -> ActionError {
    ActionError::ParticipantGone {
        conversation_id: conversation.clone(),
        participant_id: Some(party.participant_id.clone()),
        detail: format!(
            "{} is in state '{}', which no action applies to.",
            party.name,
            party.state.as_ref().map_or("unknown", |s| s.as_str())
        ),
    }
}

/// Maps a failed read that produced no outcome (no session handling: see `Actions::client_error`).
fn read_error(e: genesys_client::Error, conversation: Option<&ConversationId>) -> ActionError {
    let correlation_id = e.correlation_id().map(str::to_owned);
    match e.kind() {
        ErrorKind::Unauthorized => ActionError::SessionExpired,
        ErrorKind::NotSignedIn => ActionError::NotSignedIn,
        ErrorKind::RateLimited => ActionError::RateLimited {
            retry_after: e.retry_after(),
            correlation_id,
        },
        ErrorKind::NotFound => ActionError::ParticipantGone {
            conversation_id: conversation
                .cloned()
                .unwrap_or_else(|| ConversationId::new("")),
            participant_id: None,
            detail: "That call no longer exists.".into(),
        },
        ErrorKind::Forbidden => ActionError::Forbidden {
            verb: "read",
            party: "this call".into(),
            permission: "conversation:communication:view",
        },
        ErrorKind::InvalidRequest | ErrorKind::InvalidConfig => ActionError::InvalidRequest(e),
        _ => ActionError::Unreachable {
            source: e,
            unchanged: None,
        },
    }
}
