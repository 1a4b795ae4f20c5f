//! Action commands: `plan_drop` then `execute_drop`, and `set_mute` / `set_hold`, each ending in an outcome.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::actions::{self as core, ActionOutcome, ActionReport, ConfirmedVia, PlanVerdict};

/// `plan_drop`: which leg the supervisor wants to drop.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PlanDropRequest {
    /// The call.
    pub conversation_id: String,
    /// The leg (participant id, never a user id).
    pub participant_id: String,
}

/// Why the confirm dialog asks the supervisor to think twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum DropWarningCode {
    /// The target is the last agent-like party: the customer will be left without an agent.
    LastAgent,
    /// Only the customer would remain.
    CustomerAlone,
    /// One or no person would remain, so Genesys ends the whole call.
    CallWillEnd,
}

impl From<core::DropWarning> for DropWarning {
    fn from(warning: core::DropWarning) -> Self {
        let code = match warning {
            core::DropWarning::CallWillEnd => DropWarningCode::CallWillEnd,
            core::DropWarning::LastAgent => DropWarningCode::LastAgent,
            core::DropWarning::CustomerAlone => DropWarningCode::CustomerAlone,
        };
        Self {
            code,
            message: crate::present::plan::warning(warning).to_owned(),
        }
    }
}

/// A party as a plan or an outcome names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PartySummaryView {
    /// The leg id.
    pub participant_id: String,
    /// Display name.
    pub name: String,
    /// `agent`, `customer`, `external`, ...
    pub purpose: String,
}

impl From<&core::PartySummary> for PartySummaryView {
    fn from(p: &core::PartySummary) -> Self {
        Self {
            participant_id: p.participant_id.as_str().to_owned(),
            name: p.name.clone(),
            purpose: p.purpose.clone(),
        }
    }
}

/// Whether executing the plan sends anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum PlanVerdictView {
    /// The leg is live: executing sends one request.
    Ready,
    /// The leg has already ended: executing sends nothing and reports "already gone".
    AlreadyGone,
}

/// One warning of the confirm dialog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DropWarning {
    /// For the UI's icon and ordering.
    pub code: DropWarningCode,
    /// What will happen, in words.
    pub message: String,
}

/// `plan_drop`: what the confirm dialog shows; nothing has been sent yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DropPlanView {
    /// Pass to `execute_drop`; single use and short-lived.
    pub plan_id: String,
    /// The call.
    pub conversation_id: String,
    /// Who will be dropped (after resolving a stale duplicate to the person's live leg).
    pub target: PartySummaryView,
    /// Set when the picked leg was a stale duplicate and the person's live leg is targeted instead.
    pub resolution: Option<String>,
    /// Ready, or already gone.
    pub verdict: PlanVerdictView,
    /// Who stays on the call (live people other than the target).
    pub remaining: Vec<PartySummaryView>,
    /// What the supervisor should know before confirming.
    pub warnings: Vec<DropWarning>,
    /// The plan in one sentence (for logs and screen readers).
    pub summary: String,
    /// After this (ms since the Unix epoch) `execute_drop` answers `PlanExpired`.
    #[ts(type = "number")]
    pub expires_at_ms: i64,
}

impl From<&core::DropPlan> for DropPlanView {
    fn from(plan: &core::DropPlan) -> Self {
        Self {
            plan_id: plan.id.to_string(),
            conversation_id: plan.conversation_id.as_str().to_owned(),
            target: PartySummaryView::from(&plan.target),
            resolution: plan.resolution.clone(),
            verdict: match plan.verdict {
                PlanVerdict::Ready => PlanVerdictView::Ready,
                PlanVerdict::AlreadyGone => PlanVerdictView::AlreadyGone,
            },
            remaining: plan.remaining.iter().map(PartySummaryView::from).collect(),
            warnings: plan
                .warnings
                .iter()
                .map(|w| DropWarning::from(*w))
                .collect(),
            summary: plan.summary.clone(),
            expires_at_ms: plan.expires_at.timestamp_millis(),
        }
    }
}

/// `execute_drop`: carry out a plan (the Rust side re-checks that the leg is still live first).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteDropRequest {
    /// From `plan_drop`.
    pub plan_id: String,
}

/// `set_mute` / `set_hold`: turn mute or hold on or off for one leg.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SetFlagRequest {
    /// The call.
    pub conversation_id: String,
    /// The leg.
    pub participant_id: String,
    /// `true` mutes (holds), `false` unmutes (takes off hold).
    pub on: bool,
}

/// The audited supervisor actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ActionKind {
    /// Disconnect one party.
    Drop,
    /// Mute a party.
    Mute,
    /// Unmute a party.
    Unmute,
    /// Hold a party.
    Hold,
    /// Take a party off hold.
    Unhold,
    /// End a whole conversation for everyone (a call with nobody left on it).
    EndConversation,
}

impl From<core::ActionKind> for ActionKind {
    fn from(kind: core::ActionKind) -> Self {
        match kind {
            core::ActionKind::Drop => Self::Drop,
            core::ActionKind::Mute => Self::Mute,
            core::ActionKind::Unmute => Self::Unmute,
            core::ActionKind::Hold => Self::Hold,
            core::ActionKind::Unhold => Self::Unhold,
        }
    }
}

