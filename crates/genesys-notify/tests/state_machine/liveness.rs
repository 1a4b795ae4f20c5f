//! Keeping a connection alive: heartbeats, pings, handovers and channel renewal.

use super::*;

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
        source: None,
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
