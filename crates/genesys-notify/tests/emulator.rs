//! The client against the real emulator (in-process on 127.0.0.1:0): real REST, real WebSocket, real faults.
//!
//! About 630 lines, kept whole on purpose: every test is one fault scenario driven through the
//! `Rig` defined here, and splitting would only move that rig into a shared module for one file.

use genesys_emulator::FaultSpec;
use std::time::Duration;

use genesys_emulator::test_support;
use genesys_emulator::{EmulatorConfig, RunningEmulator, SUPERVISOR_EMAIL};
use genesys_model::AccessToken;
use genesys_model::enums::ParticipantState;
use genesys_model::ids::{QueueId, UserId};
use genesys_notify::{
    BackoffPolicy, ClientProvisioner, CloseReason, ConnectionStatus, ConversationEvent,
    NotifyConfig, NotifyEvent, NotifyHandle, ResyncReason, TungsteniteTransport, WatchTarget,
    spawn,
};
use serde_json::{Value, json};
use tokio::sync::mpsc::Receiver;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

struct Rig {
    emulator: RunningEmulator,
    http: reqwest::Client,
    token: AccessToken,
}

impl Rig {
    async fn start(heartbeat: Duration) -> Self {
        let config = EmulatorConfig {
            listen: "127.0.0.1:0".parse().expect("address"),
            heartbeat,
            patch_delay: Duration::from_millis(30),
            ..EmulatorConfig::default()
        };
        let emulator = genesys_emulator::start(config)
            .await
            .expect("emulator starts");
        let http = test_support::http_client();
        // The confidential code flow as the supervisor (login_hint auto-approves on the emulator).
        let token = AccessToken::new(
            test_support::sign_in(&http, &emulator.base_url(), SUPERVISOR_EMAIL).await,
        );
        Self {
            emulator,
            http,
            token,
        }
    }

    fn base(&self) -> String {
        self.emulator.base_url()
    }

    fn client(
        &self,
        config: NotifyConfig,
        targets: Vec<WatchTarget>,
    ) -> (NotifyHandle, Receiver<NotifyEvent>) {
        self.client_with_retry(config, targets, genesys_client::RetryPolicy::default())
    }

    /// A client whose REST layer retries as `retry` says (`none()` lets every 429/5xx reach the state machine).
    fn client_with_retry(
        &self,
        config: NotifyConfig,
        targets: Vec<WatchTarget>,
        retry: genesys_client::RetryPolicy,
    ) -> (NotifyHandle, Receiver<NotifyEvent>) {
        let environment = genesys_client::Environment::custom(&self.base()).expect("loopback base");
        let rest = genesys_client::Client::builder(environment)
            .token_source(genesys_client::StaticToken::from(self.token.clone()))
            .retry_policy(retry)
            .build()
            .expect("client");
        spawn(
            config,
            targets,
            ClientProvisioner::new(rest),
            TungsteniteTransport::new(),
        )
    }

    async fn fault(&self, fault: &FaultSpec) {
        self.emulator.control().fault(fault).await;
    }

    async fn patch_participant(&self, conversation: &str, participant: &str, body: Value) {
        let response = self
            .http
            .patch(format!(
                "{}/api/v2/conversations/calls/{conversation}/participants/{participant}",
                self.base()
            ))
            .bearer_auth(self.token.expose_secret())
            .json(&body)
            .send()
            .await
            .expect("patch request");
        assert_eq!(response.status().as_u16(), 202, "PATCH {body}");
    }

    /// A live conference on some queue: (queue id, conversation id, connected non-ACD participant ids).
    fn conference(&self) -> (String, String, Vec<String>) {
        self.emulator
            .world()
            .conversations()
            .into_iter()
            .filter(|c| c.get("endTime").is_none())
            .find_map(|c| {
                let queue = c.get("queueId")?.as_str()?.to_owned();
                let id = c.get("id")?.as_str()?.to_owned();
                let parties: Vec<String> = c
                    .get("participants")?
                    .as_array()?
                    .iter()
                    .filter(|p| p.get("state").and_then(Value::as_str) == Some("connected"))
                    .filter(|p| p.get("purpose").and_then(Value::as_str) != Some("acd"))
                    .filter_map(|p| p.get("id")?.as_str().map(str::to_owned))
                    .collect();
                (parties.len() >= 3).then_some((queue, id, parties))
            })
            .expect("the demo scenario has a live conference on a queue")
    }
}