/// How a confirmation was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ConfirmedViaView {
    /// A live event.
    Event,
    /// The one re-read made when the event was late.
    Reread,
}

/// How an action ended, as the UI reports it in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum OutcomeView {
    /// An event or a re-read showed the change (and, for a drop, the others still connected).
    Confirmed {
        /// From the command to the confirmation.
        #[ts(type = "number")]
        latency_ms: u64,
        /// Event or re-read.
        via: ConfirmedViaView,
        /// The whole call ended (expected when the plan said so).
        call_ended: bool,
        /// People the plan expected to remain who are no longer on the call.
        others_left: Vec<String>,
    },
    /// Genesys accepted the request but the change was not seen in time.
    NotConfirmed {
        /// From the command to giving up.
        #[ts(type = "number")]
        latency_ms: u64,
        /// What the re-read showed ("still on the line", ...).
        detail: String,
        /// The leg is still live, so a retry makes sense.
        still_live: bool,
    },
    /// Genesys refused the request; nothing changed.
    Refused {
        /// The reason in plain words.
        reason: String,
        /// Genesys' own message.
        vendor_message: String,
        /// Genesys' error code (`missing.any.permissions`, ...), for support.
        vendor_code: Option<String>,
        /// The HTTP status, when a response arrived.
        status: Option<u16>,
    },
    /// The party had already left; nothing needed doing.
    AlreadyGone {
        /// What was seen.
        detail: String,
    },
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl From<&ActionOutcome> for OutcomeView {
    fn from(outcome: &ActionOutcome) -> Self {
        match outcome {
            ActionOutcome::Confirmed {
                latency,
                via,
                call_ended,
                others_left,
            } => Self::Confirmed {
                latency_ms: millis(*latency),
                via: match via {
                    ConfirmedVia::Event => ConfirmedViaView::Event,
                    ConfirmedVia::Reread => ConfirmedViaView::Reread,
                },
                call_ended: *call_ended,
                others_left: others_left.iter().map(|p| p.name.clone()).collect(),
            },
            ActionOutcome::NotConfirmed {
                waited,
                still_shows,
                explanation,
                ..
            } => Self::NotConfirmed {
                latency_ms: millis(*waited),
                detail: explanation.clone(),
                still_live: still_shows.as_ref().is_some_and(|leg| leg.live),
            },
            ActionOutcome::Refused {
                status,
                code,
                message,
                explanation,
                ..
            } => Self::Refused {
                reason: explanation.clone(),
                vendor_message: message.clone(),
                vendor_code: code.clone(),
                status: *status,
            },
            ActionOutcome::AlreadyGone { explanation, .. } => Self::AlreadyGone {
                detail: explanation.clone(),
            },
        }
    }
}

/// `execute_drop` / `set_mute` / `set_hold`: the outcome, for the row and the live region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ActionResult {
    /// What was attempted.
    pub action: ActionKind,
    /// The call.
    pub conversation_id: String,
    /// The leg.
    pub participant_id: String,
    /// Who, as shown when the action started.
    pub party_name: String,
    /// Set when the picked leg was a stale duplicate and the person's live leg was used instead.
    pub resolution: Option<String>,
    /// How it ended.
    pub outcome: OutcomeView,
    /// `ININ-Correlation-Id` of the request, for support (copyable in the UI).
    pub correlation_id: Option<String>,
    /// The audit record written for it.
    pub audit_id: String,
}

impl From<&ActionReport> for ActionResult {
    fn from(report: &ActionReport) -> Self {
        let correlation_id = report
            .correlation_id
            .clone()
            .or_else(|| match &report.outcome {
                ActionOutcome::Refused { correlation_id, .. } => correlation_id.clone(),
                _ => None,
            });
        Self {
            action: report.action.into(),
            conversation_id: report.conversation_id.as_str().to_owned(),
            participant_id: report.participant.participant_id.as_str().to_owned(),
            party_name: report.participant.name.clone(),
            resolution: report.resolution.clone(),
            outcome: OutcomeView::from(&report.outcome),
            correlation_id,
            audit_id: report.audit_id.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn outcomes_are_tagged_by_kind() {
        let refused = OutcomeView::Refused {
            reason: "no".into(),
            vendor_message: "Missing permission".into(),
            vendor_code: Some("missing.any.permissions".into()),
            status: Some(403),
        };
        assert_eq!(
            serde_json::to_value(refused).expect("json"),
            json!({"kind": "refused", "reason": "no", "vendorMessage": "Missing permission",
                   "vendorCode": "missing.any.permissions", "status": 403})
        );
        let late = OutcomeView::NotConfirmed {
            latency_ms: 5000,
            detail: "still on the line".into(),
            still_live: true,
        };
        assert_eq!(
            serde_json::to_value(late).expect("json"),
            json!({"kind": "notConfirmed", "latencyMs": 5000, "detail": "still on the line", "stillLive": true})
        );
    }
}
