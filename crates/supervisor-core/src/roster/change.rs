//! What the roster tells its consumers (the UI, the CLI, the action verifier): numbered changes and
//! a status that says whether the data can be trusted.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use genesys_model::{ConversationId, QueueId, UserId};
use genesys_notify::{CloseReason, ConnectionStatus};
use serde::{Serialize, Serializer};

use super::record::ConversationRecord;

fn serialize_arc<S: Serializer>(
    record: &Arc<ConversationRecord>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    record.as_ref().serialize(serializer)
}

fn serialize_arcs<S: Serializer>(
    records: &[Arc<ConversationRecord>],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(records.iter().map(AsRef::as_ref))
}

/// One numbered change; a consumer that applied a snapshot with `seq = n` applies changes with `seq > n`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RosterChange {
    /// Strictly increasing, without gaps, per roster.
    pub seq: u64,
    /// When the roster applied it (monotonic clock; used to measure what happens after it).
    #[serde(skip)]
    pub at: Instant,
    /// What changed.
    pub kind: ChangeKind,
}

/// The kinds of change, so the UI can patch its table instead of reloading it.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ChangeKind {
    /// A conversation appeared or changed; the record replaces the previous one with the same id.
    Upserted {
        /// The new record.
        #[serde(serialize_with = "serialize_arc")]
        conversation: Arc<ConversationRecord>,
    },
    /// A conversation left the board.
    Removed {
        /// Its id.
        id: ConversationId,
        /// Why: the UI says "call ended" only for [`RemovalReason::Ended`].
        reason: RemovalReason,
    },
    /// A REST snapshot of these queues landed: the data is trustworthy again.
    Resynced {
        /// The queues that were re-read.
        queues: Vec<QueueId>,
        /// Conversations on the board after the snapshot.
        conversations: usize,
    },
    /// The connection or trust status changed.
    Status {
        /// The new status.
        status: RosterStatus,
    },
}

/// Why a conversation left the board.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RemovalReason {
    /// Every leg ended: the call is over.
    Ended,
    /// It is not on any watched queue any more (the supervisor changed the queue selection).
    Unwatched,
    /// A re-read answered 404: the platform no longer knows it.
    NotFound,
}

/// The notification connection as the UI shows it (a serialisable view of `ConnectionStatus`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum ConnectionState {
    /// Creating the channel and opening the socket.
    Connecting,
    /// Subscribing the queue topics.
    Subscribing,
    /// Events flow.
    Live,
    /// Waiting before the next attempt.
    BackingOff {
        /// Consecutive failed attempts.
        attempt: u32,
        /// Milliseconds until the next attempt, at the time of the change.
        retry_in_ms: u64,
    },
    /// Closed for good; `code` is `SessionExpired` (sign in again), `Rejected` or `Shutdown`.
    Closed {
        /// Stable code the UI switches on.
        code: String,
        /// Human-readable reason.
        message: String,
    },
}

impl ConnectionState {
    /// Maps the notification client's status.
    pub fn from_status(status: &ConnectionStatus) -> Self {
        match status {
            ConnectionStatus::Connecting => Self::Connecting,
            ConnectionStatus::Subscribing => Self::Subscribing,
            ConnectionStatus::Live => Self::Live,
            ConnectionStatus::BackingOff { attempt, .. } => Self::BackingOff {
                attempt: *attempt,
                retry_in_ms: status
                    .retry_in()
                    .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            },
            ConnectionStatus::Closed { reason } => Self::closed(reason),
        }
    }

    fn closed(reason: &CloseReason) -> Self {
        Self::Closed {
            code: reason.code().to_owned(),
            message: reason.to_string(),
        }
    }

    /// True while events flow.
    pub fn is_live(&self) -> bool {
        matches!(self, Self::Live)
    }

    /// True when the session behind the connection is over: the UI asks to sign in again.
    pub fn is_session_expired(&self) -> bool {
        matches!(self, Self::Closed { code, .. } if code == "SessionExpired")
    }
}

/// A queue or person whose topic the platform will not deliver (missing permission, unknown id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectedQueue {
    /// The queue, when the topic named one.
    pub queue_id: Option<QueueId>,
    /// The person, when the topic was a user's.
    pub user_id: Option<UserId>,
    /// The platform's reason.
    pub reason: String,
}

/// How much of what is watched the board holds: the board is only "live" when it is complete.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Completeness {
    /// Live watched calls known to exist (on the board or waiting to be read).
    pub discovered: usize,
    /// Calls on the board.
    pub held: usize,
    /// Calls on the board with every field known (an event or a REST read supplied it).
    pub full_detail: usize,
    /// Calls known to exist that are not on the board yet.
    pub unread: usize,
    /// When the unread calls are read again (after a failed read).
    pub next_retry: Option<DateTime<Utc>>,
    /// Every watched target has been swept since the last (re)connect.
    pub swept: bool,
    /// Permissions whose absence makes the board slower or poorer, with the fallback in use.
    pub missing_permissions: Vec<String>,
    /// Plain sentences the board should show (refused topics, fallbacks).
    pub notices: Vec<String>,
}

impl Completeness {
    /// Every discovered call is on the board and the last sweep finished.
    pub fn is_complete(&self) -> bool {
        self.swept && self.unread == 0
    }
}

/// Whether the board can be trusted, and since when it may be stale.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RosterStatus {
    /// The notification connection.
    pub connection: ConnectionState,
    /// A REST snapshot is in progress (or waiting to be retried).
    pub resyncing: bool,
    /// Live connection and a snapshot taken on it: events can be trusted.
    pub trusted: bool,
    /// When the data stopped being trustworthy; `None` while trusted. The UI shows the age.
    pub stale_since: Option<DateTime<Utc>>,
    /// When the last snapshot landed.
    pub last_snapshot: Option<DateTime<Utc>>,
    /// Queues the platform refused to deliver.
    pub rejected_queues: Vec<RejectedQueue>,
    /// Frames skipped as undecodable since start.
    pub malformed_events: u64,
    /// The last snapshot failure, for the status bar.
    pub last_error: Option<String>,
    /// How complete the board is.
    pub completeness: Completeness,
}

impl RosterStatus {
    pub(crate) fn starting(now: DateTime<Utc>) -> Self {
        Self {
            connection: ConnectionState::Connecting,
            resyncing: false,
            trusted: false,
            stale_since: Some(now),
            last_snapshot: None,
            rejected_queues: Vec::new(),
            malformed_events: 0,
            last_error: None,
            completeness: Completeness::default(),
        }
    }
}

/// A consistent view of the board: apply changes with `seq` greater than this one's.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RosterSnapshot {
    /// The last change included.
    pub seq: u64,
    /// Watched queues, sorted.
    pub queues: Vec<QueueId>,
    /// Live conversations on the watched queues, by id; unchanged records are the same allocation
    /// as in earlier snapshots.
    #[serde(serialize_with = "serialize_arcs")]
    pub conversations: Vec<Arc<ConversationRecord>>,
    /// Connection and trust.
    pub status: RosterStatus,
}
