//! Action commands: `plan_drop` then `execute_drop`, and `set_mute` / `set_hold`, each ending in an outcome.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::roster::PartyView;

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
    /// A warning this UI version has no special treatment for; the message says it.
    Other,
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
    /// Who will be dropped.
    pub target: PartyView,
    /// Who stays on the call (live people other than the target).
    pub remaining: Vec<PartyView>,
    /// What the supervisor should know before confirming.
    pub warnings: Vec<DropWarning>,
    /// After this (ms since the Unix epoch) `execute_drop` answers `PlanExpired`.
    #[ts(type = "number")]
    pub expires_at_ms: i64,
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
    /// Genesys refused the request.
    Refused {
        /// The reason in plain words.
        reason: String,
        /// Genesys' error code (`missing.any.permissions`, ...), for support.
        vendor_code: Option<String>,
        /// The HTTP status, when a response arrived.
        status: Option<u16>,
    },
    /// The party had already left before anything was sent.
    AlreadyGone {
        /// What was seen.
        detail: String,
    },
    /// The request could not be made or answered (network, session over); whether it happened is unknown.
    Failed {
        /// What went wrong, in words.
        detail: String,
    },
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
    /// How it ended.
    pub outcome: OutcomeView,
    /// `ININ-Correlation-Id` of the request, for support (copyable in the UI).
    pub correlation_id: Option<String>,
    /// The audit record written for it (`null` only if the audit log could not be written).
    pub audit_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn outcomes_are_tagged_by_kind() {
        let refused = OutcomeView::Refused {
            reason: "no".into(),
            vendor_code: Some("missing.any.permissions".into()),
            status: Some(403),
        };
        assert_eq!(
            serde_json::to_value(refused).expect("json"),
            json!({"kind": "refused", "reason": "no", "vendorCode": "missing.any.permissions", "status": 403})
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
