//! What an action reports back: the outcome the supervisor sees, plus what support and the
//! benchmarks need (correlation id, audit record id, timings).

use std::time::Duration;

use genesys_model::{CommunicationId, ConversationId, ParticipantId, UserId};
use serde::{Serialize, Serializer};
use uuid::Uuid;

use crate::audit::{AuditAction, AuditOutcome};
use crate::roster::Party;

pub(crate) fn serialize_ms<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn serialize_opt_us<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&u64::try_from(d.as_micros()).unwrap_or(u64::MAX)),
        None => s.serialize_none(),
    }
}

fn serialize_us<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// The supervisor actions; each is audited under the same name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ActionKind {
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
}

impl ActionKind {
    /// The audit log's name for it.
    pub fn audit_action(self) -> AuditAction {
        match self {
            Self::Drop => AuditAction::Drop,
            Self::Mute => AuditAction::Mute,
            Self::Unmute => AuditAction::Unmute,
            Self::Hold => AuditAction::Hold,
            Self::Unhold => AuditAction::Unhold,
        }
    }

    /// A verb for messages ("drop", "mute", ...).
    pub fn verb(self) -> &'static str {
        self.audit_action().as_str()
    }
}

/// A party as named in plans, outcomes and the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PartySummary {
    /// The leg id.
    pub participant_id: ParticipantId,
    /// Display name.
    pub name: String,
    /// Purpose as text (`agent`, `customer`, ...).
    pub purpose: String,
    /// The user on the leg, if any.
    pub user_id: Option<UserId>,
}

impl From<&Party> for PartySummary {
    fn from(p: &Party) -> Self {
        Self {
            participant_id: p.participant_id.clone(),
            name: p.name.clone(),
            purpose: p.purpose_text().to_owned(),
            user_id: p.user_id.clone(),
        }
    }
}

impl PartySummary {
    /// "Jane Doe (external)".
    pub fn label(&self) -> String {
        format!("{} ({})", self.name, self.purpose)
    }
}

/// How a change was seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ConfirmedVia {
    /// A notification event applied to the roster.
    Event,
    /// The one REST re-read made when the event was late.
    Reread,
}

/// What the platform showed of a leg when an action could not be confirmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LegView {
    /// Still on the call.
    pub live: bool,
    /// Its state as text (`connected`, ...), when known.
    pub state: Option<String>,
    /// Muted.
    pub muted: bool,
    /// Held.
    pub held: bool,
}

impl From<&Party> for LegView {
    fn from(p: &Party) -> Self {
        Self {
            live: p
                .state
                .as_ref()
                .is_some_and(genesys_model::ParticipantState::is_active),
            state: p.state.as_ref().map(|s| s.as_str().to_owned()),
            muted: p.is_muted(),
            held: p.is_held(),
        }
    }
}

/// How an action ended, as the supervisor is told.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "camelCase")]
pub enum ActionOutcome {
    /// The roster (event or re-read) showed the change. For a drop: the leg ended and, unless the
    /// plan said the call would end, the others are still connected (`others_left` lists any who
    /// are not).
    #[serde(rename_all = "camelCase")]
    Confirmed {
        /// From the command to the confirming observation.
        #[serde(serialize_with = "serialize_ms", rename = "latencyMs")]
        latency: Duration,
        /// Event or re-read.
        via: ConfirmedVia,
        /// The whole call ended (expected when the plan said so).
        call_ended: bool,
        /// Parties the plan expected to remain who are no longer on the call.
        others_left: Vec<PartySummary>,
    },
    /// The platform accepted the request but still showed the old state at the timeout.
    #[serde(rename_all = "camelCase")]
    NotConfirmed {
        /// How long the app waited.
        #[serde(serialize_with = "serialize_ms", rename = "waitedMs")]
        waited: Duration,
        /// What the platform last showed of the leg (`None`: the conversation could not be read).
        still_shows: Option<LegView>,
        /// Plain words: what this means and what to try.
        explanation: String,
        /// For a drop: the communication the per-communication disconnect would target.
        communication_id: Option<CommunicationId>,
    },
    /// The platform refused (or failed) and nothing changed.
    #[serde(rename_all = "camelCase")]
    Refused {
        /// HTTP status.
        status: Option<u16>,
        /// Vendor error code (`missing.any.permissions`, ...).
        code: Option<String>,
        /// Vendor message.
        message: String,
        /// `ININ-Correlation-Id`, for support.
        correlation_id: Option<String>,
        /// Plain words for the supervisor.
        explanation: String,
    },
    /// The party had already left; no change was needed.
    #[serde(rename_all = "camelCase")]
    AlreadyGone {
        /// Whether a request was sent (the platform then answered "already disconnected").
        request_sent: bool,
        /// Plain words.
        explanation: String,
    },
}

impl ActionOutcome {
    /// The audit log's outcome.
    pub fn audit_outcome(&self) -> AuditOutcome {
        match self {
            Self::Confirmed { .. } => AuditOutcome::Confirmed,
            Self::NotConfirmed { .. } => AuditOutcome::NotConfirmed,
            Self::Refused { .. } => AuditOutcome::Refused,
            Self::AlreadyGone { .. } => AuditOutcome::AlreadyGone,
        }
    }

    /// A stable name (`confirmed`, `notConfirmed`, `refused`, `alreadyGone`) for logs and the CLI.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Confirmed { .. } => "confirmed",
            Self::NotConfirmed { .. } => "notConfirmed",
            Self::Refused { .. } => "refused",
            Self::AlreadyGone { .. } => "alreadyGone",
        }
    }

    /// True only when the change was seen.
    pub fn is_confirmed(&self) -> bool {
        matches!(self, Self::Confirmed { .. })
    }
}

/// Where the time of one action went; the figures behind the overhead quality bar.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionTimings {
    /// Command -> request handed to the HTTP client (pre-checks, body, audit preparation).
    #[serde(serialize_with = "serialize_opt_us", rename = "toWireUs")]
    pub to_wire: Option<Duration>,
    /// The PATCH round trip.
    #[serde(serialize_with = "serialize_opt_us", rename = "requestUs")]
    pub request: Option<Duration>,
    /// Confirming event applied by the roster -> outcome returned (audit fsync included).
    #[serde(serialize_with = "serialize_opt_us", rename = "confirmToOutcomeUs")]
    pub confirm_to_outcome: Option<Duration>,
    /// The audit append including fsync.
    #[serde(serialize_with = "serialize_us", rename = "auditUs")]
    pub audit: Duration,
    /// Command -> outcome.
    #[serde(serialize_with = "serialize_us", rename = "totalUs")]
    pub total: Duration,
}

/// The full answer to an action.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionReport {
    /// What was done.
    pub action: ActionKind,
    /// The conversation.
    pub conversation_id: ConversationId,
    /// The leg acted on.
    pub participant: PartySummary,
    /// The leg the supervisor picked (differs when a stale duplicate was resolved).
    pub requested_participant_id: ParticipantId,
    /// Set when the picked leg was a stale duplicate and the person's live leg was used instead.
    pub resolution: Option<String>,
    /// The outcome.
    pub outcome: ActionOutcome,
    /// `ININ-Correlation-Id` of the action's request, for support.
    pub correlation_id: Option<String>,
    /// The audit record written for this action.
    pub audit_id: Uuid,
    /// Where the time went.
    pub timings: ActionTimings,
}
