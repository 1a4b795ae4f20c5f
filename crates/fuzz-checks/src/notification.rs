//! The `notification_decode` fuzz target's body, replayed over the corpora by `tests/notification_corpus.rs`.
//!
//! Arbitrary bytes must never panic the decoder; what does decode must survive every read the roster
//! makes and round-trip through the model (what the emulator writes, the app reads back).

use genesys_model::{
    ConversationCallEventTopicCallConversation, ConversationEventTopicConversation, Notification,
    NotificationBody, ParticipantView, RawNotification, Topic,
};

/// Decodes `data` as one socket frame and exercises everything the roster reads from it.
pub fn exercise(data: &[u8]) {
    // WebSocket text frames are UTF-8 by protocol; the socket layer rejects anything else.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let raw = match RawNotification::parse(text) {
        Ok(raw) => raw,
        Err(err) => {
            check_error(&err, text, Notification::decode(text).err());
            return;
        }
    };
    let topic = raw.topic();
    assert_eq!(
        topic.to_string(),
        raw.topic_name,
        "a topic prints back as its name"
    );
    let correlation = raw.correlation_id().map(str::to_owned);
    let notification = match raw.into_notification() {
        Ok(n) => n,
        Err(err) => {
            assert!(
                err.path().starts_with("eventBody"),
                "a readable envelope fails in its body: {err}"
            );
            check_error(&err, text, Notification::decode(text).err());
            return;
        }
    };
    assert_eq!(notification.topic, topic);
    assert_eq!(notification.correlation_id, correlation);
    match &notification.body {
        NotificationBody::CallConversation(conv) => {
            assert!(matches!(
                topic,
                Topic::QueueConversationCalls(_) | Topic::UserConversationCalls(_)
            ));
            call_conversation(conv);
        }
        NotificationBody::Conversation(conv) => {
            assert!(matches!(
                topic,
                Topic::QueueConversations(_) | Topic::UserConversations(_)
            ));
            conversation(conv);
        }
        NotificationBody::ChannelMetadata(meta) => {
            assert!(!(meta.is_heartbeat() && meta.is_pong()));
        }
        NotificationBody::System(message) => {
            // `data` is free-form JSON: serde_json's default float parsing is not bit-exact, so
            // only the modelled fields are held to the round trip.
            let mut modelled = message.as_ref().clone();
            modelled.data = None;
            round_trip(&modelled);
        }
        NotificationBody::Raw(body) => {
            if let Some(body) = body {
                assert!(serde_json::from_str::<serde_json::Value>(body.get()).is_ok());
            }
        }
    }
}

/// The error is the same however the frame is decoded, and renders with its path.
fn check_error(
    err: &genesys_model::DecodeError,
    text: &str,
    again: Option<genesys_model::DecodeError>,
) {
    assert_eq!(
        again.as_ref(),
        Some(err),
        "decoding is deterministic for {text:?}"
    );
    let shown = err.to_string();
    assert!(shown.contains(err.path()), "{shown}");
}

fn call_conversation(conv: &ConversationCallEventTopicCallConversation) {
    let live = conv.live_count();
    let mut counted = 0;
    for p in &conv.participants {
        let live_now = view(p);
        counted += usize::from(live_now);
        assert!(conv.participant(p.participant_id().as_str()).is_some());
    }
    assert_eq!(live, counted);
    round_trip(conv);
}

fn conversation(conv: &ConversationEventTopicConversation) {
    let live = conv.live_count();
    let mut counted = 0;
    for p in &conv.participants {
        counted += usize::from(view(p));
        if let Some(call) = p.effective_call() {
            assert!(p.calls.iter().any(|c| std::ptr::eq(c, call)));
        } else {
            assert!(p.calls.is_empty());
        }
    }
    assert_eq!(live, counted);
    round_trip(conv);
}

/// Every read the roster makes; returns `is_live`.
fn view(p: &impl ParticipantView) -> bool {
    let live = p.is_live();
    let ended = p.ended();
    assert!(!(live && ended), "a leg is never both live and ended");
    if live {
        assert!(p.effective_state().is_some_and(|s| s.is_active()));
    }
    std::hint::black_box((
        p.display_name().len(),
        p.purpose(),
        p.user_id(),
        p.queue_id(),
        p.is_muted(),
        p.is_held(),
        p.is_confined(),
        p.connected_time(),
        p.end_time(),
    ));
    live
}

/// What the model writes it reads back unchanged.
fn round_trip<T>(value: &T)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let written = serde_json::to_string(value).expect("the model always serialises");
    let back: T = genesys_model::decode_str(&written)
        .unwrap_or_else(|e| panic!("written JSON decodes again: {e}\n{written}"));
    assert_eq!(&back, value, "round trip through {written}");
}
