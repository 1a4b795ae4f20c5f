//! What the client delivers to its consumer (the roster).

use std::sync::Arc;

use genesys_model::events::QueueConversationCallEventTopicCallConversation;
use genesys_model::ids::QueueId;

use crate::status::ConnectionStatus;
use genesys_model::DecodeError;

/// One item of the client's output, in the order the consumer must apply them.
#[derive(Clone, Debug)]
pub enum NotifyEvent {
    /// The connection status changed (the same value the watch channel holds).
    Status(ConnectionStatus),
    /// Re-read these queues over REST now: events before this point may be missing.
    ///
    /// Always emitted before the first event of a new socket, because a Genesys channel replays nothing.
    Resync(Resync),
    /// A full conversation snapshot from a subscribed queue topic.
    Conversation(ConversationEvent),
    /// A frame that could not be decoded; it was skipped and the socket stays up.
    Malformed(Malformed),
    /// The platform accepted a topic into the list but will not deliver it (missing permission, unknown queue).
    SubscriptionRejected(SubscriptionRejected),
}

/// A re-snapshot request: which queues lost continuity, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resync {
    /// Why continuity was lost.
    pub reason: ResyncReason,
    /// The queues to re-read; after a (re)connect that is every subscribed queue.
    pub queues: Vec<QueueId>,
}

/// Why a [`Resync`] was emitted; the consumer treats them alike, the log and the UI tell them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResyncReason {
    /// The first connection of this client.
    Connected,
    /// A new connection after the previous one was lost.
    Reconnected,
    /// A planned move to a new channel (`v2.system.socket_closing` or channel expiry); nothing was lost in
    /// principle, but the two sockets overlap and the old one's unread tail was dropped.
    Handover,
    /// Queues were added to the subscription; they have no history on this connection.
    QueuesAdded,
}

/// A decoded conversation event, with what the roster and support need to place it.
#[derive(Clone, Debug)]
pub struct ConversationEvent {
    /// The topic it arrived on (shared, not copied per event).
    pub topic: Arc<str>,
    /// The queue of that topic.
    pub queue_id: QueueId,
    /// The full conversation snapshot: apply it as a replacement, never as a delta.
    pub conversation: Box<QueueConversationCallEventTopicCallConversation>,
    /// `metadata.CorrelationId` of the envelope, for support.
    pub correlation_id: Option<String>,
}

/// A skipped frame, reported so the problem is visible without costing the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    /// The topic, when the envelope was readable enough to name it.
    pub topic: Option<String>,
    /// What was wrong, with the JSON path when the body failed.
    pub error: DecodeError,
}

/// A queue topic the platform will not deliver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionRejected {
    /// The queue whose topic was rejected (`None` if the platform named a topic we cannot parse).
    pub queue_id: Option<QueueId>,
    /// The topic.
    pub topic: String,
    /// The platform's reason.
    pub reason: String,
}
