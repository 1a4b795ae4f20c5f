//! The vocabulary of state changes: what callers ask for (`Change`, the requests in it) and why
//! a change cannot be applied (`ChangeError`).

use serde::{Deserialize, Serialize};

/// A party to put on a call (control plane and churn).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PartyRequest {
    /// customer, agent, external, user, ... (agent/user need `userId`).
    pub purpose: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// "connected" (default) or "alerting".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// A new call (control plane and churn).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct NewCallRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_id: Option<String>,
    pub parties: Vec<PartyRequest>,
}

/// The state a participant PATCH may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetState {
    /// Answer.
    Connected,
    /// Hang up.
    Disconnected,
}

/// The recognised part of a `MediaParticipantRequest`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LegUpdate {
    /// `connected` answers an alerting leg; `disconnected` drops the leg.
    pub state: Option<TargetState>,
    pub muted: Option<bool>,
    pub held: Option<bool>,
    pub confined: Option<bool>,
    pub recording: Option<bool>,
}

impl LegUpdate {
    /// Whether the body asked for anything the emulator acts on.
    pub fn is_empty(&self) -> bool {
        *self == LegUpdate::default()
    }
}

/// Every kind of state change.
#[derive(Debug, Clone)]
pub enum Change {
    /// A call starts (with the ACD leg when it comes in on a queue).
    Create(NewCallRequest),
    /// A party joins a live call (it becomes a conference).
    Join {
        conversation_id: String,
        party: PartyRequest,
    },
    /// A participant PATCH takes effect (after the patch delay).
    Update {
        conversation_id: String,
        participant_id: String,
        update: LegUpdate,
    },
    /// One `calls[]` entry ends (communication PATCH).
    EndCommunication {
        conversation_id: String,
        participant_id: String,
        communication_id: String,
    },
    /// A party hangs up by itself.
    Leave {
        conversation_id: String,
        participant_id: String,
        disconnect_type: String,
    },
    /// The whole call ends for everyone.
    End {
        conversation_id: String,
        disconnect_type: String,
    },
    /// The emergency teardown (`POST /api/v2/conversations/{id}/disconnect`): the call ends for
    /// everyone and every leg still pending wrap-up gets the system wrap-up code.
    Teardown { conversation_id: String },
}

impl Change {
    /// The conversation an existing-call change acts on (`None` for a new call).
    pub fn conversation_id(&self) -> Option<&str> {
        match self {
            Change::Create(_) => None,
            Change::Join {
                conversation_id, ..
            }
            | Change::Update {
                conversation_id, ..
            }
            | Change::EndCommunication {
                conversation_id, ..
            }
            | Change::Leave {
                conversation_id, ..
            }
            | Change::End {
                conversation_id, ..
            }
            | Change::Teardown { conversation_id } => Some(conversation_id),
        }
    }
}

/// Why a change cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    #[error("conversation not found")]
    ConversationNotFound,
    #[error("conversation already ended")]
    ConversationEnded,
    #[error("participant {0} not found")]
    ParticipantNotFound(String),
    #[error("communication {0} not found")]
    CommunicationNotFound(String),
    #[error("leg already ended")]
    LegEnded,
    #[error("cannot hold an alerting call")]
    HoldAlerting,
    #[error("cannot confine outside a conference")]
    CannotConfine,
    #[error("unknown user {0}")]
    UnknownUser(String),
    #[error("unknown queue {0}")]
    UnknownQueue(String),
    #[error("{0}")]
    Invalid(String),
}
