//! The state machine against a scripted provisioner and socket, in paused (virtual) time.

use std::time::Duration;

use genesys_notify::test_support::*;
use genesys_notify::{
    BackoffPolicy, CloseReason, ConnectionStatus, NotifyConfig, NotifyError, NotifyEvent,
    PING_MESSAGE, ProvisionError, RejectedTopic, ResyncReason, TransportError, spawn,
};
use tokio::time::{Instant, sleep};

fn config() -> NotifyConfig {
    NotifyConfig {
        jitter_seed: Some(1),
        ..NotifyConfig::default()
    }
}

fn status(event: NotifyEvent) -> ConnectionStatus {
    match event {
        NotifyEvent::Status(status) => status,
        other => panic!("expected a status, got {other:?}"),
    }
}

fn resync(event: NotifyEvent) -> genesys_notify::Resync {
    match event {
        NotifyEvent::Resync(resync) => resync,
        other => panic!("expected a resync, got {other:?}"),
    }
}

fn conversation(event: NotifyEvent) -> genesys_notify::ConversationEvent {
    match event {
        NotifyEvent::Conversation(ev) => ev,
        other => panic!("expected a conversation event, got {other:?}"),
    }
}

/// Virtual-time equality up to the timer wheel's millisecond rounding.
#[track_caller]
fn assert_about(actual: Duration, expected: Duration) {
    let slack = Duration::from_millis(5);
    assert!(
        actual >= expected.saturating_sub(slack) && actual <= expected + slack,
        "expected about {expected:?}, got {actual:?}"
    );
}

/// Consumes Connecting, Subscribing, Live and the Resync of a first connection.
async fn until_live(
    events: &mut tokio::sync::mpsc::Receiver<NotifyEvent>,
) -> genesys_notify::Resync {
    let (_, skipped) = until_status(events, ConnectionStatus::is_live).await;
    assert!(
        skipped.iter().all(|e| matches!(e, NotifyEvent::Status(_))),
        "only statuses before Live: {skipped:?}"
    );
    resync(next(events).await)
}

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
async fn heartbeats_keep_the_socket_and_silence_trips_the_watchdog() {
    let cfg = NotifyConfig {
        heartbeat_interval: Duration::from_secs(30),
        missed_heartbeats: 2,
        ping_interval: Duration::from_secs(3600),
        ..config()
    };
    let prov = FakeProvisioner::new();
    let (transport, mut ctl) = fake_transport();
    let (_handle, mut events) = spawn(cfg, [q("q1")], prov.clone(), transport);
    until_live(&mut events).await;
    let server = ctl.next_socket().await;

    for _ in 0..10 {
        sleep(Duration::from_secs(30)).await;
        assert!(server.heartbeat());
    }
    let last_heartbeat = Instant::now();
    // 5 minutes of heartbeats: still the first socket, nothing emitted.
    assert!(events.try_recv().is_err());
    assert!(ctl.try_next_socket().is_none());

    let (_, skipped) = until_status(&mut events, |s| *s == ConnectionStatus::Connecting).await;
    assert!(skipped.is_empty());
    assert_about(Instant::now() - last_heartbeat, Duration::from_secs(60));
    // It had been stable, so the reconnect is immediate and announced with a Resync.
    let second = ctl.next_socket().await;
    assert_eq!(second.uri, "fake://ch-2");
    assert_about(second.opened_at - last_heartbeat, Duration::from_secs(60));
    let (_, skipped) = until_status(&mut events, ConnectionStatus::is_live).await;
    assert!(
        !skipped
            .iter()
            .any(|e| matches!(e, NotifyEvent::Status(ConnectionStatus::BackingOff { .. })))
    );
    assert_eq!(
        resync(next(&mut events).await).reason,
        ResyncReason::Reconnected
    );
}

