//! What the client watches: queues, and people (conference bridges dialled directly carry no queue and show up
//! only on the users' topics, docs/genesys-api.md "Reading many calls"), and the transcription of single calls
//! (docs/genesys-api.md "Idle and silent legs, transcription, stuck interactions").

use std::fmt;

use genesys_model::ids::{ConversationId, QueueId, UserId, is_valid_id};

const QUEUE_PREFIX: &str = "v2.routing.queues.";
const USER_PREFIX: &str = "v2.users.";
const CALLS_SUFFIX: &str = ".conversations.calls";
const CONVERSATION_PREFIX: &str = "v2.conversations.";
const TRANSCRIPTION_SUFFIX: &str = ".transcription";

/// One thing to watch, so queues, people and transcripts share one subscription set, one plan and one event
/// stream.
///
/// The queue and user topics carry the same full call-conversation snapshot
/// (`ConversationCallEventTopicCallConversation`); the transcription topic carries
/// `TranscriptionTopicTranscriptionMessage`s (delivered as [`crate::NotifyEvent::Transcription`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WatchTarget {
    /// A routing queue: `v2.routing.queues.{id}.conversations.calls`.
    Queue(QueueId),
    /// A user (agent, supervisor): `v2.users.{id}.conversations.calls`, the only way to see non-ACD bridges.
    User(UserId),
    /// One call's real-time transcription: `v2.conversations.{id}.transcription` (needs the permission
    /// `conversation:transcription:view`).
    Transcription(ConversationId),
}

impl WatchTarget {
    /// The topic of this target, the one string the platform subscribes and names events with.
    pub fn topic(&self) -> String {
        let (prefix, id, suffix) = match self {
            Self::Queue(q) => (QUEUE_PREFIX, q.as_str(), CALLS_SUFFIX),
            Self::User(u) => (USER_PREFIX, u.as_str(), CALLS_SUFFIX),
            Self::Transcription(c) => (CONVERSATION_PREFIX, c.as_str(), TRANSCRIPTION_SUFFIX),
        };
        let mut topic = String::with_capacity(prefix.len() + id.len() + suffix.len());
        topic.push_str(prefix);
        topic.push_str(id);
        topic.push_str(suffix);
        topic
    }

    /// The target of a calls or transcription topic (`None` for any other topic), so a refusal can be routed
    /// without a table.
    pub fn from_topic(topic: &str) -> Option<WatchTarget> {
        let id_of = |prefix: &str, suffix: &str| {
            topic
                .strip_prefix(prefix)?
                .strip_suffix(suffix)
                .filter(|id| is_valid_id(id))
        };
        if let Some(id) = id_of(QUEUE_PREFIX, CALLS_SUFFIX) {
            return Some(Self::Queue(QueueId::from(id)));
        }
        if let Some(id) = id_of(USER_PREFIX, CALLS_SUFFIX) {
            return Some(Self::User(UserId::from(id)));
        }
        id_of(CONVERSATION_PREFIX, TRANSCRIPTION_SUFFIX)
            .map(|id| Self::Transcription(ConversationId::from(id)))
    }

    /// The queue, for a queue target, so queue-only consumers need no match.
    pub fn queue_id(&self) -> Option<&QueueId> {
        match self {
            Self::Queue(q) => Some(q),
            Self::User(_) | Self::Transcription(_) => None,
        }
    }

    /// The user, for a user target, so people-only consumers need no match.
    pub fn user_id(&self) -> Option<&UserId> {
        match self {
            Self::User(u) => Some(u),
            Self::Queue(_) | Self::Transcription(_) => None,
        }
    }

    /// The call, for a transcription target.
    pub fn transcription_of(&self) -> Option<&ConversationId> {
        match self {
            Self::Transcription(c) => Some(c),
            Self::Queue(_) | Self::User(_) => None,
        }
    }

    /// The id must be one topic segment: anything else would subscribe to a different topic or none.
    pub fn is_valid(&self) -> bool {
        is_valid_id(self.id())
    }

    fn id(&self) -> &str {
        match self {
            Self::Queue(q) => q.as_str(),
            Self::User(u) => u.as_str(),
            Self::Transcription(c) => c.as_str(),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Self::Queue(_) => "queue",
            Self::User(_) => "user",
            Self::Transcription(_) => "transcription of call",
        }
    }
}

/// `queue <id>` / `user <id>` / `transcription of call <id>`, for logs and error messages.
impl fmt::Display for WatchTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}", self.kind(), self.id())
    }
}

impl From<QueueId> for WatchTarget {
    fn from(queue: QueueId) -> Self {
        Self::Queue(queue)
    }
}

impl From<UserId> for WatchTarget {
    fn from(user: UserId) -> Self {
        Self::User(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(id: &str) -> WatchTarget {
        WatchTarget::Queue(QueueId::new(id))
    }

    fn user(id: &str) -> WatchTarget {
        WatchTarget::User(UserId::new(id))
    }

    #[test]
    fn topics_round_trip() {
        let q = queue("0d6c-11");
        assert_eq!(q.topic(), "v2.routing.queues.0d6c-11.conversations.calls");
        assert_eq!(WatchTarget::from_topic(&q.topic()), Some(q.clone()));
        let u = user("u_1");
        assert_eq!(u.topic(), "v2.users.u_1.conversations.calls");
        assert_eq!(WatchTarget::from_topic(&u.topic()), Some(u.clone()));
        assert_eq!(q.queue_id(), Some(&QueueId::new("0d6c-11")));
        assert_eq!(q.user_id(), None);
        assert_eq!(u.user_id(), Some(&UserId::new("u_1")));
        assert_eq!(u.queue_id(), None);
        let t = WatchTarget::Transcription(ConversationId::new("c-1"));
        assert_eq!(t.topic(), "v2.conversations.c-1.transcription");
        assert_eq!(WatchTarget::from_topic(&t.topic()), Some(t.clone()));
        assert_eq!(t.transcription_of(), Some(&ConversationId::new("c-1")));
        assert_eq!((t.queue_id(), t.user_id()), (None, None));
        assert_eq!(q.transcription_of(), None);
        assert_eq!(t.to_string(), r#"transcription of call "c-1""#);
    }

    #[test]
    fn other_topics_are_not_targets() {
        for topic in [
            "v2.routing.queues.x.conversations",
            "v2.routing.queues.a.b.conversations.calls",
            "v2.routing.queues..conversations.calls",
            "v2.users.u1.conversations",
            "v2.users..conversations.calls",
            "v2.users.a.b.conversations.calls",
            "v2.conversations.a.b.transcription",
            "v2.conversations..transcription",
            "v2.conversations.c1.transcriptions",
            "v2.system.socket_closing",
            "",
        ] {
            assert_eq!(WatchTarget::from_topic(topic), None, "{topic}");
        }
    }

    #[test]
    fn ids_are_single_segments() {
        assert!(queue("5f1e6c4a-8a9e-4b0b-bf7c-3f1d2a9e0b11").is_valid());
        assert!(user("5f1e6c4a-8a9e-4b0b-bf7c-3f1d2a9e0b11").is_valid());
        for bad in ["", "a.b", "a b", "*", &"x".repeat(129)] {
            assert!(!queue(bad).is_valid(), "{bad:?}");
            assert!(!user(bad).is_valid(), "{bad:?}");
        }
    }

    #[test]
    fn queues_sort_before_users_and_display_names_the_kind() {
        assert!(queue("z") < user("a"));
        assert_eq!(queue("q1").to_string(), r#"queue "q1""#);
        assert_eq!(user("").to_string(), r#"user """#);
    }
}