fn queue_target(id: &str) -> WatchTarget {
    WatchTarget::Queue(QueueId::new(id))
}

fn fast_config() -> NotifyConfig {
    NotifyConfig {
        backoff: BackoffPolicy {
            base: Duration::from_millis(50),
            cap: Duration::from_millis(500),
            jitter: 0.5,
        },
        stable_after: Duration::ZERO,
        jitter_seed: Some(9),
        ..NotifyConfig::default()
    }
}

async fn next(events: &mut Receiver<NotifyEvent>) -> NotifyEvent {
    timeout(WAIT, events.recv())
        .await
        .expect("an event in time")
        .expect("client running")
}

/// Waits for the Resync that follows `Live`, returning every event before it.
async fn until_resync(
    events: &mut Receiver<NotifyEvent>,
) -> (genesys_notify::Resync, Vec<NotifyEvent>) {
    let mut before = Vec::new();
    loop {
        match next(events).await {
            NotifyEvent::Resync(r) => return (r, before),
            other => before.push(other),
        }
    }
}

/// Waits for a conversation event of `conversation` matching `pred`, skipping others.
async fn until_event(
    events: &mut Receiver<NotifyEvent>,
    conversation: &str,
    pred: impl Fn(&ConversationEvent) -> bool,
) -> ConversationEvent {
    loop {
        match next(events).await {
            NotifyEvent::Conversation(ev)
                if ev.conversation.id.as_str() == conversation && pred(&ev) =>
            {
                return ev;
            }
            NotifyEvent::Malformed(bad) => {
                panic!("the emulator sent a frame we cannot read: {bad:?}")
            }
            _ => {}
        }
    }
}

fn state_of(ev: &ConversationEvent, participant: &str) -> Option<ParticipantState> {
    ev.conversation
        .participants
        .iter()
        .find(|p| p.id.as_str() == participant)
        .and_then(|p| p.state.clone())
}

#[tokio::test]
async fn a_subscribed_queue_delivers_the_drop_of_a_party() {
    let rig = Rig::start(Duration::from_secs(30)).await;
    let (queue, conversation, parties) = rig.conference();
    let (handle, mut events) = rig.client(fast_config(), vec![queue_target(&queue)]);
    let (first, before) = until_resync(&mut events).await;
    assert_eq!(first.reason, ResyncReason::Connected);
    assert_eq!(first.targets, vec![queue_target(&queue)]);
    let statuses: Vec<_> = before
        .iter()
        .filter_map(|e| {
            if let NotifyEvent::Status(s) = e {
                Some(s.code())
            } else {
                None
            }
        })
        .collect();
    assert_eq!(statuses, ["connecting", "subscribing", "live"]);

    let target = parties.last().expect("a party");
    rig.patch_participant(&conversation, target, json!({"state": "disconnected"}))
        .await;
    let ev = until_event(&mut events, &conversation, |ev| {
        state_of(ev, target).is_some_and(|s| s == ParticipantState::Disconnected)
    })
    .await;
    assert_eq!(ev.source, queue_target(&queue));
    assert_eq!(
        &*ev.topic,
        format!("v2.routing.queues.{queue}.conversations.calls")
    );
    assert!(
        ev.correlation_id.as_deref().is_some_and(|c| !c.is_empty()),
        "the envelope's CorrelationId"
    );
    for other in parties.iter().filter(|p| *p != target) {
        assert_eq!(
            state_of(&ev, other),
            Some(ParticipantState::Connected),
            "the others stay"
        );
    }
    assert!(handle.status().is_live());
    handle.shutdown().await;
}

/// A live call with a connected user party, preferring one on no queue (a bridge dialled directly, which only
/// the users' topics carry): (conversation id, participant id, user id).
fn user_on_a_call(rig: &Rig) -> (String, String, String) {
    let calls: Vec<Value> = rig
        .emulator
        .world()
        .conversations()
        .into_iter()
        .filter(|c| c.get("endTime").is_none())
        .collect();
    let all: Vec<_> = calls
        .iter()
        .filter_map(|c| {
            let id = c.get("id")?.as_str()?.to_owned();
            let party = c.get("participants")?.as_array()?.iter().find(|p| {
                p.get("state").and_then(Value::as_str) == Some("connected")
                    && p.pointer("/user/id").is_some()
            })?;
            let participant = party.get("id")?.as_str()?.to_owned();
            let user = party.pointer("/user/id")?.as_str()?.to_owned();
            Some((c.get("queueId").is_none(), (id, participant, user)))
        })
        .collect();
    all.iter()
        .find(|(no_queue, _)| *no_queue)
        .or_else(|| all.first())
        .map(|(_, found)| found.clone())
        .expect("the demo scenario has a live call with a user on it")
}

