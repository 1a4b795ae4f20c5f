//! Changing the watched targets: queues and users, channel spreading, topic limits.

use super::*;

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
        source: None,
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
        source: None,
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
