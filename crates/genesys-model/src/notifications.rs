//! Notification channels, subscriptions, topics and the WebSocket envelope.
//!
//! Decoding is lazy: [`RawNotification::parse`] reads the topic and borrows `eventBody` as raw JSON
//! without building it, so a consumer can drop topics it does not care about for the cost of a scan;
//! [`RawNotification::into_notification`] then decodes the body into the model the topic names.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::common::{EntityListing, null_as_default};
use crate::enums::{ChannelTopicState, SystemMessageReason, SystemTopicType};
use crate::error::{DecodeError, decode, decode_str};
use crate::events::{
    ConversationCallEventTopicCallConversation, ConversationEventTopicConversation,
};
use crate::ids::{ChannelId, QueueId, UserId};
use crate::time::Timestamp;

/// `POST /api/v2/notifications/channels`: a channel to open a WebSocket on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Channel {
    /// Channel id (`streaming-…`).
    pub id: ChannelId,
    /// The WebSocket URI to connect to (no Authorization header needed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_uri: Option<String>,
    /// When the channel expires (about 24 h; re-subscribing extends it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<Timestamp>,
}

/// `GET /api/v2/notifications/channels`.
pub type ChannelEntityListing = EntityListing<Channel>;

/// A subscription entry: the request body is `[{"id":topic}]`, the response adds state and refusals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelTopic {
    /// The topic name.
    pub id: String,
    /// Permitted or Rejected (with `ignoreErrors=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ChannelTopicState>,
    /// Why it was rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    /// Permissions the user lacks for it.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub missing_permissions: Vec<String>,
    /// REST link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
}

impl ChannelTopic {
    /// A request entry for `topic`.
    pub fn new(topic: &Topic) -> Self {
        Self {
            id: topic.to_string(),
            state: None,
            rejection_reason: None,
            missing_permissions: Vec::new(),
            self_uri: None,
        }
    }
}

/// `GET|PUT|POST …/subscriptions` response.
pub type ChannelTopicEntityListing = EntityListing<ChannelTopic>;

/// Topics the app understands; anything else is kept as text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Topic {
    /// `v2.routing.queues.{id}.conversations.calls`: what the board subscribes to.
    QueueConversationCalls(QueueId),
    /// `v2.users.{id}.conversations.calls`.
    UserConversationCalls(UserId),
    /// `v2.routing.queues.{id}.conversations`.
    QueueConversations(QueueId),
    /// `v2.users.{id}.conversations`.
    UserConversations(UserId),
    /// `channel.metadata`: heartbeats and pongs.
    ChannelMetadata,
    /// `v2.system.socket_closing`: reconnect soon.
    SocketClosing,
    /// Any other `v2.system.…` topic (full name).
    System(String),
    /// Anything else (full name).
    Other(String),
}

const QUEUES: &str = "v2.routing.queues.";
const USERS: &str = "v2.users.";
const CALLS: &str = ".conversations.calls";
const CONVERSATIONS: &str = ".conversations";

fn middle_id<'a>(topic: &'a str, prefix: &str, suffix: &str) -> Option<&'a str> {
    let id = topic.strip_prefix(prefix)?.strip_suffix(suffix)?;
    (!id.is_empty() && !id.contains('.')).then_some(id)
}

impl Topic {
    /// Classifies a topic name; never fails.
    pub fn parse(name: &str) -> Self {
        match name {
            "channel.metadata" => return Self::ChannelMetadata,
            "v2.system.socket_closing" => return Self::SocketClosing,
            _ => {}
        }
        if let Some(id) = middle_id(name, QUEUES, CALLS) {
            Self::QueueConversationCalls(QueueId::new(id))
        } else if let Some(id) = middle_id(name, USERS, CALLS) {
            Self::UserConversationCalls(UserId::new(id))
        } else if let Some(id) = middle_id(name, QUEUES, CONVERSATIONS) {
            Self::QueueConversations(QueueId::new(id))
        } else if let Some(id) = middle_id(name, USERS, CONVERSATIONS) {
            Self::UserConversations(UserId::new(id))
        } else if name.starts_with("v2.system.") {
            Self::System(name.to_owned())
        } else {
            Self::Other(name.to_owned())
        }
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::QueueConversationCalls(id) => write!(f, "{QUEUES}{id}{CALLS}"),
            Self::UserConversationCalls(id) => write!(f, "{USERS}{id}{CALLS}"),
            Self::QueueConversations(id) => write!(f, "{QUEUES}{id}{CONVERSATIONS}"),
            Self::UserConversations(id) => write!(f, "{USERS}{id}{CONVERSATIONS}"),
            Self::ChannelMetadata => f.write_str("channel.metadata"),
            Self::SocketClosing => f.write_str("v2.system.socket_closing"),
            Self::System(name) | Self::Other(name) => f.write_str(name),
        }
    }
}