#[tokio::test]
async fn a_watched_user_delivers_their_call_events_over_the_real_socket() {
    let rig = Rig::start(Duration::from_secs(30)).await;
    let (conversation, participant, user) = user_on_a_call(&rig);
    let supervisor = rig
        .emulator
        .world()
        .user_id(SUPERVISOR_EMAIL)
        .expect("the supervisor exists");
    let watched = [
        WatchTarget::User(UserId::new(&supervisor)),
        WatchTarget::User(UserId::new(&user)),
    ];
    let (handle, mut events) = rig.client(fast_config(), watched.to_vec());
    let (first, before) = until_resync(&mut events).await;
    assert_eq!(first.reason, ResyncReason::Connected);
    let mut expected = watched.to_vec();
    expected.sort();
    assert_eq!(first.targets, expected);
    assert!(
        !before
            .iter()
            .any(|e| matches!(e, NotifyEvent::SubscriptionRejected(_))),
        "the supervisor may watch people: {before:?}"
    );

    rig.patch_participant(&conversation, &participant, json!({"muted": true}))
        .await;
    let ev = until_event(&mut events, &conversation, |ev| {
        ev.conversation
            .participants
            .iter()
            .any(|p| p.id.as_str() == participant && p.muted == Some(true))
    })
    .await;
    assert_eq!(ev.source, WatchTarget::User(UserId::new(&user)));
    assert_eq!(ev.queue_id(), None);
    assert_eq!(&*ev.topic, format!("v2.users.{user}.conversations.calls"));
    assert!(handle.status().is_live());
    handle.shutdown().await;
}

#[tokio::test]
async fn close_sockets_fault_reconnects_and_resyncs_before_new_events() {
    let rig = Rig::start(Duration::from_secs(30)).await;
    let (queue, conversation, parties) = rig.conference();
    let (handle, mut events) = rig.client(fast_config(), vec![queue_target(&queue)]);
    until_resync(&mut events).await;

    rig.fault(&FaultSpec::CloseSockets {}).await;
    let (again, before) = until_resync(&mut events).await;
    assert_eq!(again.reason, ResyncReason::Reconnected);
    assert_eq!(again.targets, vec![queue_target(&queue)]);
    assert!(
        before
            .iter()
            .any(|e| matches!(e, NotifyEvent::Status(ConnectionStatus::Connecting))),
        "{before:?}"
    );
    assert!(matches!(
        before.last(),
        Some(NotifyEvent::Status(ConnectionStatus::Live))
    ));

    rig.patch_participant(&conversation, &parties[0], json!({"muted": true}))
        .await;
    let ev = until_event(&mut events, &conversation, |ev| {
        ev.conversation
            .participants
            .iter()
            .any(|p| p.id.as_str() == parties[0] && p.muted == Some(true))
    })
    .await;
    assert_eq!(ev.source, queue_target(&queue));
    handle.shutdown().await;
}

