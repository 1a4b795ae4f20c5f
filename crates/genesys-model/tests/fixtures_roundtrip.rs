//! Every fixture decodes, re-encodes to a faithful subset of itself, and decodes back to the same value.

mod common;

use common::{assert_subset, fixture, leaves, round_trip};
use genesys_model::*;
use serde_json::Value;

#[test]
fn call_conversation_conference() {
    let (conv, n) = round_trip::<CallConversation>("call_conversation_conference.json");
    assert!(n > 100, "only {n} leaves written");
    assert_eq!(conv.participants.len(), 5);
    assert_eq!(conv.live_count(), 4);
    assert_eq!(conv.recording_state, Some(RecordingState::Active));
    let acd = &conv.participants[0];
    assert_eq!(acd.purpose, Some(Purpose::Acd));
    assert!(acd.ended() && !acd.is_live());
    let ann = conv
        .participant("d3e4f5a6-b7c8-4d9e-8f1a-2b3c4d5e6f7a")
        .expect("Ann");
    assert_eq!(ann.display_name(), "Ann Agent");
    assert!(ann.is_muted());
    assert_eq!(
        ann.user_id().map(UserId::as_str),
        Some("1a2b3c4d-5e6f-4071-8293-a4b5c6d7e8f9")
    );
    let ext = &conv.participants[4];
    assert!(ext.is_held() && ext.is_live());
}

#[test]
fn call_conversations_listing() {
    let (listing, _) =
        round_trip::<CallConversationEntityListing>("call_conversations_listing.json");
    assert_eq!(listing.entities.len(), 1);
    assert!(!listing.has_next_page());
}

#[test]
fn generic_conversation_with_calls() {
    let (conv, n) = round_trip::<Conversation>("conversation_generic.json");
    assert!(n > 80, "only {n} leaves written");
    // recordingState is upper case on this model and must be written back that way.
    assert_eq!(conv.recording_state, Some(RecordingState::Active));
    let ann = &conv.participants[2];
    assert_eq!(ann.calls.len(), 2);
    assert!(ann.is_live());
    assert!(
        ann.is_muted(),
        "mute comes from the live call, not the ended one"
    );
    assert_eq!(
        ann.effective_call().map(|c| c.id.as_str()),
        Some("44444444-5555-4666-8777-888888888888")
    );
    assert_eq!(
        ann.calls[0].disconnect_type,
        Some(DisconnectType::EndpointDoNotDisturb)
    );
    assert_eq!(ann.calls[0].disconnect_reasons[0].code, Some(16));
    let ext = &conv.participants[3];
    assert_eq!(
        ext.display_name(),
        "Acme Billing Desk",
        "name from calls[].self"
    );
    assert!(ext.is_held());
    assert!(conv.participants[0].ended());
    assert_eq!(conv.live_count(), 3);
}

#[test]
fn user_me_with_authorization() {
    let (me, _) = round_trip::<UserMe>("user_me_authorization.json");
    assert!(me.has_permission(PERMISSION_DISCONNECT));
    assert_eq!(me.display_name(), "Sam Supervisor");
    assert_eq!(me.state, Some(UserState::Active));
}

#[test]
fn queues() {
    let (page, _) = round_trip::<QueueEntityListing>("queues_page.json");
    assert_eq!(page.entities.len(), 2);
    assert!(page.has_next_page());
    assert_eq!(page.total, Some(4));
    let (mine, _) = round_trip::<QueueEntityListing>("queues_me.json");
    assert_eq!(mine.entities[0].joined, Some(true));
}

#[test]
fn queue_observations() {
    let (query, _) = round_trip::<QueueObservationQuery>("queue_observations_query.json");
    let built = QueueObservationQuery::active_voice_conversations(&[
        QueueId::new("8a3e5f7c-1d2b-4c6e-9f0a-2b4d6f8a0c1e"),
        QueueId::new("2c4e6a8b-0d1f-4b3c-8e5a-7f9b1d3c5e7a"),
    ]);
    assert_eq!(
        query, built,
        "the builder produces the documented query shape"
    );
    let (resp, _) = round_trip::<QueueObservationQueryResponse>("queue_observations_response.json");
    let ids: Vec<&str> = resp
        .conversation_ids()
        .into_iter()
        .map(ConversationId::as_str)
        .collect();
    assert_eq!(
        ids,
        [
            "4f1b2c3d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
            "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d"
        ]
    );
    assert_eq!(
        resp.results[0].queue_id(),
        Some("8a3e5f7c-1d2b-4c6e-9f0a-2b4d6f8a0c1e")
    );
}

