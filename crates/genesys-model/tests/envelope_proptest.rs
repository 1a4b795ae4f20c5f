//! Property: no input, however odd, panics the envelope decoder.

mod common;

use genesys_model::{Notification, NotificationBody, ParticipantView, RawNotification};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "connected",
            "disconnected",
            "terminated",
            "endpoint.dnd",
            "customer",
            "2026-11-22T09:00:00.000Z",
            "p1",
            "",
            "WebSocket Heartbeat",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((arb_key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "id",
            "participants",
            "state",
            "purpose",
            "calls",
            "user",
            "queue",
            "name",
            "muted",
            "held",
            "connectedTime",
            "endTime",
            "disconnectType",
            "message",
            "systemTopicType",
            "self",
            "other",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z]{1,8}",
    ]
}

fn arb_topic() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "v2.routing.queues.q1.conversations.calls",
            "v2.users.u1.conversations.calls",
            "v2.routing.queues.q1.conversations",
            "v2.users.u1.conversations",
            "channel.metadata",
            "v2.system.socket_closing",
            "v2.system.token_revoked.x",
            "v2.routing.queues..conversations.calls",
        ])
        .prop_map(str::to_owned),
        ".{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        let _ = Notification::decode(&text);
        let _ = RawNotification::parse(&text);
    }

    #[test]
    fn arbitrary_json_never_panics(value in arb_json()) {
        let _ = Notification::decode(&value.to_string());
    }

    #[test]
    fn arbitrary_envelopes_never_panic(topic in arb_topic(), body in arb_json(), with_meta in any::<bool>(), meta in arb_json()) {
        let mut envelope = serde_json::json!({"topicName": topic, "version": "2", "eventBody": body});
        if with_meta {
            envelope["metadata"] = meta;
        }
        if let Ok(n) = Notification::decode(&envelope.to_string()) {
            // Whatever decodes must also be usable without panicking.
            if let NotificationBody::CallConversation(conv) = &n.body {
                prop_assert!(conv.live_count() <= conv.participants.len());
                for p in &conv.participants {
                    let _ = (p.display_name(), p.is_live(), p.ended(), p.is_muted());
                }
            }
            if let NotificationBody::Conversation(conv) = &n.body {
                for p in &conv.participants {
                    let _ = (p.display_name(), p.is_live(), p.ended(), p.is_held(), p.effective_state());
                }
            }
        }
    }

    #[test]
    fn mutated_fixture_never_panics(path_pick in any::<prop::sample::Index>(), replacement in arb_json()) {
        let mut v: Value = serde_json::from_str(&common::fixture("event_queue_conference_4party.json")).unwrap();
        let mut leaves = Vec::new();
        collect_pointers(&v, String::new(), &mut leaves);
        let pointer = path_pick.get(&leaves).clone();
        if let Some(slot) = v.pointer_mut(&pointer) {
            *slot = replacement;
        }
        match Notification::decode(&v.to_string()) {
            Ok(n) => {
                if let NotificationBody::CallConversation(conv) = n.body {
                    prop_assert!(conv.live_count() <= conv.participants.len());
                }
            }
            Err(e) => prop_assert!(!e.path().is_empty()),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = genesys_model::decode::<genesys_model::CallConversation>(&bytes);
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = Notification::decode(text);
        }
    }
}

fn collect_pointers(v: &Value, here: String, out: &mut Vec<String>) {
    out.push(here.clone());
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                collect_pointers(
                    child,
                    format!("{here}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                collect_pointers(child, format!("{here}/{i}"), out);
            }
        }
        _ => {}
    }
}
