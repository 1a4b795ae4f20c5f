//! Drift tolerance: unknown fields are ignored, unknown enum values survive a round trip, nulls are tolerated.

mod common;

use common::{fixture, round_trip};
use genesys_model::*;
use serde_json::{Value, json};

#[test]
fn unknown_enum_values_survive_and_are_not_live() {
    let (conv, _) = round_trip::<CallConversation>("call_conversation_drift.json");
    assert_eq!(
        conv.recording_state,
        Some(RecordingState::Unknown("archiving".into()))
    );
    let p0 = &conv.participants[0];
    assert_eq!(
        p0.state,
        Some(ParticipantState::Unknown("hibernating".into()))
    );
    assert_eq!(
        p0.disconnect_type,
        Some(DisconnectType::Unknown("quantum.tunnel".into()))
    );
    assert!(
        !p0.is_live() && !p0.ended(),
        "an unknown state is neither live nor ended"
    );
    let p1 = &conv.participants[1];
    assert_eq!(p1.purpose, Some(Purpose::Unknown("bridge".into())));
    assert_eq!(p1.direction, Some(Direction::Unknown("sideways".into())));
    assert_eq!(p1.display_name(), "Jane Doe");
    assert_eq!(
        conv.participants[4].state,
        Some(ParticipantState::Scheduled)
    );
    assert!(!conv.participants[4].is_live());
    // The appended stale leg has `null` collections and the REST DND spelling.
    let stale = &conv.participants[5];
    assert!(stale.media_roles.is_empty());
    assert_eq!(
        stale.disconnect_type,
        Some(DisconnectType::EndpointDoNotDisturb)
    );
    assert!(stale.ended());

    let encoded = serde_json::to_value(&conv).unwrap();
    assert_eq!(encoded["recordingState"], "archiving");
    assert_eq!(encoded["participants"][0]["state"], "hibernating");
    assert_eq!(
        encoded["participants"][0]["disconnectType"],
        "quantum.tunnel"
    );
    assert_eq!(encoded["participants"][1]["purpose"], "bridge");
    assert_eq!(
        encoded["participants"][5]["disconnectType"],
        "endpoint.donotdisturb"
    );
    assert!(
        encoded.get("brandNewTopLevel").is_none(),
        "unknown fields are dropped, not echoed"
    );
}

#[test]
fn event_spelling_is_kept_per_model() {
    // The same value written by the REST model and by the event model.
    let rest: CallMediaParticipant =
        serde_json::from_value(json!({"id": "p", "disconnectType": "endpoint.dnd"})).unwrap();
    assert_eq!(
        serde_json::to_value(&rest).unwrap()["disconnectType"],
        "endpoint.donotdisturb"
    );
    let event: ConversationCallEventTopicCallMediaParticipant =
        serde_json::from_value(json!({"id": "p", "disconnectType": "transfer.donotdisturb"}))
            .unwrap();
    assert_eq!(
        serde_json::to_value(&event).unwrap()["disconnectType"],
        "transfer.dnd"
    );
}

#[test]
fn unknown_topics_are_kept_raw() {
    let text = r#"{"topicName":"v2.analytics.queues.q.observations","version":"2","eventBody":{"data":[{"x":1}]}}"#;
    let n = Notification::decode(text).unwrap();
    assert_eq!(
        n.topic,
        Topic::Other("v2.analytics.queues.q.observations".into())
    );
    let NotificationBody::Raw(Some(raw)) = n.body else {
        panic!("expected raw body")
    };
    assert_eq!(raw.get(), r#"{"data":[{"x":1}]}"#);
}

#[test]
fn large_unknown_subtrees_are_skipped() {
    let mut event: Value =
        serde_json::from_str(&fixture("event_queue_conference_4party.json")).unwrap();
    let junk: Vec<Value> = (0..500)
        .map(|i| json!({"k": i, "v": [i, {"deep": [null, true, "x"]}]}))
        .collect();
    event["eventBody"]["participants"][1]["futureBlob"] = Value::Array(junk.clone());
    event["eventBody"]["futureBlob"] = Value::Array(junk);
    event["metadata"]["Extra"] = json!({"a": 1});
    event["somethingNew"] = json!(42);
    let n = Notification::decode(&event.to_string()).unwrap();
    let NotificationBody::CallConversation(conv) = n.body else {
        panic!("wrong body")
    };
    assert_eq!(conv.live_count(), 4);
}

#[test]
fn nulls_are_tolerated_for_optional_and_collection_fields() {
    let conv: CallConversation = decode_str(
        r#"{"id":"c","name":null,"participants":[{"id":"p","state":null,"user":null,"mediaRoles":null}],"otherMediaUris":null}"#,
    )
    .unwrap();
    assert_eq!(conv.participants[0].state, None);
    let empty: CallConversation = decode_str(r#"{"id":"c","participants":null}"#).unwrap();
    assert!(empty.participants.is_empty());
}