#[test]
fn conversation_details() {
    let (query, _) = round_trip::<ConversationQuery>("conversation_details_query.json");
    let built = ConversationQuery::active_on_queues(
        "2026-11-22T00:00:00.000Z/2026-11-23T00:00:00.000Z",
        &[QueueId::new("8a3e5f7c-1d2b-4c6e-9f0a-2b4d6f8a0c1e")],
        PagingSpec {
            page_size: 50,
            page_number: 1,
        },
    );
    assert_eq!(query, built);
    let (resp, _) =
        round_trip::<AnalyticsConversationQueryResponse>("conversation_details_response.json");
    assert_eq!(resp.total_hits, Some(1));
    assert!(resp.conversations[0].is_active());
    assert_eq!(
        resp.conversations[0].participants[2].purpose,
        Some(Purpose::Acd)
    );
}

#[test]
fn channels_and_topics() {
    let (channel, _) = round_trip::<Channel>("channel.json");
    assert_eq!(channel.id, "streaming-2-k7d9q0x1r2m3");
    round_trip::<ChannelEntityListing>("channels_listing.json");
    let (topics, _) = round_trip::<ChannelTopicEntityListing>("channel_topics_listing.json");
    assert_eq!(topics.entities[1].state, Some(ChannelTopicState::Rejected));
    assert_eq!(
        topics.entities[1].missing_permissions,
        ["routing:queue:view"]
    );
}

#[test]
fn error_bodies() {
    for name in [
        "error_call_disconnected.json",
        "error_invalid_value.json",
        "error_rate_limited.json",
        "error_bad_credentials.json",
        "error_missing_permissions.json",
        "error_not_found.json",
        "error_server.json",
    ] {
        let (body, _) = round_trip::<ErrorBody>(name);
        assert!(body.code.is_some() && body.status.is_some(), "{name}");
    }
    let (invalid, _) = round_trip::<ErrorBody>("error_invalid_value.json");
    assert_eq!(
        invalid.rendered_message().as_deref(),
        invalid.message.as_deref()
    );
    let (limited, _) = round_trip::<ErrorBody>("error_rate_limited.json");
    assert_eq!(limited.limit.and_then(|l| l.value), Some(300));
}

#[test]
fn token_info_and_requests() {
    let (info, _) = round_trip::<TokenInfo>("token_info.json");
    assert_eq!(
        info.oauth_client.and_then(|c| c.id).as_deref(),
        Some("bridgekeeper-desktop")
    );
    let (drop, _) =
        round_trip::<MediaParticipantRequest>("media_participant_request_disconnect.json");
    assert_eq!(drop, MediaParticipantRequest::disconnect());
    let (full, n) = round_trip::<MediaParticipantRequest>("media_participant_request_full.json");
    let original: Value =
        serde_json::from_str(&fixture("media_participant_request_full.json")).unwrap();
    assert_eq!(
        n,
        leaves(&original),
        "every field of the full request is modelled"
    );
    assert_eq!(
        full.wrapup.map(|w| w.tags),
        Some(vec!["billing".to_owned()])
    );
}

