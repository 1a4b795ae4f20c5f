//! Audit writing: every action appends one record (fsynced) before its answer is returned.

use std::time::{Duration, Instant};

use genesys_client::Route;
use genesys_model::{ConversationId, MediaParticipantRequest, ParticipantId};
use uuid::Uuid;

use super::error::ActionError;
use super::outcome::{ActionOutcome, ActionReport, PartySummary};
use super::service::{Actions, Ctx};
use crate::audit::{self, AuditOutcome, AuditRecord, AuditRequest};

/// An action that reached an outcome and went through the audit log: the report, or
/// [`ActionError::AuditFailed`] carrying it when the record could not be written. A type of its
/// own so it cannot be mistaken for a failure before any outcome (which `audit_failure` records).
#[must_use]
pub(super) struct Audited(pub(super) Result<ActionReport, ActionError>);

impl Actions {
    /// Writes the audit record (fsynced) and builds the report.
    pub(super) async fn finish(
        &self,
        ctx: &mut Ctx,
        outcome: ActionOutcome,
        correlation_id: Option<String>,
        confirm_at: Option<Instant>,
    ) -> Audited {
        let detail = match &outcome {
            ActionOutcome::Confirmed {
                via,
                call_ended,
                others_left,
                ..
            } => {
                let mut d = format!("confirmed by {via:?}").to_lowercase();
                if *call_ended {
                    d.push_str("; the call ended");
                }
                if !others_left.is_empty() {
                    let names: Vec<String> = others_left.iter().map(PartySummary::label).collect();
                    d.push_str(&format!(
                        "; also no longer on the call: {}",
                        names.join(", ")
                    ));
                }
                d
            }
            ActionOutcome::NotConfirmed { explanation, .. }
            | ActionOutcome::AlreadyGone { explanation, .. }
            | ActionOutcome::Refused { explanation, .. } => explanation.clone(),
        };
        let detail = match &ctx.resolution {
            Some(r) => format!("{detail} ({r})"),
            None => detail,
        };
        let record = self.audit_record(ctx, outcome.audit_outcome(), &correlation_id, detail);
        let audit_id = record.id;
        let audit_started = Instant::now();
        let written = self.inner.audit.append_async(record).await;
        ctx.timings.audit = audit_started.elapsed();
        ctx.timings.total = ctx.started.elapsed();
        ctx.timings.confirm_to_outcome = confirm_at.map(|at| at.elapsed());
        let report = ActionReport {
            action: ctx.kind,
            conversation_id: ctx.conversation_id.clone(),
            participant: ctx.party.clone().unwrap_or_else(|| PartySummary {
                participant_id: ctx.requested.clone(),
                name: String::new(),
                purpose: "unknown".into(),
                user_id: None,
            }),
            requested_participant_id: ctx.requested.clone(),
            resolution: ctx.resolution.clone(),
            outcome,
            correlation_id,
            audit_id,
            timings: ctx.timings.clone(),
        };
        tracing::info!(
            action = ctx.kind.verb(),
            outcome = report.outcome.name(),
            correlation_id = ?report.correlation_id,
            total_ms = millis(report.timings.total),
            "action finished"
        );
        Audited(match written {
            Ok(()) => Ok(report),
            Err(e) => Err(ActionError::AuditFailed {
                report: Box::new(report),
                source: e,
            }),
        })
    }

    pub(super) fn audit_record(
        &self,
        ctx: &Ctx,
        outcome: AuditOutcome,
        correlation_id: &Option<String>,
        detail: String,
    ) -> AuditRecord {
        let actor = self.actor();
        let party = ctx.party.as_ref();
        AuditRecord {
            id: Uuid::new_v4(),
            time: ctx.started_at,
            actor: audit::Actor {
                user_id: actor.user_id.as_str().to_owned(),
                name: actor.name,
            },
            action: ctx.kind.audit_action(),
            conversation_id: ctx.conversation_id.as_str().to_owned(),
            participant_id: party
                .map_or(&ctx.requested, |p| &p.participant_id)
                .as_str()
                .to_owned(),
            party: audit::Party {
                name: party.map(|p| p.name.clone()).unwrap_or_default(),
                purpose: party.map_or_else(|| "unknown".to_owned(), |p| p.purpose.clone()),
            },
            request: ctx.request.clone().unwrap_or_else(|| AuditRequest {
                method: String::new(),
                path: String::new(),
                body: serde_json::Value::Null,
            }),
            outcome,
            latency_ms: millis(ctx.started.elapsed()),
            correlation_id: correlation_id.clone(),
            detail: Some(detail),
            policy: None,
        }
    }

    /// Audits an action that ended in an error (nothing learnt, or nothing sent) and returns the error.
    pub(super) async fn audit_failure(&self, ctx: &Ctx, error: ActionError) -> ActionError {
        if matches!(error, ActionError::AuditFailed { .. }) {
            return error;
        }
        let sent = ctx.timings.to_wire.is_some();
        let detail = format!(
            "{}: {}{}",
            error.code().as_str(),
            crate::present::error::action(&error),
            if sent { "" } else { " [request not sent]" }
        );
        let record = self.audit_record(
            ctx,
            AuditOutcome::Failed,
            &error.correlation_id().map(str::to_owned),
            detail,
        );
        if let Err(e) = self.inner.audit.append_async(record).await {
            tracing::error!(error = %e, "could not audit a failed action");
        }
        error
    }
}

pub(super) fn audit_request(
    conversation: &ConversationId,
    participant: &ParticipantId,
    body: &MediaParticipantRequest,
) -> AuditRequest {
    AuditRequest {
        method: "PATCH".into(),
        path: Route::PatchCallParticipant {
            conversation_id: conversation,
            participant_id: participant,
        }
        .path(),
        body: serde_json::to_value(body).unwrap_or(serde_json::Value::Null),
    }
}

pub(super) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
