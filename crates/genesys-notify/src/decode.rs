//! Frame decoding on top of `genesys-model`'s lazy envelope: one cheap pass over the envelope (the body stays
//! raw), then one typed pass over the body only for topics we deliver. Errors name the JSON path.

use std::borrow::Cow;
use std::fmt;

use genesys_model::transcription::TranscriptionTopicTranscriptionMessage;
use genesys_model::{
    DecodeError, QueueConversationCallEventTopicCallConversation, RawNotification, SystemMessage,
    SystemTopicType, decode,
};
use serde_json::value::RawValue;

/// A text frame, sorted by what the state machine does with it.
pub(crate) enum Frame<'a> {
    /// `channel.metadata`: heartbeat or pong; proves the socket is alive and nothing more.
    Metadata,
    /// `v2.system.socket_closing`: the server will close this socket soon.
    SocketClosing,
    /// The user's tokens were revoked: the session is over.
    TokenRevoked,
    /// Another channel took this channel's subscriptions.
    NoLongerSubscribed,
    /// Some other system message; logged and ignored.
    OtherSystem(Cow<'a, str>),
    /// An event on a regular topic; the body is decoded only if the topic is subscribed.
    Event {
        topic: Cow<'a, str>,
        body: Option<&'a RawValue>,
        correlation_id: Option<String>,
    },
}

impl fmt::Debug for Frame<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Metadata => f.write_str("Metadata"),
            Self::SocketClosing => f.write_str("SocketClosing"),
            Self::TokenRevoked => f.write_str("TokenRevoked"),
            Self::NoLongerSubscribed => f.write_str("NoLongerSubscribed"),
            Self::OtherSystem(topic) => write!(f, "OtherSystem({topic})"),
            Self::Event { topic, .. } => write!(f, "Event({topic})"),
        }
    }
}

/// Reads the envelope of one text frame without decoding a conversation body.
pub(crate) fn classify(text: &str) -> Result<Frame<'_>, DecodeError> {
    let raw = RawNotification::parse(text)?;
    let correlation_id = raw.correlation_id().map(str::to_owned);
    let RawNotification {
        topic_name: topic,
        event_body: body,
        ..
    } = raw;
    if topic == "channel.metadata" {
        return Ok(Frame::Metadata);
    }
    let Some(system) = topic.strip_prefix("v2.system.") else {
        return Ok(Frame::Event {
            topic,
            body,
            correlation_id,
        });
    };
    if system.starts_with("socket_closing") {
        return Ok(Frame::SocketClosing);
    }
    if system.starts_with("token_revoked") {
        return Ok(Frame::TokenRevoked);
    }
    if system.starts_with("no_longer_subscribed") {
        return Ok(Frame::NoLongerSubscribed);
    }
    // `v2.system.{id}.{id}` names its kind only in the body; an unreadable body is just an unknown message.
    let kind = body
        .and_then(|b| decode::<SystemMessage>(b.get().as_bytes()).ok())
        .and_then(|m| m.system_topic_type);
    Ok(match kind {
        Some(SystemTopicType::TokenRevoked) => Frame::TokenRevoked,
        Some(SystemTopicType::NoLongerSubscribed) => Frame::NoLongerSubscribed,
        _ => Frame::OtherSystem(topic),
    })
}

/// Decodes a queue calls event body into the model the roster applies.
pub(crate) fn conversation(
    body: Option<&RawValue>,
) -> Result<Box<QueueConversationCallEventTopicCallConversation>, DecodeError> {
    let body =
        body.ok_or_else(|| DecodeError::new("eventBody", "missing event body for this topic"))?;
    decode(body.get().as_bytes())
        .map(Box::new)
        .map_err(|e| e.within("eventBody"))
}

