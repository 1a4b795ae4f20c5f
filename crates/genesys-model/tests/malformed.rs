//! Malformed input gives an error that names the JSON path, never a panic.

mod common;

use common::fixture;
use genesys_model::*;
use serde_json::{Value, json};

#[test]
fn wrong_type_deep_in_a_conversation_names_the_path() {
    let mut v: Value = serde_json::from_str(&fixture("call_conversation_conference.json")).unwrap();
    v["participants"][3]["muted"] = json!("yes");
    let err = decode_str::<CallConversation>(&v.to_string()).unwrap_err();
    assert_eq!(err.path(), "participants[3].muted");
    assert!(err.message().contains("expected a boolean"), "{err}");
    assert!(err.to_string().contains("participants[3].muted"));
}

#[test]
fn bad_date_names_the_path_and_value() {
    let mut v: Value = serde_json::from_str(&fixture("call_conversation_conference.json")).unwrap();
    v["participants"][1]["connectedTime"] = json!("half past nine");
    let err = decode_str::<CallConversation>(&v.to_string()).unwrap_err();
    assert_eq!(err.path(), "participants[1].connectedTime");
    assert!(err.message().contains("half past nine"), "{err}");
}

#[test]
fn enum_of_wrong_json_type_names_the_path() {
    let err = decode_str::<CallConversation>(r#"{"id":"c","participants":[{"id":"p","state":7}]}"#)
        .unwrap_err();
    assert_eq!(err.path(), "participants[0].state");
}

#[test]
fn missing_required_id_names_the_parent() {
    let err =
        decode_str::<CallConversation>(r#"{"id":"c","participants":[{"name":"x"}]}"#).unwrap_err();
    assert_eq!(err.path(), "participants[0]");
    assert!(err.message().contains("missing field `id`"), "{err}");
}

#[test]
fn event_body_errors_are_located_under_event_body() {
    let mut v: Value =
        serde_json::from_str(&fixture("event_queue_conference_4party.json")).unwrap();
    v["eventBody"]["participants"][4]["held"] = json!({"no": "thanks"});
    let err = Notification::decode(&v.to_string()).unwrap_err();
    assert_eq!(err.path(), "eventBody.participants[4].held");
}

#[test]
fn envelope_errors_name_the_field() {
    let err = Notification::decode(r#"{"topicName":17,"eventBody":{}}"#).unwrap_err();
    assert_eq!(err.path(), "topicName");
    let err =
        Notification::decode(r#"{"topicName":"channel.metadata","eventBody":{"message":[]}}"#)
            .unwrap_err();
    assert_eq!(err.path(), "eventBody.message");
}

#[test]
fn syntax_errors_and_non_objects_are_errors() {
    for text in [
        "",
        "{",
        "[]",
        "null",
        "42",
        "\"x\"",
        r#"{"topicName":"a""#,
        r#"{"topicName":"a"} trailing"#,
    ] {
        assert!(Notification::decode(text).is_err(), "{text:?} should fail");
    }
    let err =
        decode_str::<CallConversation>(r#"{"id":"c","participants":[{"id":"p",}]}"#).unwrap_err();
    assert!(err.message().contains("line 1"), "{err}");
}
