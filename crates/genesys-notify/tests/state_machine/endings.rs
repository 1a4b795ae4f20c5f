//! How connections end or restart: expiry, refusals, flapping, reconnect, shutdown.

use super::*;

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