/// Decodes a transcription topic's body (`TranscriptionTopicTranscriptionMessage`).
pub(crate) fn transcription(
    body: Option<&RawValue>,
) -> Result<Box<TranscriptionTopicTranscriptionMessage>, DecodeError> {
    let body =
        body.ok_or_else(|| DecodeError::new("eventBody", "missing event body for this topic"))?;
    decode(body.get().as_bytes())
        .map(Box::new)
        .map_err(|e| e.within("eventBody"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeat_and_pong_are_metadata() {
        let hb =
            r#"{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}"#;
        assert!(matches!(classify(hb), Ok(Frame::Metadata)));
        let pong = r#"{"topicName":"channel.metadata","eventBody":{"message":"pong"}}"#;
        assert!(matches!(classify(pong), Ok(Frame::Metadata)));
    }

    #[test]
    fn system_messages_are_recognised_by_topic_or_body() {
        let closing = r#"{"topicName":"v2.system.socket_closing","eventBody":{"message":"bye"}}"#;
        assert!(matches!(classify(closing), Ok(Frame::SocketClosing)));
        let revoked = r#"{"topicName":"v2.system.token_revoked.abc","eventBody":{}}"#;
        assert!(matches!(classify(revoked), Ok(Frame::TokenRevoked)));
        let by_body =
            r#"{"topicName":"v2.system.u1.c1","eventBody":{"systemTopicType":"token_revoked"}}"#;
        assert!(matches!(classify(by_body), Ok(Frame::TokenRevoked)));
        let unsub = r#"{"topicName":"v2.system.no_longer_subscribed.x","eventBody":{}}"#;
        assert!(matches!(classify(unsub), Ok(Frame::NoLongerSubscribed)));
        let other = r#"{"topicName":"v2.system.u1.c1","eventBody":{"systemTopicType":"subscription_changed"}}"#;
        assert!(matches!(classify(other), Ok(Frame::OtherSystem(_))));
        let junk = r#"{"topicName":"v2.system.u1.c1","eventBody":[1]}"#;
        assert!(matches!(classify(junk), Ok(Frame::OtherSystem(_))));
    }

    #[test]
    fn event_keeps_body_raw_and_reads_correlation_id() {
        let text = r#"{"topicName":"v2.routing.queues.q1.conversations.calls","version":"2",
            "eventBody":{"id":"c1","participants":[]},"metadata":{"CorrelationId":"corr-1"}}"#;
        match classify(text) {
            Ok(Frame::Event {
                topic,
                body,
                correlation_id,
            }) => {
                assert_eq!(topic, "v2.routing.queues.q1.conversations.calls");
                assert_eq!(correlation_id.as_deref(), Some("corr-1"));
                let conv = conversation(body).expect("body decodes");
                assert_eq!(conv.id.as_str(), "c1");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn garbage_is_an_error_never_a_panic() {
        for text in [
            "",
            "null",
            "[]",
            "{",
            "\"x\"",
            "{\"topicName\":5}",
            "{\"eventBody\":{}}",
            "{}",
            "\u{0}",
        ] {
            assert!(classify(text).is_err(), "{text:?} should not classify");
        }
    }

    #[test]
    fn body_errors_name_the_path() {
        let text =
            r#"{"topicName":"t","eventBody":{"id":"c1","participants":[{"id":"p1"},{"id":7}]}}"#;
        let Ok(Frame::Event { body, .. }) = classify(text) else {
            panic!("classify")
        };
        let err = conversation(body).expect_err("participant id 7 is not a string");
        assert_eq!(err.path(), "eventBody.participants[1].id");
        assert_eq!(conversation(None).expect_err("no body").path(), "eventBody");
    }

    #[test]
    fn transcription_bodies_decode_and_bad_ones_name_the_path() {
        let text = r#"{"topicName":"v2.conversations.c1.transcription","eventBody":{"conversationId":"c1",
            "transcripts":[{"isFinal":true,"channel":"NEW_SIDE","alternatives":[{"offsetMs":5}]}]}}"#;
        let Ok(Frame::Event { body, .. }) = classify(text) else {
            panic!("classify")
        };
        let m = transcription(body).expect("decodes");
        assert!(
            m.transcripts[0]
                .channel
                .as_ref()
                .is_some_and(|c| c.is_unknown())
        );
        let bad = r#"{"topicName":"v2.conversations.c1.transcription","eventBody":{"transcripts":[{"isFinal":"yes"}]}}"#;
        let Ok(Frame::Event { body, .. }) = classify(bad) else {
            panic!("classify")
        };
        let err = transcription(body).expect_err("isFinal is not a bool");
        assert_eq!(err.path(), "eventBody.transcripts[0].isFinal");
        assert_eq!(
            transcription(None).expect_err("no body").path(),
            "eventBody"
        );
    }
}
