//! Connecting, subscribing, and backing off when that fails.

use super::*;

#[tokio::test(start_paused = true)]
async fn connects_subscribes_then_resyncs_before_the_first_event() {
    let prov = FakeProvisioner::new();
    let (transport, mut ctl) = fake_transport();
    let (handle, mut events) = spawn(config(), [q("q2"), q("q1")], prov.clone(), transport);

    assert_eq!(
        status(next(&mut events).await),
        ConnectionStatus::Connecting
    );
    let server = ctl.next_socket().await;
    assert_eq!(server.uri, "fake://ch-1");
    assert_eq!(
        status(next(&mut events).await),
        ConnectionStatus::Subscribing
    );
    assert_eq!(status(next(&mut events).await), ConnectionStatus::Live);
    let first = resync(next(&mut events).await);
    assert_eq!(first.reason, ResyncReason::Connected);
    assert_eq!(first.targets, vec![q("q1"), q("q2")]);
    assert_eq!(
        prov.replaces(),
        vec![("ch-1".to_owned(), vec![topic("q1"), topic("q2")])]
    );
    assert!(handle.status().is_live());

    assert!(server.event("q2", "conv-1", "corr-1"));
    let ev = conversation(next(&mut events).await);
    assert_eq!(&*ev.topic, topic("q2"));
    assert_eq!(ev.source, q("q2"));
    assert_eq!(ev.queue_id(), q("q2").queue_id());
    assert_eq!(ev.conversation.id.as_str(), "conv-1");
    assert_eq!(ev.conversation.participants.len(), 2);
    assert_eq!(ev.correlation_id.as_deref(), Some("corr-1"));
}