/// `channel.metadata` body: a heartbeat or the answer to `{"message":"ping"}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChannelMetadata {
    /// `WebSocket Heartbeat` or `pong`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl ChannelMetadata {
    /// A server heartbeat: feeds the watchdog.
    pub fn is_heartbeat(&self) -> bool {
        self.message.as_deref() == Some("WebSocket Heartbeat")
    }

    /// The answer to a client ping.
    pub fn is_pong(&self) -> bool {
        self.message.as_deref() == Some("pong")
    }
}

/// `SystemMessageSystemMessage`: socket closing, lost subscriptions, revoked tokens.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemMessage {
    /// The channel concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<ChannelId>,
    /// What happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_topic_type: Option<SystemTopicType>,
    /// Correlation id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// Organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    /// User.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    /// OAuth client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_client_id: Option<String>,
    /// OAuth client's organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_client_org_id: Option<String>,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<SystemMessageReason>,
    /// Human text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Extra data (free-form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
}

/// The vendor's name for [`SystemMessage`].
pub type SystemMessageSystemMessage = SystemMessage;

#[derive(Deserialize)]
struct RawMetadata<'a> {
    #[serde(rename = "CorrelationId", borrow, default)]
    correlation_id: Cow<'a, str>,
}

/// The envelope with the body left unparsed. Borrows from the socket text: no allocation unless a
/// string needs unescaping.
#[derive(Deserialize)]
pub struct RawNotification<'a> {
    /// The topic name.
    #[serde(rename = "topicName", borrow)]
    pub topic_name: Cow<'a, str>,
    /// Envelope version (`"2"`); empty when absent.
    #[serde(borrow, default)]
    pub version: Cow<'a, str>,
    /// The body, not yet decoded.
    #[serde(rename = "eventBody", borrow, default)]
    pub event_body: Option<&'a RawValue>,
    #[serde(borrow, default)]
    metadata: Option<RawMetadata<'a>>,
}

impl fmt::Debug for RawNotification<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawNotification")
            .field("topic_name", &self.topic_name)
            .field("correlation_id", &self.correlation_id())
            .finish_non_exhaustive()
    }
}

impl<'a> RawNotification<'a> {
    /// Reads the envelope; a malformed one yields an error naming the field.
    pub fn parse(text: &'a str) -> Result<Self, DecodeError> {
        decode_str(text)
    }

    /// `metadata.CorrelationId`, when present and non-empty.
    pub fn correlation_id(&self) -> Option<&str> {
        self.metadata
            .as_ref()
            .map(|m| m.correlation_id.as_ref())
            .filter(|s| !s.is_empty())
    }

    /// The classified topic.
    pub fn topic(&self) -> Topic {
        Topic::parse(&self.topic_name)
    }

    /// Decodes the body into the model its topic names; errors are located under `eventBody`.
    pub fn into_notification(self) -> Result<Notification, DecodeError> {
        let topic = self.topic();
        let correlation_id = self.correlation_id().map(str::to_owned);
        let body = match &topic {
            Topic::QueueConversationCalls(_) | Topic::UserConversationCalls(_) => {
                NotificationBody::CallConversation(Box::new(required_body(self.event_body)?))
            }
            Topic::QueueConversations(_) | Topic::UserConversations(_) => {
                NotificationBody::Conversation(Box::new(required_body(self.event_body)?))
            }
            Topic::ChannelMetadata => {
                NotificationBody::ChannelMetadata(optional_body(self.event_body)?)
            }
            Topic::SocketClosing | Topic::System(_) => {
                NotificationBody::System(Box::new(optional_body(self.event_body)?))
            }
            Topic::Other(_) => NotificationBody::Raw(self.event_body.map(RawValue::to_owned)),
        };
        Ok(Notification {
            topic,
            correlation_id,
            body,
        })
    }
}

fn required_body<'a, T: Deserialize<'a>>(body: Option<&'a RawValue>) -> Result<T, DecodeError> {
    let raw =
        body.ok_or_else(|| DecodeError::new("eventBody", "missing event body for this topic"))?;
    decode(raw.get().as_bytes()).map_err(|e| e.within("eventBody"))
}

fn optional_body<'a, T: Deserialize<'a> + Default>(
    body: Option<&'a RawValue>,
) -> Result<T, DecodeError> {
    match body {
        None => Ok(T::default()),
        Some(raw) => decode(raw.get().as_bytes()).map_err(|e| e.within("eventBody")),
    }
}

