//! What the client delivers to its consumer (the roster).

use std::sync::Arc;

use genesys_model::events::ConversationCallEventTopicCallConversation;
use genesys_model::ids::{ConversationId, QueueId};
use genesys_model::transcription::TranscriptionTopicTranscriptionMessage;

use crate::status::ConnectionStatus;
use crate::target::WatchTarget;
use genesys_model::DecodeError;

/// One item of the client's output, in the order the consumer must apply them.
#[derive(Clone, Debug)]
pub enum NotifyEvent {
    /// The connection status changed (the same value the watch channel holds).
    Status(ConnectionStatus),
    /// Re-read these targets (queues, users) over REST now: events before this point may be missing.
    ///
    /// Always emitted before the first event of a new socket, because a Genesys channel replays nothing.
    Resync(Resync),
    /// A full conversation snapshot from a subscribed queue or user topic.
    Conversation(ConversationEvent),
    /// A message of a subscribed transcription topic (utterances, or a status-only heartbeat).
    Transcription(TranscriptionEvent),
    /// A frame that could not be decoded; it was skipped and the socket stays up.
    Malformed(Malformed),
    /// The platform will not deliver a topic (missing permission, unknown queue, too many subscriptions).
    SubscriptionRejected(SubscriptionRejected),
}

/// A re-snapshot request: which targets lost continuity, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resync {
    /// Why continuity was lost.
    pub reason: ResyncReason,
    /// The targets to re-read; after a (re)connect that is every subscribed target, queues and users.
    pub targets: Vec<WatchTarget>,
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
    /// Targets were added to the subscription; they have no history on this connection.
    TargetsAdded,
}

/// A decoded conversation event, with what the roster and support need to place it.
#[derive(Clone, Debug)]
pub struct ConversationEvent {
    /// The topic it arrived on (shared, not copied per event).
    pub topic: Arc<str>,
    /// The watched queue or user of that topic (a conversation seen on several topics arrives once per topic).
    pub source: WatchTarget,
    /// The full conversation snapshot: apply it as a replacement, never as a delta.
    pub conversation: Box<ConversationCallEventTopicCallConversation>,
    /// `metadata.CorrelationId` of the envelope, for support.
    pub correlation_id: Option<String>,
}

impl ConversationEvent {
    /// The queue of the topic, when the event came from a queue topic (`None` for a user topic).
    pub fn queue_id(&self) -> Option<&QueueId> {
        self.source.queue_id()
    }
}

/// One message of `v2.conversations.{id}.transcription`.
#[derive(Clone, Debug)]
pub struct TranscriptionEvent {
    /// The topic it arrived on (shared, not copied per event).
    pub topic: Arc<str>,
    /// The call of the topic (the body's own `conversationId` may be absent).
    pub conversation_id: ConversationId,
    /// The message as the platform sent it (unknown enum values kept).
    pub message: Box<TranscriptionTopicTranscriptionMessage>,
}

/// A skipped frame, reported so the problem is visible without costing the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    /// The topic, when the envelope was readable enough to name it.
    pub topic: Option<String>,
    /// What was wrong, with the JSON path when the body failed.
    pub error: DecodeError,
}

/// A topic the platform will not deliver; the other targets stay live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionRejected {
    /// The queue or user whose topic was rejected (`None` if the platform named a topic we cannot parse).
    pub target: Option<WatchTarget>,
    /// The topic.
    pub topic: String,
    /// The platform's reason.
    pub reason: String,
}