/// Decodes an envelope fixture, re-encodes it with [`NotificationEnvelope`] and checks the subset rule.
fn event_round_trip(name: &str) -> (Notification, usize) {
    let text = fixture(name);
    let original: Value = serde_json::from_str(&text).unwrap();
    let n = Notification::decode(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let topic = n.topic.to_string();
    let metadata = n
        .correlation_id
        .as_deref()
        .map(|c| EnvelopeMetadata { correlation_id: c });
    let version = original
        .get("version")
        .and_then(Value::as_str)
        .unwrap_or("2");
    let encoded = match &n.body {
        NotificationBody::CallConversation(b) => serde_json::to_value(NotificationEnvelope {
            topic_name: &topic,
            version,
            event_body: b.as_ref(),
            metadata,
        }),
        NotificationBody::Conversation(b) => serde_json::to_value(NotificationEnvelope {
            topic_name: &topic,
            version,
            event_body: b.as_ref(),
            metadata,
        }),
        NotificationBody::System(b) => serde_json::to_value(NotificationEnvelope {
            topic_name: &topic,
            version,
            event_body: b,
            metadata,
        }),
        NotificationBody::ChannelMetadata(b) => serde_json::to_value(NotificationEnvelope {
            topic_name: &topic,
            version,
            event_body: b,
            metadata,
        }),
        NotificationBody::Raw(_) => panic!("{name}: fixture topics are all modelled"),
    }
    .unwrap();
    let mut encoded = encoded;
    if original.get("version").is_none() {
        encoded.as_object_mut().unwrap().remove("version");
    }
    assert_subset(&encoded, &original, "$");
    // Decoding the re-encoded text gives the same typed body.
    let again = Notification::decode(&encoded.to_string()).unwrap();
    assert_eq!(format!("{:?}", again.body), format!("{:?}", n.body));
    assert_eq!(again.topic, n.topic);
    let count = leaves(&encoded);
    (n, count)
}

#[test]
fn queue_call_event_conference() {
    let (n, leaves) = event_round_trip("event_queue_conference_4party.json");
    assert!(leaves > 120, "only {leaves} leaves");
    assert_eq!(
        n.topic,
        Topic::QueueConversationCalls(QueueId::new("8a3e5f7c-1d2b-4c6e-9f0a-2b4d6f8a0c1e"))
    );
    assert_eq!(
        n.correlation_id.as_deref(),
        Some("8d7c6b5a-4938-4271-8605-f4e3d2c1b0a9")
    );
    let NotificationBody::CallConversation(conv) = n.body else {
        panic!("wrong body")
    };
    assert_eq!(conv.participants.len(), 6);
    assert_eq!(conv.live_count(), 4);
    let old = &conv.participants[2];
    assert_eq!(
        old.disconnect_type,
        Some(DisconnectType::EndpointDoNotDisturb),
        "endpoint.dnd decodes"
    );
    assert!(old.ended());
    assert_eq!(
        old.user_id(),
        conv.participants[3].user_id(),
        "duplicate legs of one user"
    );
    assert_eq!(
        conv.participants[3].initial_state,
        Some(ParticipantState::Alerting)
    );
}

#[test]
fn user_conversation_event_with_calls() {
    let (n, _) = event_round_trip("event_user_conversation.json");
    assert_eq!(
        n.topic,
        Topic::UserConversations(UserId::new("1a2b3c4d-5e6f-4071-8293-a4b5c6d7e8f9"))
    );
    let NotificationBody::Conversation(conv) = n.body else {
        panic!("wrong body")
    };
    let ann = &conv.participants[2];
    assert!(ann.is_live() && ann.is_muted());
    assert_eq!(
        ann.calls[0].disconnect_type,
        Some(DisconnectType::EndpointDoNotDisturb)
    );
}

#[test]
fn system_events() {
    let (n, _) = event_round_trip("event_socket_closing.json");
    assert_eq!(n.topic, Topic::SocketClosing);
    let NotificationBody::System(msg) = n.body else {
        panic!("wrong body")
    };
    assert_eq!(
        msg.system_topic_type,
        Some(SystemTopicType::Unknown(
            "socket_closing_unknown_kind".into()
        ))
    );
    let (n, _) = event_round_trip("event_token_revoked.json");
    assert!(matches!(n.topic, Topic::System(_)));
    let NotificationBody::System(msg) = n.body else {
        panic!("wrong body")
    };
    assert_eq!(msg.system_topic_type, Some(SystemTopicType::TokenRevoked));
    assert_eq!(msg.reason, Some(SystemMessageReason::UserTokensRevoked));
    let (n, _) = event_round_trip("event_heartbeat.json");
    let NotificationBody::ChannelMetadata(meta) = n.body else {
        panic!("wrong body")
    };
    assert!(meta.is_heartbeat());
}