/// A decoded socket message.
#[derive(Debug)]
pub struct Notification {
    /// What it is about.
    pub topic: Topic,
    /// `metadata.CorrelationId`.
    pub correlation_id: Option<String>,
    /// The typed body.
    pub body: NotificationBody,
}

impl Notification {
    /// Parses envelope and body in one go.
    pub fn decode(text: &str) -> Result<Self, DecodeError> {
        RawNotification::parse(text)?.into_notification()
    }
}

/// Typed notification bodies.
#[derive(Debug)]
pub enum NotificationBody {
    /// A full call-conversation snapshot (`…conversations.calls` topics).
    CallConversation(Box<ConversationCallEventTopicCallConversation>),
    /// A full conversation snapshot with `calls[]` (`…conversations` topics).
    Conversation(Box<ConversationEventTopicConversation>),
    /// Heartbeat or pong.
    ChannelMetadata(ChannelMetadata),
    /// A system message.
    System(Box<SystemMessage>),
    /// A topic this build does not model, kept raw.
    Raw(Option<Box<RawValue>>),
}

/// The envelope for writing (emulator, tests): `{topicName, version, eventBody, metadata:{CorrelationId}}`.
#[derive(Debug, Serialize)]
pub struct NotificationEnvelope<'a, T: Serialize> {
    /// Topic name.
    #[serde(rename = "topicName")]
    pub topic_name: &'a str,
    /// Envelope version.
    pub version: &'a str,
    /// Body.
    #[serde(rename = "eventBody")]
    pub event_body: &'a T,
    /// Metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<EnvelopeMetadata<'a>>,
}

/// `metadata` of an outgoing envelope.
#[derive(Debug, Serialize)]
pub struct EnvelopeMetadata<'a> {
    /// Correlation id (capital C on the wire).
    #[serde(rename = "CorrelationId")]
    pub correlation_id: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_parse_and_print() {
        for (name, topic) in [
            (
                "v2.routing.queues.q1.conversations.calls",
                Topic::QueueConversationCalls(QueueId::new("q1")),
            ),
            (
                "v2.users.u1.conversations.calls",
                Topic::UserConversationCalls(UserId::new("u1")),
            ),
            (
                "v2.routing.queues.q1.conversations",
                Topic::QueueConversations(QueueId::new("q1")),
            ),
            (
                "v2.users.u1.conversations",
                Topic::UserConversations(UserId::new("u1")),
            ),
            ("channel.metadata", Topic::ChannelMetadata),
            ("v2.system.socket_closing", Topic::SocketClosing),
            (
                "v2.system.token_revoked.abc",
                Topic::System("v2.system.token_revoked.abc".into()),
            ),
            (
                "v2.routing.queues..conversations.calls",
                Topic::Other("v2.routing.queues..conversations.calls".into()),
            ),
            (
                "v2.users.a.b.conversations",
                Topic::Other("v2.users.a.b.conversations".into()),
            ),
        ] {
            assert_eq!(Topic::parse(name), topic, "{name}");
            assert_eq!(topic.to_string(), name);
        }
    }

    #[test]
    fn heartbeat_decodes() {
        let n = Notification::decode(
            r#"{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}"#,
        )
        .unwrap();
        assert_eq!(n.topic, Topic::ChannelMetadata);
        match n.body {
            NotificationBody::ChannelMetadata(m) => assert!(m.is_heartbeat()),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn envelope_borrows_and_skips_body() {
        let text = r#"{"topicName":"v2.foo","version":"2","eventBody":{"a":[1,2,{"b":null}]},"metadata":{"CorrelationId":"c-1"}}"#;
        let raw = RawNotification::parse(text).unwrap();
        assert!(matches!(raw.topic_name, Cow::Borrowed(_)));
        assert_eq!(raw.version, "2");
        assert_eq!(raw.correlation_id(), Some("c-1"));
        assert_eq!(
            raw.event_body.map(RawValue::get),
            Some(r#"{"a":[1,2,{"b":null}]}"#)
        );
        let n = raw.into_notification().unwrap();
        assert!(matches!(n.body, NotificationBody::Raw(Some(_))));
    }

    #[test]
    fn missing_body_on_a_conversation_topic_is_an_error_at_event_body() {
        let err =
            Notification::decode(r#"{"topicName":"v2.users.u.conversations.calls"}"#).unwrap_err();
        assert_eq!(err.path(), "eventBody");
    }

    #[test]
    fn missing_topic_is_an_error() {
        let err = Notification::decode(r#"{"eventBody":{}}"#).unwrap_err();
        assert!(err.message().contains("topicName"), "{err}");
    }
}
