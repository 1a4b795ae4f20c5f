//! The emulator's own domain model: what the world holds, independent of any wire shape.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A call leg's state; only the values the emulator ever produces (the wire enums are larger).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LegState {
    /// Ringing at the party.
    Alerting,
    /// Outbound leg being dialled.
    Dialing,
    /// Talking (or on hold, or waiting in queue for an ACD leg).
    Connected,
    /// The other side went away, or the party was dropped.
    Disconnected,
    /// This side fully released the call (ACD legs at conversation end, stale legs).
    Terminated,
}

impl LegState {
    /// Whether the leg is still on the line (both ended states mean gone: docs/genesys-api.md,
    /// "Participant states and roles").
    pub fn is_live(self) -> bool {
        !matches!(self, LegState::Disconnected | LegState::Terminated)
    }

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            LegState::Alerting => "alerting",
            LegState::Dialing => "dialing",
            LegState::Connected => "connected",
            LegState::Disconnected => "disconnected",
            LegState::Terminated => "terminated",
        }
    }
}

/// A person who can sign in.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
    pub title: String,
    pub department: String,
    pub role: String,
    pub permissions: Vec<String>,
    pub queue_ids: Vec<String>,
}

/// A routing queue.
#[derive(Debug, Clone)]
pub struct Queue {
    pub id: String,
    pub name: String,
    pub description: String,
}

/// An OAuth client registered in the org.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthClient {
    pub id: String,
    pub name: String,
    /// None for public (PKCE) clients.
    #[serde(skip_serializing)]
    pub secret: Option<String>,
    pub redirect_uris: Vec<String>,
    /// Any of "authorization_code", "refresh_token", "client_credentials".
    pub grants: Vec<String>,
    /// Permissions a client-credentials token of this client carries (its roles).
    pub permissions: Vec<String>,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret never appears in Debug output.
        f.debug_struct("OAuthClient")
            .field("id", &self.id)
            .field("public", &self.secret.is_none())
            .field("redirect_uris", &self.redirect_uris)
            .field("grants", &self.grants)
            .finish_non_exhaustive()
    }
}

impl OAuthClient {
    /// Whether the client is public (no secret, PKCE required).
    pub fn is_public(&self) -> bool {
        self.secret.is_none()
    }

    /// Whether the client may use the grant.
    pub fn allows(&self, grant: &str) -> bool {
        self.grants.iter().any(|g| g == grant)
    }
}

/// One communication (`calls[]` entry) of a participant.
#[derive(Debug, Clone)]
pub struct Communication {
    pub id: String,
    pub state: LegState,
    pub initial_state: LegState,
    pub direction: String,
    pub held: bool,
    pub muted: bool,
    pub confined: bool,
    pub recording: bool,
    pub start_alerting_time: Option<DateTime<Utc>>,
    pub connected_time: Option<DateTime<Utc>>,
    pub start_hold_time: Option<DateTime<Utc>>,
    pub disconnected_time: Option<DateTime<Utc>>,
    pub disconnect_type: Option<String>,
    pub self_address: String,
    pub other_address: String,
}

/// A participant's wrap-up (`Wrapup` on REST, `...EventTopicWrapup` in events).
#[derive(Debug, Clone, PartialEq)]
pub struct Wrapup {
    pub code: String,
    pub name: String,
    pub notes: String,
    pub duration_seconds: i64,
    pub end_time: DateTime<Utc>,
}

/// One party of a call; never removed once added.
#[derive(Debug, Clone)]
pub struct Participant {
    pub id: String,
    pub name: String,
    pub purpose: String,
    pub address: String,
    pub user_id: Option<String>,
    pub queue_id: Option<String>,
    pub state: LegState,
    pub direction: String,
    pub start_time: DateTime<Utc>,
    pub start_alerting_time: Option<DateTime<Utc>>,
    pub connected_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
    pub start_hold_time: Option<DateTime<Utc>>,
    pub disconnect_type: Option<String>,
    pub held: bool,
    pub muted: bool,
    pub confined: bool,
    pub recording: bool,
    pub wrapup_required: bool,
    /// The wrap-up on the leg (only the system wrap-up of a teardown sets one today).
    pub wrapup: Option<Wrapup>,
    pub ani: String,
    pub dnis: String,
    pub calls: Vec<Communication>,
}

impl Participant {
    /// Whether this is the routing (ACD) leg, which the end-game rule does not count as a party.
    pub fn is_acd(&self) -> bool {
        self.purpose == "acd"
    }

    /// The communication a participant-level change acts on: the non-ended one, else the last.
    pub fn live_call_mut(&mut self) -> Option<&mut Communication> {
        self.calls.iter_mut().find(|c| c.state.is_live())
    }
}

/// A call conversation.
#[derive(Debug, Clone)]
pub struct Conversation {
    pub id: String,
    pub start_time: DateTime<Utc>,
    pub end_time: Option<DateTime<Utc>>,
    /// The queue the call came in on, if any.
    pub queue_id: Option<String>,
    pub address: String,
    pub participants: Vec<Participant>,
    /// Bumped on every state change, so tests can see that "nothing changed".
    pub version: u64,
}

impl Conversation {
    /// Whether the call is still going.
    pub fn is_active(&self) -> bool {
        self.end_time.is_none()
    }

    /// Every queue on the conversation, in first-seen order (topics fan out per queue).
    pub fn queue_ids(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let all = self
            .queue_id
            .iter()
            .chain(self.participants.iter().filter_map(|p| p.queue_id.as_ref()));
        for q in all {
            if !out.contains(q) {
                out.push(q.clone());
            }
        }
        out
    }

    /// Every user party, in first-seen order.
    pub fn user_ids(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for u in self.participants.iter().filter_map(|p| p.user_id.as_ref()) {
            if !out.contains(u) {
                out.push(u.clone());
            }
        }
        out
    }

    /// The participant with that id.
    pub fn participant(&self, id: &str) -> Option<&Participant> {
        self.participants.iter().find(|p| p.id == id)
    }

    /// Live non-ACD parties (what the conference end-game counts).
    pub fn live_parties(&self) -> usize {
        self.participants
            .iter()
            .filter(|p| !p.is_acd() && p.state.is_live())
            .count()
    }

    /// Whether the user has a live leg on this call.
    pub fn has_live_user(&self, user_id: &str) -> bool {
        self.participants
            .iter()
            .any(|p| p.user_id.as_deref() == Some(user_id) && p.state.is_live())
    }

    /// Whether the user appears on the call at all (any leg, any state).
    pub fn has_user(&self, user_id: &str) -> bool {
        self.participants
            .iter()
            .any(|p| p.user_id.as_deref() == Some(user_id))
    }
}
