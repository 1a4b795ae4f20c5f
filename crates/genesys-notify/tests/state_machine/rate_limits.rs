//! A 429 anywhere: its Retry-After holds every later provisioning call.

use super::*;

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