#[tokio::test(start_paused = true)]
async fn pings_go_out_on_schedule_and_pongs_feed_the_watchdog() {
    let cfg = NotifyConfig {
        heartbeat_interval: Duration::from_secs(30),
        missed_heartbeats: 2,
        ping_interval: Duration::from_secs(20),
        ..config()
    };
    let prov = FakeProvisioner::new();
    let (transport, mut ctl) = fake_transport();
    let (_handle, mut events) = spawn(cfg, [q("q1")], prov, transport);
    until_live(&mut events).await;
    let mut server = ctl.next_socket().await;

    sleep(Duration::from_millis(41_000)).await;
    assert_eq!(
        server.received(),
        vec![PING_MESSAGE.to_owned(); 2],
        "pings at 20 s and 40 s"
    );
    assert_eq!(PING_MESSAGE, r#"{"message":"ping"}"#);
    assert!(server.send(r#"{"topicName":"channel.metadata","eventBody":{"message":"pong"}}"#));

    // No heartbeats at all for 10 minutes, only pongs to the pings: the socket stays.
    for _ in 0..30 {
        sleep(Duration::from_secs(20)).await;
        for _ in server.received() {
            assert!(
                server.send(r#"{"topicName":"channel.metadata","eventBody":{"message":"pong"}}"#)
            );
        }
    }
    assert!(events.try_recv().is_err(), "still live on the first socket");
    assert!(ctl.try_next_socket().is_none());
}

#[tokio::test(start_paused = true)]
async fn socket_closing_hands_over_to_a_new_channel_before_the_old_one_closes() {
    let prov = FakeProvisioner::new();
    prov.set_create_delay(Duration::from_secs(2));
    let (transport, mut ctl) = fake_transport();
    let (_handle, mut events) = spawn(config(), [q("q1")], prov.clone(), transport);
    until_live(&mut events).await;
    let mut old = ctl.next_socket().await;
    assert_eq!(old.uri, "fake://ch-1");

    assert!(old.socket_closing());
    // The old socket keeps delivering while the replacement is prepared.
    assert!(old.event("q1", "conv-1", "during-handover"));
    assert_eq!(
        conversation(next(&mut events).await)
            .correlation_id
            .as_deref(),
        Some("during-handover")
    );

    let new = ctl.next_socket().await;
    assert_eq!(new.uri, "fake://ch-2");
    // An event the new socket got before the swap still comes after the Resync.
    assert!(new.event("q1", "conv-1", "new-early"));
    let handover = resync(next(&mut events).await);
    assert_eq!(handover.reason, ResyncReason::Handover);
    assert_eq!(handover.targets, vec![q("q1")]);
    assert_eq!(
        conversation(next(&mut events).await)
            .correlation_id
            .as_deref(),
        Some("new-early")
    );

    // The old socket is no longer read, and gets closed.
    old.event("q1", "conv-1", "stale");
    assert!(new.event("q1", "conv-1", "new-late"));
    assert_eq!(
        conversation(next(&mut events).await)
            .correlation_id
            .as_deref(),
        Some("new-late")
    );
    sleep(Duration::from_millis(10)).await;
    assert!(old.client_closed(), "the client closed the old socket");
    assert_eq!(
        prov.replaces(),
        vec![
            ("ch-1".into(), vec![topic("q1")]),
            ("ch-2".into(), vec![topic("q1")])
        ]
    );
    assert!(
        events.try_recv().is_err(),
        "no status change during a handover"
    );
}

#[tokio::test(start_paused = true)]
async fn handover_survives_the_old_socket_closing_first() {
    let prov = FakeProvisioner::new();
    prov.set_create_delay(Duration::from_secs(3));
    let (transport, mut ctl) = fake_transport();
    let (_handle, mut events) = spawn(config(), [q("q1")], prov.clone(), transport);
    until_live(&mut events).await;
    let mut old = ctl.next_socket().await;
    old.socket_closing();
    sleep(Duration::from_secs(1)).await;
    old.close();
    let new = ctl.next_socket().await;
    let handover = resync(next(&mut events).await);
    assert_eq!(
        handover.reason,
        ResyncReason::Handover,
        "no reconnect, no status change: a handover"
    );
    new.event("q1", "c", "after");
    assert_eq!(
        conversation(next(&mut events).await)
            .correlation_id
            .as_deref(),
        Some("after")
    );
    assert_eq!(prov.creates().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_failed_handover_keeps_the_old_socket_and_retries() {
    let prov = FakeProvisioner::new();
    let (transport, mut ctl) = fake_transport();
    let (_handle, mut events) = spawn(config(), [q("q1")], prov.clone(), transport);
    until_live(&mut events).await;
    let old = ctl.next_socket().await;
    prov.script_create([Err(ProvisionError::Transient {
        status: Some(502),
        message: "bad gateway".into(),
    })]);
    old.socket_closing();
    sleep(Duration::from_millis(100)).await;
    assert_eq!(prov.creates().len(), 2, "the handover was tried");
    old.event("q1", "c", "still-old");
    assert_eq!(
        conversation(next(&mut events).await)
            .correlation_id
            .as_deref(),
        Some("still-old")
    );
    let new = ctl.next_socket().await;
    assert_eq!(new.uri, "fake://ch-2");
    assert_eq!(
        resync(next(&mut events).await).reason,
        ResyncReason::Handover
    );
}

#[tokio::test(start_paused = true)]
async fn channels_are_renewed_ahead_of_their_expiry() {
    let cfg = NotifyConfig {
        renew_before_expiry: Duration::from_secs(600),
        heartbeat_interval: Duration::from_secs(3600),
        ..config()
    };
    let prov = FakeProvisioner::new();
    prov.set_channel_life(Some(Duration::from_secs(3600)));
    let (transport, mut ctl) = fake_transport();
    let (_handle, mut events) = spawn(cfg, [q("q1")], prov.clone(), transport);
    until_live(&mut events).await;
    let first = ctl.next_socket().await;

    let second = ctl.next_socket().await;
    let lead = second.opened_at - first.opened_at;
    assert!(
        lead > Duration::from_secs(2990) && lead <= Duration::from_secs(3000),
        "renewed at {lead:?}"
    );
    assert_eq!(
        resync(next(&mut events).await).reason,
        ResyncReason::Handover
    );
    let third = ctl.next_socket().await;
    let lead = third.opened_at - second.opened_at;
    assert!(
        lead > Duration::from_secs(2990) && lead <= Duration::from_secs(3000),
        "renewed at {lead:?}"
    );
    assert_eq!(
        resync(next(&mut events).await).reason,
        ResyncReason::Handover
    );
    assert_eq!(third.uri, "fake://ch-3");
}

#[tokio::test(start_paused = true)]
async fn unauthorized_while_provisioning_closes_with_session_expired_and_never_retries() {
    let prov = FakeProvisioner::new();
    prov.script_create([Err(ProvisionError::Unauthorized {
        status: 401,
        correlation_id: None,
    })]);
    let (transport, _ctl) = fake_transport();
    let (handle, mut events) = spawn(config(), [q("q1")], prov.clone(), transport);
    assert_eq!(
        status(next(&mut events).await),
        ConnectionStatus::Connecting
    );
    assert_eq!(
        status(next(&mut events).await),
        ConnectionStatus::Closed {
            reason: CloseReason::SessionExpired
        }
    );
    sleep(Duration::from_secs(3600)).await;
    assert_eq!(prov.creates().len(), 1, "never retried blindly");
    assert_eq!(
        handle.set_targets([q("q2")]).await,
        Err(NotifyError::Closed)
    );
    assert!(events.recv().await.is_none(), "the task ended");
}

#[tokio::test(start_paused = true)]
async fn unauthorized_on_the_subscription_of_a_reconnect_closes_too() {
    let prov = FakeProvisioner::new();
    let (transport, mut ctl) = fake_transport();
    let (handle, mut events) = spawn(config(), [q("q1")], prov.clone(), transport);
    until_live(&mut events).await;
    let mut server = ctl.next_socket().await;
    sleep(Duration::from_secs(30)).await;
    prov.script_replace([Err(ProvisionError::Unauthorized {
        status: 401,
        correlation_id: Some("c".into()),
    })]);
    server.drop_connection();
    let (st, skipped) = until_status(&mut events, ConnectionStatus::is_closed).await;
    assert_eq!(
        st,
        ConnectionStatus::Closed {
            reason: CloseReason::SessionExpired
        }
    );
    assert!(
        !skipped
            .iter()
            .any(|e| matches!(e, NotifyEvent::Status(ConnectionStatus::BackingOff { .. })))
    );
    assert_eq!(handle.status(), st);
}

#[tokio::test(start_paused = true)]
async fn a_token_revoked_message_on_the_socket_closes_with_session_expired() {
    let prov = FakeProvisioner::new();
    let (transport, mut ctl) = fake_transport();
    let (_handle, mut events) = spawn(config(), [q("q1")], prov.clone(), transport);
    until_live(&mut events).await;
    let server = ctl.next_socket().await;
    server.send(r#"{"topicName":"v2.system.token_revoked.u1","eventBody":{"systemTopicType":"token_revoked"}}"#);
    assert_eq!(
        status(next(&mut events).await),
        ConnectionStatus::Closed {
            reason: CloseReason::SessionExpired
        }
    );
    sleep(Duration::from_secs(600)).await;
    assert_eq!(prov.creates().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_permanent_refusal_closes_with_the_vendor_code() {
    let prov = FakeProvisioner::new();
    prov.script_replace([Err(ProvisionError::Rejected {
        status: 400,
        code: Some("notification.invalid.topic".into()),
        message: "Invalid topic".into(),
        correlation_id: None,
    })]);
    let (transport, _ctl) = fake_transport();
    let (_handle, mut events) = spawn(config(), [q("q1")], prov, transport);
    let (st, _) = until_status(&mut events, ConnectionStatus::is_closed).await;
    let ConnectionStatus::Closed { reason } = st else {
        unreachable!()
    };
    assert_eq!(reason.code(), "Rejected");
    assert_eq!(
        reason,
        CloseReason::Rejected {
            status: Some(400),
            code: Some("notification.invalid.topic".into()),
            message: "Invalid topic".into()
        }
    );
}

#[tokio::test(start_paused = true)]
async fn rejected_topics_are_reported_and_the_rest_stays_live() {
    let prov = FakeProvisioner::new();
    prov.script_replace([Ok(vec![RejectedTopic {
        topic: topic("secret"),
        reason: "missing permission".into(),
    }])]);
    let (transport, _ctl) = fake_transport();
    let (_handle, mut events) = spawn(config(), [q("q1"), q("secret")], prov, transport);
    let (_, skipped) = until_status(&mut events, ConnectionStatus::is_live).await;
    let rejected: Vec<_> = skipped
        .into_iter()
        .filter_map(|e| match e {
            NotifyEvent::SubscriptionRejected(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].target, Some(q("secret")));
    assert_eq!(rejected[0].reason, "missing permission");
}

#[tokio::test(start_paused = true)]
async fn flapping_connections_back_off_but_a_stable_one_reconnects_at_once() {
    let prov = FakeProvisioner::new();
    let (transport, mut ctl) = fake_transport();
    let (_handle, mut events) = spawn(config(), [q("q1")], prov, transport);
    until_live(&mut events).await;

    for expected_attempt in 1..=2u32 {
        let mut server = ctl.next_socket().await;
        sleep(Duration::from_secs(1)).await;
        server.close();
        // Live for only a second: straight to a backoff, the attempt count growing.
        let (st, _) = until_status(&mut events, |s| !s.is_live()).await;
        assert!(
            matches!(st, ConnectionStatus::BackingOff { attempt, .. } if attempt == expected_attempt),
            "{st:?}"
        );
        let resync = until_live(&mut events).await;
        assert_eq!(resync.reason, ResyncReason::Reconnected);
    }

    let stable = ctl.next_socket().await;
    sleep(Duration::from_secs(60)).await;
    stable.fail();
    let (st, _) = until_status(&mut events, |s| !s.is_live()).await;
    assert_eq!(st, ConnectionStatus::Connecting);
    let (st, skipped) = until_status(&mut events, ConnectionStatus::is_live).await;
    assert!(st.is_live());
    assert!(
        !skipped
            .iter()
            .any(|e| matches!(e, NotifyEvent::Status(ConnectionStatus::BackingOff { .. })))
    );
    let reconnect = resync(next(&mut events).await);
    assert_eq!(reconnect.reason, ResyncReason::Reconnected);
    assert_eq!(reconnect.targets, vec![q("q1")]);
}

#[tokio::test(start_paused = true)]
async fn events_of_a_new_socket_never_precede_its_resync() {
    let prov = FakeProvisioner::new();
    let (transport, mut ctl) = fake_transport();
    let (_handle, mut events) = spawn(config(), [q("q1")], prov, transport);
    until_live(&mut events).await;
    let mut first = ctl.next_socket().await;
    sleep(Duration::from_secs(30)).await;
    first.drop_connection();
    let second = ctl.next_socket().await;
    // The server pushes at once, before the client has even subscribed.
    second.event("q1", "c", "early");
    let mut order = Vec::new();
    loop {
        match next(&mut events).await {
            NotifyEvent::Status(s) => order.push(s.code().to_owned()),
            NotifyEvent::Resync(r) => order.push(format!("resync:{:?}", r.reason)),
            NotifyEvent::Conversation(ev) => {
                order.push(format!("event:{}", ev.correlation_id.unwrap_or_default()));
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        order,
        [
            "connecting",
            "subscribing",
            "live",
            "resync:Reconnected",
            "event:early"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn queue_changes_reuse_the_live_socket() {
    let prov = FakeProvisioner::new();
    let (transport, mut ctl) = fake_transport();
    let (handle, mut events) = spawn(config(), [q("q1")], prov.clone(), transport);
    until_live(&mut events).await;
    let server = ctl.next_socket().await;

    handle.add_targets([q("q2")]).await.expect("added");
    assert_eq!(
        prov.replaces().last(),
        Some(&("ch-1".to_owned(), vec![topic("q1"), topic("q2")]))
    );
    let added = resync(next(&mut events).await);
    assert_eq!(
        (added.reason, added.targets),
        (ResyncReason::TargetsAdded, vec![q("q2")])
    );
    server.event("q2", "c2", "q2-event");
    assert_eq!(conversation(next(&mut events).await).source, q("q2"));

    handle.remove_targets([q("q1")]).await.expect("removed");
    assert_eq!(
        prov.replaces().last(),
        Some(&("ch-1".to_owned(), vec![topic("q2")]))
    );
    server.event("q1", "c1", "q1-after-removal");
    server.event("q2", "c2", "q2-again");
    assert_eq!(
        conversation(next(&mut events).await)
            .correlation_id
            .as_deref(),
        Some("q2-again")
    );

    handle.set_targets(Vec::new()).await.expect("emptied");
    assert_eq!(prov.replaces().last(), Some(&("ch-1".to_owned(), vec![])));
    assert!(handle.status().is_live(), "an empty set keeps the channel");
    assert!(ctl.try_next_socket().is_none(), "never reconnected");
    assert_eq!(prov.creates().len(), 1);

    assert_eq!(
        handle.add_targets([q("bad.id")]).await,
        Err(NotifyError::InvalidTarget(r#"queue "bad.id""#.into()))
    );
    assert_eq!(
        handle.add_targets([q("")]).await,
        Err(NotifyError::InvalidTarget(r#"queue """#.into()))
    );
}

#[tokio::test(start_paused = true)]
async fn a_401_during_a_queue_change_closes_and_says_so() {
    let prov = FakeProvisioner::new();
    let (transport, _ctl) = fake_transport();
    let (handle, mut events) = spawn(config(), [q("q1")], prov.clone(), transport);
    until_live(&mut events).await;
    prov.script_replace([Err(ProvisionError::Unauthorized {
        status: 401,
        correlation_id: None,
    })]);
    assert_eq!(
        handle.add_targets([q("q2")]).await,
        Err(NotifyError::SessionExpired)
    );
    assert_eq!(
        status(next(&mut events).await),
        ConnectionStatus::Closed {
            reason: CloseReason::SessionExpired
        }
    );
}

#[tokio::test(start_paused = true)]
async fn a_transient_failure_during_a_queue_change_reconnects_with_the_new_set() {
    let prov = FakeProvisioner::new();
    let (transport, mut ctl) = fake_transport();
    let (handle, mut events) = spawn(config(), [q("q1")], prov.clone(), transport);
    until_live(&mut events).await;
    let _first = ctl.next_socket().await;
    prov.script_replace([Err(ProvisionError::Transient {
        status: Some(500),
        message: "oops".into(),
    })]);
    handle
        .add_targets([q("q2")])
        .await
        .expect("accepted; applied by the reconnect");
    let (_, _) = until_status(&mut events, ConnectionStatus::is_live).await;
    let again = resync(next(&mut events).await);
    assert_eq!(again.reason, ResyncReason::Reconnected);
    assert_eq!(again.targets, vec![q("q1"), q("q2")]);
    assert_eq!(
        prov.replaces().last(),
        Some(&("ch-2".to_owned(), vec![topic("q1"), topic("q2")]))
    );
}

#[tokio::test(start_paused = true)]
async fn topics_beyond_one_channel_spread_over_several() {
    let cfg = NotifyConfig {
        max_topics_per_channel: 2,
        max_channels: 3,
        ..config()
    };
    let prov = FakeProvisioner::new();
    let (transport, mut ctl) = fake_transport();
    let queues = ["a", "b", "c", "d", "e"].map(q);
    let (handle, mut events) = spawn(cfg, queues.clone(), prov.clone(), transport);
    let first = until_live(&mut events).await;
    assert_eq!(first.targets, queues.to_vec());
    let s1 = ctl.next_socket().await;
    let mut s2 = ctl.next_socket().await;
    let s3 = ctl.next_socket().await;
    assert_eq!(
        prov.replaces(),
        vec![
            ("ch-1".to_owned(), vec![topic("a"), topic("b")]),
            ("ch-2".to_owned(), vec![topic("c"), topic("d")]),
            ("ch-3".to_owned(), vec![topic("e")]),
        ]
    );
    s3.event("e", "ce", "from-3");
    assert_eq!(conversation(next(&mut events).await).source, q("e"));
    s2.event("c", "cc", "from-2");
    assert_eq!(conversation(next(&mut events).await).source, q("c"));

    // f fills channel 3; a seventh queue exceeds 3 channels x 2 topics.
    handle.add_targets([q("f")]).await.expect("fits");
    assert_eq!(
        prov.replaces().last(),
        Some(&("ch-3".to_owned(), vec![topic("e"), topic("f")]))
    );
    assert_eq!(resync(next(&mut events).await).targets, vec![q("f")]);
    assert_eq!(
        handle.add_targets([q("g")]).await,
        Err(NotifyError::TooManyTargets {
            requested: 7,
            max: 6
        })
    );

    // Emptying channel 2 drops it (and its socket) without touching the others.
    handle
        .remove_targets([q("c"), q("d")])
        .await
        .expect("removed");
    sleep(Duration::from_millis(10)).await;
    assert!(s2.client_closed());
    assert_eq!(
        prov.replaces().len(),
        4,
        "no PUT for a channel being dropped"
    );
    s2.drop_connection();
    s1.event("a", "ca", "from-1");
    assert_eq!(conversation(next(&mut events).await).source, q("a"));
    assert!(ctl.try_next_socket().is_none());
    assert!(handle.status().is_live());
}

#[tokio::test(start_paused = true)]
async fn queue_changes_while_backing_off_apply_at_the_next_connect() {
    let prov = FakeProvisioner::new();
    prov.script_create([Err(ProvisionError::Transient {
        status: None,
        message: "offline".into(),
    })]);
    let (transport, _ctl) = fake_transport();
    let (handle, mut events) = spawn(config(), [q("q1")], prov.clone(), transport);
    until_status(&mut events, |s| {
        matches!(s, ConnectionStatus::BackingOff { .. })
    })
    .await;
    handle.add_targets([q("q2")]).await.expect("recorded");
    let first = until_live(&mut events).await;
    assert_eq!(first.targets, vec![q("q1"), q("q2")]);
    assert_eq!(
        prov.replaces(),
        vec![("ch-1".to_owned(), vec![topic("q1"), topic("q2")])]
    );
}

#[tokio::test(start_paused = true)]
async fn reconnect_on_request_makes_a_new_channel_and_resyncs() {
    let prov = FakeProvisioner::new();
    let (transport, mut ctl) = fake_transport();
    let (handle, mut events) = spawn(config(), [q("q1")], prov.clone(), transport);
    until_live(&mut events).await;
    let mut first = ctl.next_socket().await;
    handle.reconnect().await.expect("reconnect");
    let (_, _) = until_status(&mut events, ConnectionStatus::is_live).await;
    assert_eq!(
        resync(next(&mut events).await).reason,
        ResyncReason::Reconnected
    );
    assert_eq!(ctl.next_socket().await.uri, "fake://ch-2");
    sleep(Duration::from_millis(10)).await;
    assert!(first.client_closed());
}

#[tokio::test(start_paused = true)]
async fn shutdown_closes_the_socket_and_ends_with_closed() {
    let prov = FakeProvisioner::new();
    let (transport, mut ctl) = fake_transport();
    let (handle, mut events) = spawn(config(), [q("q1")], prov, transport);
    until_live(&mut events).await;
    let mut server = ctl.next_socket().await;
    handle.shutdown().await;
    assert_eq!(
        handle.status(),
        ConnectionStatus::Closed {
            reason: CloseReason::Shutdown
        }
    );
    assert_eq!(
        status(next(&mut events).await),
        ConnectionStatus::Closed {
            reason: CloseReason::Shutdown
        }
    );
    assert!(events.recv().await.is_none());
    sleep(Duration::from_millis(10)).await;
    assert!(server.client_closed());
    assert_eq!(handle.reconnect().await, Err(NotifyError::Closed));
}

#[tokio::test(start_paused = true)]
async fn dropping_the_event_receiver_stops_the_client() {
    let prov = FakeProvisioner::new();
    let (transport, mut ctl) = fake_transport();
    let (handle, mut events) = spawn(config(), [q("q1")], prov, transport);
    until_live(&mut events).await;
    let mut server = ctl.next_socket().await;
    drop(events);
    let mut watch = handle.watch_status();
    let closed = tokio::time::timeout(
        Duration::from_secs(5),
        watch.wait_for(ConnectionStatus::is_closed),
    )
    .await
    .expect("closes promptly")
    .expect("watch alive")
    .clone();
    assert_eq!(
        closed,
        ConnectionStatus::Closed {
            reason: CloseReason::Shutdown
        }
    );
    sleep(Duration::from_millis(10)).await;
    assert!(server.client_closed());
}

#[tokio::test(start_paused = true)]
async fn no_longer_subscribed_reconnects() {
    let prov = FakeProvisioner::new();
    let (transport, mut ctl) = fake_transport();
    let (_handle, mut events) = spawn(config(), [q("q1")], prov, transport);
    until_live(&mut events).await;
    let server = ctl.next_socket().await;
    sleep(Duration::from_secs(30)).await;
    server.send(r#"{"topicName":"v2.system.no_longer_subscribed.x","eventBody":{"reason":"another_channel_subscribed"}}"#);
    until_status(&mut events, |s| *s == ConnectionStatus::Connecting).await;
    until_status(&mut events, ConnectionStatus::is_live).await;
    assert_eq!(
        resync(next(&mut events).await).reason,
        ResyncReason::Reconnected
    );
}

#[tokio::test(start_paused = true)]
async fn user_and_queue_targets_share_one_channel_and_events_carry_their_source() {
    let prov = FakeProvisioner::new();
    let (transport, mut ctl) = fake_transport();
    let (_handle, mut events) = spawn(
        config(),
        [u("agent-1"), q("q1"), u("supervisor")],
        prov.clone(),
        transport,
    );
    let first = until_live(&mut events).await;
    assert_eq!(first.targets, vec![q("q1"), u("agent-1"), u("supervisor")]);
    assert_eq!(
        prov.replaces(),
        vec![(
            "ch-1".to_owned(),
            vec![topic("q1"), user_topic("agent-1"), user_topic("supervisor")]
        )]
    );
    let server = ctl.next_socket().await;
    assert!(ctl.try_next_socket().is_none(), "one channel for all three");

    // A bridge dialled directly: no queue, seen only on the agent's topic.
    assert!(server.user_event("agent-1", "bridge-1", "corr-u"));
    let ev = conversation(next(&mut events).await);
    assert_eq!(ev.source, u("agent-1"));
    assert_eq!(ev.queue_id(), None);
    assert_eq!(&*ev.topic, user_topic("agent-1"));
    assert_eq!(ev.conversation.id.as_str(), "bridge-1");
    assert_eq!(ev.conversation.participants.len(), 2);
    assert_eq!(ev.correlation_id.as_deref(), Some("corr-u"));

    assert!(server.event("q1", "conv-q", "corr-q"));
    let ev = conversation(next(&mut events).await);
    assert_eq!(ev.source, q("q1"));
    assert_eq!(ev.queue_id(), q("q1").queue_id());

    // A user topic not watched is ignored like any other.
    assert!(server.user_event("stranger", "c", "corr-x"));
    assert!(server.user_event("supervisor", "c", "corr-s"));
    assert_eq!(
        conversation(next(&mut events).await).source,
        u("supervisor")
    );
}

#[tokio::test(start_paused = true)]
async fn fifteen_hundred_targets_spread_over_two_channels() {
    let prov = FakeProvisioner::new();
    let (transport, mut ctl) = fake_transport();
    let queues: Vec<_> = (0..750).map(|i| q(&format!("q{i:04}"))).collect();
    let users: Vec<_> = (0..750).map(|i| u(&format!("u{i:04}"))).collect();
    let targets: Vec<_> = queues.iter().chain(&users).cloned().collect();
    let (handle, mut events) = spawn(config(), targets.clone(), prov.clone(), transport);
    let first = until_live(&mut events).await;
    assert_eq!(first.targets, targets);
    let replaces = prov.replaces();
    assert_eq!(
        replaces
            .iter()
            .map(|(ch, topics)| (ch.as_str(), topics.len()))
            .collect::<Vec<_>>(),
        [("ch-1", 1000), ("ch-2", 500)]
    );
    assert_eq!(replaces[0].1[999], user_topic("u0249"));
    assert_eq!(replaces[1].1[0], user_topic("u0250"));
    let s1 = ctl.next_socket().await;
    let s2 = ctl.next_socket().await;
    assert!(s2.user_event("u0749", "c2", "from-2"));
    assert_eq!(conversation(next(&mut events).await).source, u("u0749"));
    assert!(s1.event("q0000", "c1", "from-1"));
    assert_eq!(conversation(next(&mut events).await).source, q("q0000"));

    // A new user fills channel 2; nobody moves, channel 1 is not touched.
    handle.add_targets([u("late")]).await.expect("fits");
    assert_eq!(prov.replaces().len(), 3);
    let (ch, topics) = prov.replaces().pop().expect("a PUT");
    assert_eq!(ch, "ch-2");
    assert_eq!(topics.len(), 501);
    assert_eq!(topics[..500], replaces[1].1[..]);
    let added = resync(next(&mut events).await);
    assert_eq!(
        (added.reason, added.targets),
        (ResyncReason::TargetsAdded, vec![u("late")])
    );
}

#[tokio::test(start_paused = true)]
async fn a_rejected_user_topic_is_reported_and_the_rest_stays_live() {
    let prov = FakeProvisioner::new();
    prov.script_replace([Ok(vec![RejectedTopic {
        topic: user_topic("boss"),
        reason: "Missing permissions (missing conversation:communication:view)".into(),
    }])]);
    let (transport, mut ctl) = fake_transport();
    let (handle, mut events) = spawn(config(), [q("q1"), u("boss")], prov, transport);
    let (_, skipped) = until_status(&mut events, ConnectionStatus::is_live).await;
    let rejected: Vec<_> = skipped
        .into_iter()
        .filter_map(|e| match e {
            NotifyEvent::SubscriptionRejected(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert_eq!(rejected[0].target, Some(u("boss")));
    assert_eq!(rejected[0].topic, user_topic("boss"));
    assert!(
        rejected[0]
            .reason
            .contains("conversation:communication:view")
    );
    resync(next(&mut events).await);
    let server = ctl.next_socket().await;
    server.event("q1", "c", "still-live");
    assert_eq!(conversation(next(&mut events).await).source, q("q1"));
    assert!(handle.status().is_live());
}

#[tokio::test(start_paused = true)]
async fn resyncs_list_user_targets() {
    let prov = FakeProvisioner::new();
    let (transport, mut ctl) = fake_transport();
    let (handle, mut events) = spawn(config(), [u("u1")], prov.clone(), transport);
    let first = until_live(&mut events).await;
    assert_eq!(
        (first.reason, first.targets),
        (ResyncReason::Connected, vec![u("u1")])
    );

    handle.add_targets([q("q1"), u("u2")]).await.expect("added");
    let added = resync(next(&mut events).await);
    assert_eq!(
        (added.reason, added.targets),
        (ResyncReason::TargetsAdded, vec![q("q1"), u("u2")])
    );
    handle.remove_targets([u("u1")]).await.expect("removed");
    assert_eq!(
        prov.replaces().last(),
        Some(&("ch-1".to_owned(), vec![topic("q1"), user_topic("u2")]))
    );

    let mut server = ctl.next_socket().await;
    sleep(Duration::from_secs(30)).await;
    server.close();
    until_status(&mut events, ConnectionStatus::is_live).await;
    let again = resync(next(&mut events).await);
    assert_eq!(
        (again.reason, again.targets),
        (ResyncReason::Reconnected, vec![q("q1"), u("u2")])
    );

    let socket = ctl.next_socket().await;
    socket.socket_closing();
    let handover = resync(next(&mut events).await);
    assert_eq!(
        (handover.reason, handover.targets),
        (ResyncReason::Handover, vec![q("q1"), u("u2")])
    );

    assert_eq!(
        handle.add_targets([u("a.b")]).await,
        Err(NotifyError::InvalidTarget(r#"user "a.b""#.into()))
    );
    let err = NotifyError::InvalidTarget(u("a.b").to_string());
    assert!(
        err.to_string().contains(r#"cannot watch user "a.b""#),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn users_count_towards_the_topic_limit() {
    let cfg = NotifyConfig {
        max_topics_per_channel: 2,
        max_channels: 2,
        ..config()
    };
    let prov = FakeProvisioner::new();
    let (transport, _ctl) = fake_transport();
    let (handle, mut events) = spawn(cfg, [q("a"), u("a"), u("b")], prov, transport);
    until_live(&mut events).await;
    handle.add_targets([q("b")]).await.expect("four fit");
    let err = handle.add_targets([u("c")]).await.expect_err("five do not");
    assert_eq!(
        err,
        NotifyError::TooManyTargets {
            requested: 5,
            max: 4
        }
    );
    assert!(
        err.to_string()
            .contains("5 queues and users requested; at most 4"),
        "{err}"
    );
}

fn too_many_subscriptions() -> ProvisionError {
    ProvisionError::from_http(
        400,
        Some(genesys_notify::TOO_MANY_SUBSCRIPTIONS.into()),
        "Too many subscriptions".into(),
        None,
        None,
    )
}

#[tokio::test(start_paused = true)]
async fn too_many_subscriptions_is_reported_per_target_and_the_other_channels_stay_live() {
    let cfg = NotifyConfig {
        max_topics_per_channel: 2,
        ..config()
    };
    let prov = FakeProvisioner::new();
    // The first channel's PUT goes through, the second's is refused whole.
    prov.script_replace([Ok(Vec::new()), Err(too_many_subscriptions())]);
    let (transport, mut ctl) = fake_transport();
    let (handle, mut events) = spawn(cfg, [q("a"), q("b"), u("c")], prov.clone(), transport);
    let (_, skipped) = until_status(&mut events, ConnectionStatus::is_live).await;
    let rejected: Vec<_> = skipped
        .into_iter()
        .filter_map(|e| match e {
            NotifyEvent::SubscriptionRejected(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert_eq!(rejected[0].target, Some(u("c")));
    assert!(
        rejected[0].reason.contains("too many subscriptions")
            && rejected[0]
                .reason
                .contains(genesys_notify::TOO_MANY_SUBSCRIPTIONS),
        "{}",
        rejected[0].reason
    );
    assert_eq!(
        resync(next(&mut events).await).targets,
        vec![q("a"), q("b"), u("c")]
    );
    let s1 = ctl.next_socket().await;
    let _s2 = ctl.next_socket().await;
    s1.event("a", "c", "live");
    assert_eq!(conversation(next(&mut events).await).source, q("a"));
    assert!(handle.status().is_live());

    // A refused change on a live channel: the old list is still in force there, only the new topic is lost.
    prov.script_replace([Err(too_many_subscriptions())]);
    handle.add_targets([u("d")]).await.expect("applied");
    let mut reported = Vec::new();
    loop {
        match next(&mut events).await {
            NotifyEvent::SubscriptionRejected(r) => reported.push(r.target),
            NotifyEvent::Resync(r) => {
                assert_eq!(r.reason, ResyncReason::TargetsAdded);
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(reported, vec![Some(u("d"))]);
    s1.event("b", "c", "still-live");
    assert_eq!(conversation(next(&mut events).await).source, q("b"));
    assert_eq!(prov.creates().len(), 2, "no reconnect");
}

fn rate_limited(seconds: u64) -> ProvisionError {
    // Through the same classification every provisioner uses.
    ProvisionError::from_http(
        429,
        Some("too.many.requests".into()),
        "Rate limit exceeded the maximum [300] requests within [60] seconds".into(),
        None,
        Some(Duration::from_secs(seconds)),
    )
}

#[tokio::test(start_paused = true)]
async fn a_429_on_the_subscription_of_a_connect_waits_for_retry_after() {
    let prov = FakeProvisioner::new();
    prov.script_replace([Err(rate_limited(45))]);
    let (transport, _ctl) = fake_transport();
    let (_handle, mut events) = spawn(config(), [q("q1"), u("u1")], prov.clone(), transport);
    let (st, _) = until_status(&mut events, |s| {
        matches!(s, ConnectionStatus::BackingOff { .. })
    })
    .await;
    let ConnectionStatus::BackingOff { attempt, until } = st else {
        unreachable!()
    };
    assert_eq!(attempt, 1, "a transient failure, not a close");
    assert_about(until - Instant::now(), Duration::from_secs(45));
    until_live(&mut events).await;
    let calls = prov.calls();
    let (Call::Replace { at: refused, .. }, Some(Call::Create { at: retried, .. })) =
        (&calls[1], calls.get(2))
    else {
        panic!("create, refused PUT, create again: {calls:?}")
    };
    assert!(*retried - *refused >= Duration::from_secs(45), "{calls:?}");
}

#[tokio::test(start_paused = true)]
async fn a_429_during_a_live_change_delays_even_a_stable_reconnect() {
    let prov = FakeProvisioner::new();
    let (transport, mut ctl) = fake_transport();
    let (handle, mut events) = spawn(config(), [q("q1")], prov.clone(), transport);
    until_live(&mut events).await;
    let _first = ctl.next_socket().await;
    sleep(Duration::from_secs(60)).await;
    prov.script_replace([Err(rate_limited(20))]);
    let refused_at = Instant::now();
    handle
        .add_targets([u("u1")])
        .await
        .expect("accepted; applied by the reconnect");
    // Stable for a minute, yet it backs off: the platform asked for 20 s.
    let (st, _) = until_status(&mut events, |s| !s.is_live()).await;
    let ConnectionStatus::BackingOff { until, .. } = st else {
        panic!("expected a backoff, got {st:?}")
    };
    assert!(until - refused_at >= Duration::from_secs(20), "{st:?}");
    // Asking to reconnect does not skip the platform's Retry-After.
    handle.reconnect().await.expect("reconnect");
    let again = until_live(&mut events).await;
    assert_eq!(again.targets, vec![q("q1"), u("u1")]);
    let creates = prov.creates();
    assert_eq!(creates.len(), 2);
    assert!(creates[1] - refused_at >= Duration::from_secs(20));
}

#[tokio::test(start_paused = true)]
async fn reconnect_during_a_429_backoff_still_waits_for_retry_after() {
    let prov = FakeProvisioner::new();
    prov.script_create([Err(rate_limited(30))]);
    let (transport, _ctl) = fake_transport();
    let (handle, mut events) = spawn(config(), [q("q1")], prov.clone(), transport);
    until_status(&mut events, |s| {
        matches!(s, ConnectionStatus::BackingOff { .. })
    })
    .await;
    sleep(Duration::from_secs(5)).await;
    handle.reconnect().await.expect("reconnect");
    until_live(&mut events).await;
    let creates = prov.creates();
    assert_eq!(creates.len(), 2);
    assert_about(creates[1] - creates[0], Duration::from_secs(30));
}

#[tokio::test(start_paused = true)]
async fn a_429_on_a_handover_holds_the_reconnect_after_the_old_socket_goes() {
    let prov = FakeProvisioner::new();
    let (transport, mut ctl) = fake_transport();
    let (_handle, mut events) = spawn(config(), [u("u1")], prov.clone(), transport);
    until_live(&mut events).await;
    let mut old = ctl.next_socket().await;
    sleep(Duration::from_secs(60)).await;
    prov.script_create([Err(rate_limited(40))]);
    old.socket_closing();
    sleep(Duration::from_millis(100)).await;
    let refused_at = prov.creates()[1];
    // The platform closes the old socket before the replacement could be retried.
    old.close();
    let (st, _) = until_status(&mut events, |s| !s.is_live()).await;
    assert!(
        matches!(st, ConnectionStatus::BackingOff { .. }),
        "not at once: {st:?}"
    );
    let again = until_live(&mut events).await;
    assert_eq!(again.targets, vec![u("u1")]);
    let creates = prov.creates();
    assert_eq!(creates.len(), 3);
    assert!(
        creates[2] - refused_at >= Duration::from_secs(40),
        "{creates:?}"
    );
}