#[tokio::test]
async fn socket_closing_fault_hands_over_without_leaving_live() {
    let rig = Rig::start(Duration::from_secs(30)).await;
    let (queue, conversation, parties) = rig.conference();
    let (handle, mut events) = rig.client(fast_config(), vec![queue_target(&queue)]);
    until_resync(&mut events).await;

    rig.fault(&FaultSpec::SocketClosing {
        grace_ms: Some(1500),
    })
    .await;
    let (handover, before) = until_resync(&mut events).await;
    assert_eq!(handover.reason, ResyncReason::Handover);
    assert!(
        !before.iter().any(|e| matches!(e, NotifyEvent::Status(_))),
        "status stayed Live: {before:?}"
    );

    // Past the grace period the old socket is closed by the server; the client does not notice.
    // Wait for that close itself (the emulator counts open sockets), not for the clock.
    let world = rig.emulator.world();
    timeout(WAIT, async {
        while world.open_sockets() > 1 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the server closed the old socket at the end of the grace period");
    rig.patch_participant(&conversation, &parties[1], json!({"held": true}))
        .await;
    until_event(&mut events, &conversation, |ev| {
        ev.conversation
            .participants
            .iter()
            .any(|p| p.id.as_str() == parties[1] && p.held == Some(true))
    })
    .await;
    assert!(handle.status().is_live());
    while let Ok(event) = events.try_recv() {
        assert!(
            !matches!(event, NotifyEvent::Status(_) | NotifyEvent::Resync(_)),
            "{event:?}"
        );
    }
    handle.shutdown().await;
}

/// `drop_events` is invisible to the client: no status change, no Resync, no Malformed; the change simply
/// never arrives, until the conversation's next change carries a full snapshot that includes it.
#[tokio::test]
async fn drop_events_fault_shows_up_only_as_a_missing_event() {
    let rig = Rig::start(Duration::from_secs(30)).await;
    let (queue, conversation, parties) = rig.conference();
    let (handle, mut events) = rig.client(fast_config(), vec![queue_target(&queue)]);
    until_resync(&mut events).await;

    rig.fault(&FaultSpec::DropEvents {
        count: Some(1),
        rate: None,
    })
    .await;
    rig.patch_participant(&conversation, &parties[0], json!({"muted": true}))
        .await;
    if let Ok(Some(event)) = timeout(Duration::from_millis(800), events.recv()).await {
        panic!("the dropped change produced {event:?}");
    }
    rig.patch_participant(&conversation, &parties[1], json!({"muted": true}))
        .await;
    let ev = until_event(&mut events, &conversation, |_| true).await;
    let muted = |id: &str| {
        ev.conversation
            .participants
            .iter()
            .any(|p| p.id.as_str() == id && p.muted == Some(true))
    };
    assert!(muted(&parties[1]), "the second change arrived");
    assert!(
        muted(&parties[0]),
        "its full snapshot also carries the first, dropped change"
    );
    assert!(handle.status().is_live());
    handle.shutdown().await;
}

#[tokio::test]
async fn the_watchdog_reconnects_a_silent_socket_and_pongs_keep_one_alive() {
    // The emulator sends no heartbeat within the test; only answers to pings prove the socket is alive.
    let rig = Rig::start(Duration::from_secs(3600)).await;
    let (queue, _, _) = rig.conference();
    let silent = NotifyConfig {
        heartbeat_interval: Duration::from_millis(300),
        missed_heartbeats: 2,
        ping_interval: Duration::from_secs(3600),
        ..fast_config()
    };
    let (handle, mut events) = rig.client(silent, vec![queue_target(&queue)]);
    until_resync(&mut events).await;
    let started = std::time::Instant::now();
    let (again, _) = until_resync(&mut events).await;
    assert_eq!(again.reason, ResyncReason::Reconnected);
    assert!(
        started.elapsed() >= Duration::from_millis(550),
        "not before the watchdog limit"
    );
    handle.shutdown().await;

    let pinging = NotifyConfig {
        heartbeat_interval: Duration::from_millis(300),
        missed_heartbeats: 2,
        ping_interval: Duration::from_millis(100),
        ..fast_config()
    };
    let (handle, mut events) = rig.client(pinging, vec![queue_target(&queue)]);
    until_resync(&mut events).await;
    if let Ok(Some(event)) = timeout(Duration::from_millis(1500), events.recv()).await {
        panic!("pongs should keep the socket: {event:?}");
    }
    assert!(handle.status().is_live());
    handle.shutdown().await;
}

#[tokio::test]
async fn revoked_tokens_close_the_client_at_the_next_provisioning() {
    let rig = Rig::start(Duration::from_secs(30)).await;
    let (queue, _, _) = rig.conference();
    let (handle, mut events) = rig.client(fast_config(), vec![queue_target(&queue)]);
    until_resync(&mut events).await;
    rig.fault(&FaultSpec::RevokeTokens { user_id: None }).await;
    rig.fault(&FaultSpec::CloseSockets {}).await;
    loop {
        if let NotifyEvent::Status(status) = next(&mut events).await {
            assert!(
                !matches!(status, ConnectionStatus::Live),
                "must not come back with a revoked token"
            );
            if let ConnectionStatus::Closed { reason } = status {
                assert_eq!(reason, CloseReason::SessionExpired);
                break;
            }
        }
    }
    assert_eq!(
        handle.status(),
        ConnectionStatus::Closed {
            reason: CloseReason::SessionExpired
        }
    );
}

#[tokio::test]
async fn queues_are_added_on_the_live_socket_without_reconnecting() {
    let rig = Rig::start(Duration::from_secs(30)).await;
    let (queue, conversation, parties) = rig.conference();
    let other = rig
        .emulator
        .world()
        .queues()
        .into_iter()
        .map(|q| q.id)
        .find(|id| *id != queue)
        .expect("a second queue");
    let (handle, mut events) = rig.client(fast_config(), vec![queue_target(&other)]);
    until_resync(&mut events).await;

    handle
        .add_targets([queue_target(&queue)])
        .await
        .expect("added");
    let (added, before) = until_resync(&mut events).await;
    assert_eq!(
        (added.reason, added.targets),
        (ResyncReason::TargetsAdded, vec![queue_target(&queue)])
    );
    assert!(
        !before.iter().any(|e| matches!(e, NotifyEvent::Status(_))),
        "no reconnect: {before:?}"
    );
    rig.patch_participant(&conversation, &parties[0], json!({"muted": true}))
        .await;
    let ev = until_event(&mut events, &conversation, |_| true).await;
    assert_eq!(ev.source, queue_target(&queue));

    // The emulator accepts topics for unknown queue ids (as it documents); the client just stays live.
    let unknown = queue_target("00000000-0000-4000-8000-000000000000");
    handle
        .add_targets([unknown.clone()])
        .await
        .expect("accepted");
    let (added, _) = until_resync(&mut events).await;
    assert_eq!(added.targets, vec![unknown]);
    assert!(handle.status().is_live());
    handle.shutdown().await;
}

#[tokio::test]
async fn rate_limits_and_server_errors_while_provisioning_back_off_then_connect() {
    let rig = Rig::start(Duration::from_secs(30)).await;
    let (queue, _, _) = rig.conference();
    rig.fault(&FaultSpec::RateLimit {
        count: Some(1),
        rate: None,
        retry_after: Some(1),
        path_prefix: Some("/api/v2/notifications".into()),
    })
    .await;
    rig.fault(&FaultSpec::ServerError {
        status: 503,
        count: Some(1),
        rate: None,
        path_prefix: Some("/api/v2/notifications".into()),
    })
    .await;
    let (handle, mut events) = rig.client_with_retry(
        fast_config(),
        vec![queue_target(&queue)],
        genesys_client::RetryPolicy::none(),
    );
    let started = std::time::Instant::now();
    let (first, before) = until_resync(&mut events).await;
    assert_eq!(first.reason, ResyncReason::Connected);
    let backoffs: Vec<u32> = before
        .iter()
        .filter_map(|e| match e {
            NotifyEvent::Status(ConnectionStatus::BackingOff { attempt, .. }) => Some(*attempt),
            _ => None,
        })
        .collect();
    assert_eq!(
        backoffs,
        [1, 2],
        "one backoff per refused attempt: {before:?}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After: 1 was honoured"
    );
    handle.shutdown().await;
}

/// A platform that holds fewer topics per channel than configured (the emulator, like Genesys, 1,000) refuses
/// the oversized channel's PUT whole: its targets are reported, the client stays live on the other channel.
#[tokio::test]
async fn too_many_subscriptions_on_one_channel_spares_the_other() {
    let rig = Rig::start(Duration::from_secs(30)).await;
    let (conversation, participant, user) = user_on_a_call(&rig);
    let config = NotifyConfig {
        max_topics_per_channel: 1001,
        ..fast_config()
    };
    // Queues sort before users: 1,001 unknown queues fill channel 1, the user goes to channel 2.
    let mut targets: Vec<WatchTarget> = (0..1001)
        .map(|i| queue_target(&format!("00000000-0000-4000-8000-{i:012}")))
        .collect();
    let agent = WatchTarget::User(UserId::new(&user));
    targets.push(agent.clone());
    let (handle, mut events) = rig.client(config, targets);
    let (first, before) = until_resync(&mut events).await;
    assert_eq!(first.targets.len(), 1002);
    let rejected: Vec<_> = before
        .iter()
        .filter_map(|e| match e {
            NotifyEvent::SubscriptionRejected(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(rejected.len(), 1001);
    assert!(
        rejected
            .iter()
            .all(|r| r.target.as_ref().is_some_and(|t| t.queue_id().is_some()))
    );
    assert!(
        rejected[0]
            .reason
            .contains("notification.subscription.too.many.subscriptions"),
        "{}",
        rejected[0].reason
    );
    assert!(handle.status().is_live());

    rig.patch_participant(&conversation, &participant, json!({"held": true}))
        .await;
    let ev = until_event(&mut events, &conversation, |ev| {
        ev.conversation
            .participants
            .iter()
            .any(|p| p.id.as_str() == participant && p.held == Some(true))
    })
    .await;
    assert_eq!(ev.source, agent);
    handle.shutdown().await;
}
