//! The whole-conversation disconnect, the "Needs attention" panel's resolution for a call that still
//! shows with nobody left on it (`no_live_party`): `POST /api/v2/conversations/{id}/disconnect`
//! (docs/genesys-api.md, "Cleaning up stuck interactions"), which ends the interaction for everyone
//! and applies a system wrap-up code. The panel asks for a confirmation saying so first.
//!
//! Like a drop: one fresh read first (refused, nothing sent, when a person is on the call again),
//! exactly one request, verified (the call leaves the board, or one re-read shows it ended), and one
//! fsynced audit record before the answer, whatever the outcome.

use std::time::{Duration, Instant};

use chrono::Utc;
use genesys_model::ConversationId;

use super::Desktop;
use super::ids::one_id;
use crate::audit::{self, AuditAction, AuditOutcome, AuditRecord, AuditRequest};
use crate::ipc::error::{ErrorCode, IpcError};
use crate::ipc::policy::{
    DisconnectConversationRequest, DisconnectConversationResult, DisconnectOutcome,
};
use crate::roster::{Roster, RosterError};

/// How often the board is looked at while waiting for the call to end.
const POLL: Duration = Duration::from_millis(100);

/// What the wait for the end came to.
enum Seen {
    /// Gone from the board (its events said every leg ended).
    Board,
    /// A re-read found it ended or gone.
    Reread,
    /// Still there at the deadline.
    NotYet,
}

/// Waits for the call to leave the board, re-reading it once after `reread_after`, up to `timeout`.
async fn wait_ended(
    roster: &Roster,
    id: &ConversationId,
    reread_after: Duration,
    timeout: Duration,
) -> Seen {
    let started = Instant::now();
    let mut reread = false;
    loop {
        if roster.conversation(id).is_none() {
            return Seen::Board;
        }
        if !reread && started.elapsed() >= reread_after {
            reread = true;
            match roster.reread(id).await {
                Ok(record) if record.ended => return Seen::Reread,
                Err(RosterError::ConversationNotFound(_)) => return Seen::Reread,
                _ => {}
            }
        }
        if started.elapsed() >= timeout {
            return Seen::NotYet;
        }
        tokio::time::sleep(POLL).await;
    }
}

impl Desktop {
    /// `conversation_disconnect`: ends a call that still shows with nobody on it, for everyone
    /// (system wrap-up), once; verified and audited.
    pub async fn conversation_disconnect(
        &self,
        request: DisconnectConversationRequest,
    ) -> Result<DisconnectConversationResult, IpcError> {
        let id = ConversationId::new(one_id(&request.conversation_id, "conversation")?);
        let audit_log = self.audit()?.clone();
        let actions = self.actions().await?;
        let client = self.with_signed(|s| s.client.clone()).await?;
        let roster = actions.roster().clone();
        let _busy = self.in_flight.enter();
        let fresh = match roster.reread(&id).await {
            Ok(record) if !record.ended => record,
            Ok(_) | Err(RosterError::ConversationNotFound(_)) => {
                return Err(IpcError::new(
                    ErrorCode::ParticipantGone,
                    "That call has already ended; nothing was sent.",
                ));
            }
            Err(error) => return Err(error.into()),
        };
        let people: Vec<&str> = fresh.live_people().map(|p| p.name.as_str()).collect();
        if !people.is_empty() {
            return Err(IpcError::new(
                ErrorCode::PlanExpired,
                format!(
                    "Someone is on this call now ({}), so it was not ended and nothing was sent. \
                     Check the call again; drop a single leg if one should go.",
                    people.join(", ")
                ),
            ));
        }
        let sent = genesys_client::request::build::disconnect_conversation(&id)?;
        let me = actions.actor();
        let mut record = AuditRecord {
            id: uuid::Uuid::new_v4(),
            time: Utc::now(),
            actor: audit::Actor {
                user_id: me.user_id.to_string(),
                name: me.name.clone(),
            },
            action: AuditAction::EndConversation,
            conversation_id: id.to_string(),
            // The whole call, not one leg.
            participant_id: String::new(),
            party: audit::Party {
                name: "everyone on the call".into(),
                purpose: "conversation".into(),
            },
            request: AuditRequest {
                method: sent.method().as_str().to_owned(),
                path: sent.path().to_owned(),
                body: serde_json::Value::Null,
            },
            outcome: AuditOutcome::Pending,
            latency_ms: 0,
            correlation_id: None,
            detail: None,
            policy: None,
        };
        let started = Instant::now();
        let accepted = client.disconnect_conversation(&id).await;
        let result = match accepted {
            Err(error) => {
                record.outcome = if error.status().is_some() {
                    AuditOutcome::Refused
                } else {
                    AuditOutcome::Failed
                };
                record.correlation_id = error.correlation_id().map(str::to_owned);
                let answer = IpcError::from(error);
                record.detail = Some(answer.message.clone());
                Err(answer)
            }
            Ok(accepted) => {
                record.correlation_id = accepted.correlation_id;
                let config = &self.config.actions;
                let seen =
                    wait_ended(&roster, &id, config.reread_after, config.confirm_timeout).await;
                let (outcome, message) = match seen {
                    Seen::Board => (
                        DisconnectOutcome::Confirmed,
                        "The call was ended for everyone: it has left the board.".to_owned(),
                    ),
                    Seen::Reread => (
                        DisconnectOutcome::Confirmed,
                        "The call was ended for everyone: a fresh read shows it ended.".to_owned(),
                    ),
                    Seen::NotYet => (
                        DisconnectOutcome::NotConfirmed,
                        format!(
                            "Genesys Cloud accepted the request, but the call still shows after {} s. \
                             Check it again in a moment.",
                            config.confirm_timeout.as_secs()
                        ),
                    ),
                };
                record.outcome = match outcome {
                    DisconnectOutcome::Confirmed => AuditOutcome::Confirmed,
                    DisconnectOutcome::NotConfirmed => AuditOutcome::NotConfirmed,
                };
                record.detail = Some(message.clone());
                Ok((outcome, message))
            }
        };
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        record.latency_ms = latency_ms;
        tracing::info!(conversation_id = %id, outcome = record.outcome.as_str(), latency_ms, "whole-conversation disconnect");
        audit_log.append_async(record).await?;
        let (outcome, message) = result?;
        Ok(DisconnectConversationResult {
            conversation_id: id.to_string(),
            outcome,
            message,
            latency_ms,
        })
    }
}
