//! One audit record: who did what to which party, and what came of it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One line of the audit log; the JSON field names are the on-disk format, so never rename them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// Unique per record, so an export can be de-duplicated and a record cited.
    pub id: Uuid,
    /// When the action was requested (RFC 3339, UTC).
    pub time: DateTime<Utc>,
    /// The signed-in supervisor who acted.
    pub actor: Actor,
    /// What was attempted.
    pub action: AuditAction,
    /// Conversation the party belongs to.
    pub conversation_id: String,
    /// The participant acted on.
    pub participant_id: String,
    /// Who that participant was, as shown to the supervisor at the time.
    pub party: Party,
    /// The request actually sent (no headers, so no tokens).
    pub request: AuditRequest,
    /// What the app concluded.
    pub outcome: AuditOutcome,
    /// From the command to the outcome, in milliseconds.
    pub latency_ms: u64,
    /// Genesys `ININ-Correlation-Id`, for support tickets.
    pub correlation_id: Option<String>,
    /// Human-readable explanation (the API's error message, "leg still live after 5 s", ...).
    pub detail: Option<String>,
    /// Set on the decisions of a stale/idle-leg policy (absent on a supervisor's own actions, and
    /// in every record written before policies existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyNote>,
}

/// Which policy rule decided, and what it decided: the rule id is how a decision is traced back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyNote {
    /// The rule's `id` in the policy file (`stale_duplicate` for the built-in marking).
    pub rule: String,
    /// What the policy decided.
    pub decision: PolicyDecision,
    /// `dry-run` or `enforce`: the mode the decision was made in.
    pub mode: String,
    /// Why the leg was found ("held for 12 min"), in words.
    pub reason: String,
    /// Why it was skipped, for [`PolicyDecision::Skipped`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped_because: Option<String>,
}

/// A policy's decision on one finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyDecision {
    /// Dry run: enforcing would have dropped it; nothing was sent.
    WouldDrop,
    /// Enforce: about to send the drop (written first, so a crash or a second copy never sends
    /// it twice, and the cap counts it).
    Dropping,
    /// Enforce: the drop was made; the record's outcome says how it ended.
    Dropped,
    /// Not acted on; `skipped_because` says why.
    Skipped,
}

impl PolicyDecision {
    /// The on-disk spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WouldDrop => "would_drop",
            Self::Dropping => "dropping",
            Self::Dropped => "dropped",
            Self::Skipped => "skipped",
        }
    }
}

/// The supervisor, identified the way Genesys support will ask for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Actor {
    /// Genesys user id.
    pub user_id: String,
    /// Display name at the time of the action.
    pub name: String,
}

/// The party acted on, as the supervisor saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Party {
    /// Participant name (may be a phone number or empty for unknown callers).
    pub name: String,
    /// Genesys participant purpose (`agent`, `customer`, `external`, ...), kept verbatim.
    pub purpose: String,
}

/// The HTTP request that carried out the action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRequest {
    /// `PATCH`, ...
    pub method: String,
    /// Path with the ids filled in.
    pub path: String,
    /// JSON body sent, or `null`.
    pub body: serde_json::Value,
}

/// The supervisor actions that are audited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// Disconnect one party.
    Drop,
    /// Mute a party.
    Mute,
    /// Unmute a party.
    Unmute,
    /// Put a party on hold.
    Hold,
    /// Take a party off hold.
    Unhold,
    /// End a whole conversation for everyone (the whole-conversation disconnect of a call with
    /// nobody left on it; the platform applies a system wrap-up code).
    EndConversation,
}

impl AuditAction {
    /// The on-disk spelling, also used in the CSV export.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Drop => "drop",
            Self::Mute => "mute",
            Self::Unmute => "unmute",
            Self::Hold => "hold",
            Self::Unhold => "unhold",
            Self::EndConversation => "end_conversation",
        }
    }
}

/// How the action ended, as reported to the supervisor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    /// An event or re-read showed the change.
    Confirmed,
    /// The API accepted the request but the change was not seen in time.
    NotConfirmed,
    /// The API refused the request (error code in `detail`).
    Refused,
    /// The party had already left before the request.
    AlreadyGone,
    /// The request could not be made or answered (network, session expired, ...).
    Failed,
    /// Nothing was sent: a policy's dry run or skip.
    NotSent,
    /// A policy is about to send the request; a later record tells how it ended.
    Pending,
}

impl AuditOutcome {
    /// The on-disk spelling, also used in the CSV export.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::NotConfirmed => "not_confirmed",
            Self::Refused => "refused",
            Self::AlreadyGone => "already_gone",
            Self::Failed => "failed",
            Self::NotSent => "not_sent",
            Self::Pending => "pending",
        }
    }
}