#[tokio::test(start_paused = true)]
async fn malformed_frames_are_reported_and_skipped_without_disconnecting() {
    let prov = FakeProvisioner::new();
    let (transport, mut ctl) = fake_transport();
    let (_handle, mut events) = spawn(config(), [q("q1")], prov.clone(), transport);
    until_live(&mut events).await;
    let server = ctl.next_socket().await;

    server.send("not json at all");
    server.send(r#"{"eventBody":{}}"#);
    server.send(r#"{"topicName":"v2.routing.queues.q1.conversations.calls","eventBody":{"id":7}}"#);
    server.send(r#"{"topicName":"v2.routing.queues.q1.conversations.calls"}"#);
    server.event("q1", "conv-ok", "corr-ok");

    for expect_topic in [None, None, Some(topic("q1")), Some(topic("q1"))] {
        match next(&mut events).await {
            NotifyEvent::Malformed(bad) => {
                assert_eq!(bad.topic, expect_topic, "{bad:?}");
                if expect_topic.is_some() {
                    assert!(bad.error.path().starts_with("eventBody"), "{}", bad.error);
                }
            }
            other => panic!("expected malformed, got {other:?}"),
        }
    }
    assert_eq!(
        conversation(next(&mut events).await)
            .correlation_id
            .as_deref(),
        Some("corr-ok")
    );
    assert_eq!(prov.creates().len(), 1, "no reconnect for bad frames");
    assert!(ctl.try_next_socket().is_none());
}

#[tokio::test(start_paused = true)]
async fn events_on_topics_not_subscribed_are_ignored() {
    let prov = FakeProvisioner::new();
    let (transport, mut ctl) = fake_transport();
    let (_handle, mut events) = spawn(config(), [q("q1")], prov, transport);
    until_live(&mut events).await;
    let server = ctl.next_socket().await;
    server.event("other-queue", "conv-x", "corr-x");
    server.send(r#"{"topicName":"v2.users.u1.conversations.calls","eventBody":{"id":"c"}}"#);
    server.send(
        r#"{"topicName":"v2.system.u1.c1","eventBody":{"systemTopicType":"subscription_changed"}}"#,
    );
    server.event("q1", "conv-1", "corr-1");
    assert_eq!(
        conversation(next(&mut events).await)
            .correlation_id
            .as_deref(),
        Some("corr-1")
    );
}

#[tokio::test(start_paused = true)]
async fn backoff_doubles_to_the_cap_within_jitter_bounds() {
    let policy = BackoffPolicy {
        base: Duration::from_secs(1),
        cap: Duration::from_secs(8),
        jitter: 0.5,
    };
    let cfg = NotifyConfig {
        backoff: policy,
        jitter_seed: Some(3),
        ..config()
    };
    let prov = FakeProvisioner::new();
    let failure = || {
        Err(ProvisionError::Transient {
            status: Some(503),
            message: "unavailable".into(),
            source: None,
        })
    };
    prov.script_create((0..7).map(|_| failure()));
    let (transport, _ctl) = fake_transport();
    let (_handle, mut events) = spawn(cfg, [q("q1")], prov.clone(), transport);

    let mut waits = Vec::new();
    for expected_attempt in 1..=7u32 {
        let (st, skipped) = until_status(&mut events, |s| {
            matches!(s, ConnectionStatus::BackingOff { .. })
        })
        .await;
        assert!(
            skipped
                .iter()
                .all(|e| matches!(e, NotifyEvent::Status(ConnectionStatus::Connecting)))
        );
        let ConnectionStatus::BackingOff { attempt, until } = st else {
            unreachable!()
        };
        assert_eq!(attempt, expected_attempt);
        let wait = until - Instant::now();
        let (low, high) = policy.bounds(attempt);
        assert!(
            wait >= low && wait <= high,
            "attempt {attempt}: {wait:?} outside {low:?}..={high:?}"
        );
        waits.push(wait);
    }
    // The cap holds from attempt 4 on (8 s), and jitter makes the waits differ from the bare ceilings.
    assert!(
        waits[3..]
            .iter()
            .all(|w| *w <= Duration::from_secs(8) && *w >= Duration::from_secs(4))
    );
    assert!(
        waits.iter().zip(1..).any(|(w, n)| *w != policy.ceiling(n)),
        "jitter applied: {waits:?}"
    );

    let resync = until_live(&mut events).await;
    assert_eq!(resync.reason, ResyncReason::Connected);
    let creates = prov.creates();
    assert_eq!(creates.len(), 8);
    for (i, wait) in waits.iter().enumerate() {
        assert_about(creates[i + 1] - creates[i], *wait);
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_handshake_backs_off_too() {
    let prov = FakeProvisioner::new();
    let (transport, mut ctl) = fake_transport();
    ctl.script_connect([Err(TransportError::new("connect", "refused"))]);
    let (_handle, mut events) = spawn(config(), [q("q1")], prov.clone(), transport);
    let (st, _) = until_status(&mut events, |s| {
        matches!(s, ConnectionStatus::BackingOff { .. })
    })
    .await;
    assert!(matches!(
        st,
        ConnectionStatus::BackingOff { attempt: 1, .. }
    ));
    until_live(&mut events).await;
    assert_eq!(
        ctl.next_socket().await.uri,
        "fake://ch-2",
        "a fresh channel after a failed handshake"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_of_a_429_is_honoured() {
    let prov = FakeProvisioner::new();
    prov.script_create([Err(ProvisionError::RateLimited {
        retry_after: Some(Duration::from_secs(30)),
    })]);
    let (transport, _ctl) = fake_transport();
    let (_handle, mut events) = spawn(config(), [q("q1")], prov.clone(), transport);
    let (st, _) = until_status(&mut events, |s| {
        matches!(s, ConnectionStatus::BackingOff { .. })
    })
    .await;
    let ConnectionStatus::BackingOff { until, .. } = st else {
        unreachable!()
    };
    assert_about(until - Instant::now(), Duration::from_secs(30));
    until_live(&mut events).await;
    let creates = prov.creates();
    assert_about(creates[1] - creates[0], Duration::from_secs(30));
}

#[tokio::test(start_paused = true)]
async fn transcription_topics_deliver_their_messages_and_skip_malformed_ones() {
    let prov = FakeProvisioner::new();
    let (transport, mut ctl) = fake_transport();
    let call = genesys_notify::WatchTarget::Transcription("c-9".into());
    let (_handle, mut events) = spawn(config(), [q("q1"), call.clone()], prov.clone(), transport);
    let first = until_live(&mut events).await;
    assert!(first.targets.contains(&call), "{first:?}");
    assert_eq!(
        prov.replaces()[0].1,
        vec![topic("q1"), "v2.conversations.c-9.transcription".to_owned()]
    );
    let server = ctl.next_socket().await;
    let frame = |body: &str| {
        format!(
            r#"{{"topicName":"v2.conversations.c-9.transcription","version":"2","eventBody":{body}}}"#
        )
    };
    server.send(frame(r#"{"transcripts":[{"isFinal":"yes"}]}"#));
    server.send(frame(
        r#"{"conversationId":"c-9","transcripts":[{"isFinal":true,"channel":"EXTERNAL",
            "alternatives":[{"offsetMs":10,"transcript":"hello"}]}]}"#,
    ));
    match next(&mut events).await {
        NotifyEvent::Malformed(bad) => {
            assert_eq!(
                bad.topic.as_deref(),
                Some("v2.conversations.c-9.transcription")
            );
            assert_eq!(bad.error.path(), "eventBody.transcripts[0].isFinal");
        }
        other => panic!("expected malformed, got {other:?}"),
    }
    match next(&mut events).await {
        NotifyEvent::Transcription(t) => {
            assert_eq!(t.conversation_id.as_str(), "c-9");
            assert_eq!(&*t.topic, "v2.conversations.c-9.transcription");
            assert_eq!(
                t.message.transcripts[0].alternatives[0]
                    .transcript
                    .as_deref(),
                Some("hello")
            );
        }
        other => panic!("expected a transcription, got {other:?}"),
    }
    assert_eq!(prov.creates().len(), 1, "no reconnect for a bad frame");
}
