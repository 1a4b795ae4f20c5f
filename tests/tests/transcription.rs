//! The transcription feed against the real emulator (HTTP, WebSocket, its transcription engine):
//! a silent outside party is found by a `silent` rule and a speaking one is not, INTERNAL speech
//! is not the outside speaking, an unlicensed org and a user without the permission read as
//! unavailable with the reason, and malformed transcription messages are skipped. The emulator's
//! delays are hundreds of milliseconds (the platform's: 35 s and 5 min), so nothing sleeps long.

use std::time::Duration;

use std::sync::{Arc, Mutex};

use bridgekeeper_tests::{Rig, emulator_config, notify_config};
use chrono::Utc;
use genesys_emulator::test_support::FaultSpec;
use genesys_emulator::{EmulatorConfig, OBSERVER_EMAIL, SUPERVISOR_EMAIL, ScenarioName};
use genesys_model::{ConversationId, Purpose};
use supervisor_core::audit::Actor;
use supervisor_core::policy::{
    AcceptedDrops, DecisionAction, Detection, Directory, Engine, FlagTracker, Mode, Observations,
    Policy, PolicyRunner, TranscriptionAccess, detect,
};
use supervisor_core::roster::Roster;
use supervisor_core::transcription::{FeedConfig, FeedTimings, TranscriptFeed};

const DELAY: Duration = Duration::from_millis(200);
const HEARTBEAT: Duration = Duration::from_millis(300);

/// A rule that may report the outside side (customers are not covered by default).
const SILENT: &str = "[[rule]]\nid = \"quiet\"\nwhen = \"silent\"\nfor = \"1s\"\n\
                      purposes = [\"customer\", \"external\", \"agent\"]\n";

fn emulator(scenario: ScenarioName) -> EmulatorConfig {
    EmulatorConfig {
        scenario,
        transcription_delay: DELAY,
        transcription_heartbeat: HEARTBEAT,
        speech_every: Duration::from_millis(100),
        ..emulator_config()
    }
}

fn feed_config() -> FeedConfig {
    FeedConfig {
        notify: notify_config(),
        timings: FeedTimings {
            delivery_delay: DELAY,
            heartbeat_interval: HEARTBEAT,
            heartbeat_slack: HEARTBEAT,
            ..FeedTimings::default()
        },
        resubscribe_every: Duration::from_millis(50),
        publish_every: Duration::from_millis(50),
    }
}

/// The detector over the board now with the feed's transcription (nothing else observed).
fn evaluate(roster: &Roster, feed: &TranscriptFeed, policy: &Policy) -> Detection {
    let board = roster.snapshot().conversations;
    let transcription = feed.transcription();
    let (flags, accepted, directory) = (FlagTracker::new(), AcceptedDrops::new(), Directory::new());
    let obs = Observations {
        flags: &flags,
        accepted_drops: &accepted,
        transcription: &transcription,
        directory: &directory,
    };
    detect(&board, policy, &obs, Utc::now())
}

/// Evaluates every 50 ms until `done` holds (checking `always` each time), within `within`.
async fn until(
    roster: &Roster,
    feed: &TranscriptFeed,
    policy: &Policy,
    within: Duration,
    always: impl Fn(&Detection),
    done: impl Fn(&Detection) -> bool,
) -> Detection {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let d = evaluate(roster, feed, policy);
        always(&d);
        if done(&d) {
            return d;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not within {within:?}: {d:#?}\nstats {:?}",
            feed.stats()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The first live call on the queue called `queue`, and its customer.
fn call_on(rig: &Rig, roster: &Roster, queue: &str) -> (ConversationId, String) {
    let queue = rig.queue(queue);
    let record = roster
        .snapshot()
        .conversations
        .into_iter()
        .find(|r| r.queues.contains(&queue))
        .expect("a call on the queue");
    let customer = record
        .parties
        .iter()
        .find(|p| p.purpose == Some(Purpose::Customer))
        .expect("a customer")
        .participant_id
        .to_string();
    (record.id.clone(), customer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_outside_party_is_found_and_a_speaking_one_is_not() {
    let rig = Rig::start_with(emulator(ScenarioName::SilentParty)).await;
    let (roster, client) = rig.supervisor_roster().await;
    let feed = TranscriptFeed::start(&client, &roster, feed_config());
    let policy = Policy::parse(SILENT).expect("policy");
    let (billing, customer) = call_on(&rig, &roster, "Billing");
    let (support, _) = call_on(&rig, &roster, "Support");

    // Billing's customer never speaks while agent13 keeps talking (INTERNAL): found. Support's
    // customer talks every 100 ms: never found. No agent is ever found (INTERNAL speech is not
    // the outside side's).
    let never_support_or_agents = |d: &Detection| {
        for f in &d.findings {
            assert_ne!(
                f.conversation_id, support,
                "a talking customer found: {f:?}"
            );
            assert_eq!(f.purpose, Some(Purpose::Customer), "{f:?}");
        }
    };
    let found = until(
        &roster,
        &feed,
        &policy,
        Duration::from_secs(10),
        never_support_or_agents,
        |d| d.findings.iter().any(|f| f.conversation_id == billing),
    )
    .await;
    let finding = found
        .findings
        .iter()
        .find(|f| f.conversation_id == billing)
        .expect("found");
    assert_eq!(finding.participant_id.as_str(), customer);
    assert_eq!(finding.rule, "quiet");
    assert!(
        finding.reason.contains("the outside side has said nothing"),
        "{finding:?}"
    );
    let t = feed.transcription();
    assert_eq!(t.access, TranscriptionAccess::Available);
    let billing_t = t.call(&billing).expect("billing followed").clone();
    assert!(
        billing_t.last_message.is_some(),
        "heartbeats and INTERNAL lines arrive"
    );
    assert_eq!(
        billing_t.last_external_speech, None,
        "agent13's lines are INTERNAL"
    );
    assert!(
        t.call(&support)
            .and_then(|c| c.last_external_speech)
            .is_some()
    );
    assert_eq!(feed.stats().malformed, 0);
    // The runner's shared cell says the same within a refresh.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let shared = feed.shared().lock().expect("cell").clone();
    assert_eq!(shared.access, TranscriptionAccess::Available);
    assert!(
        shared
            .call(&billing)
            .is_some_and(|c| c.last_external_speech.is_none())
    );

    // The customer speaks: once the transcript arrives, the finding is gone.
    let said = rig
        .control
        .speak(billing.as_str(), &customer, "are you still there")
        .await;
    assert!(said.transcribed, "{said:?}");
    assert_eq!(said.channel, "EXTERNAL");
    until(
        &roster,
        &feed,
        &policy,
        Duration::from_secs(5),
        never_support_or_agents,
        |d| !d.findings.iter().any(|f| f.conversation_id == billing),
    )
    .await;

    // A call that ends leaves the feed: its topic is unsubscribed.
    let followed = feed.stats().followed;
    rig.control.end_call(support.as_str()).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while feed.stats().followed != followed - 1 {
        assert!(tokio::time::Instant::now() < deadline, "{:?}", feed.stats());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(feed.transcription().call(&support).is_none());
    feed.shutdown().await;
    roster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unlicensed_org_reads_as_unavailable_with_the_reason_never_silent() {
    let rig = Rig::start_with(emulator(ScenarioName::UnlicensedTranscription)).await;
    let (roster, client) = rig.supervisor_roster().await;
    let feed = TranscriptFeed::start(&client, &roster, feed_config());
    let policy = Policy::parse(SILENT).expect("policy");
    let d = until(
        &roster,
        &feed,
        &policy,
        Duration::from_secs(10),
        |d| assert!(d.findings.is_empty(), "{d:?}"),
        |d| {
            d.unavailable
                .iter()
                .any(|u| u.conversation_id.is_none() && u.reason.contains("not licensed"))
        },
    )
    .await;
    assert_eq!(d.unavailable.len(), 1, "{d:?}");
    assert_eq!(d.unavailable[0].rule, "quiet");
    assert!(feed.stats().followed > 0, "{:?}", feed.stats());
    assert_eq!(feed.stats().messages, 0);
    feed.shutdown().await;
    roster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_permission_the_rule_is_unavailable_and_nothing_is_subscribed() {
    let rig = Rig::start_with(emulator(ScenarioName::SilentParty)).await;
    let token = rig.token(OBSERVER_EMAIL).await;
    let roster = rig.roster(rig.client(&token), rig.all_queues());
    assert!(roster.wait_until_trusted(Duration::from_secs(10)).await);
    let since = rig.request_seq();
    let feed = TranscriptFeed::start(&rig.client(&token), &roster, feed_config());
    let policy = Policy::parse(SILENT).expect("policy");
    let d = until(
        &roster,
        &feed,
        &policy,
        Duration::from_secs(5),
        |d| assert!(d.findings.is_empty(), "{d:?}"),
        |d| {
            d.unavailable.iter().any(|u| {
                u.conversation_id.is_none()
                    && u.reason
                        .contains("missing permission conversation:transcription:view")
            })
        },
    )
    .await;
    assert_eq!(d.unavailable.len(), 1, "{d:?}");
    // Only the permission check was sent: no channel for topics the platform would refuse.
    let sent = rig.requests(since);
    assert!(
        sent.iter()
            .any(|(m, p, _)| m == "GET" && p.ends_with("/users/me")),
        "{sent:?}"
    );
    assert!(
        !sent
            .iter()
            .any(|(m, p, _)| m == "POST" && p.contains("/notifications/channels")),
        "{sent:?}"
    );
    feed.shutdown().await;
    roster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_transcription_messages_are_skipped_and_the_feed_goes_on() {
    let rig = Rig::start_with(emulator(ScenarioName::SilentParty)).await;
    let token = rig.token(SUPERVISOR_EMAIL).await;
    let roster = rig.roster(rig.client(&token), rig.all_queues());
    assert!(roster.wait_until_trusted(Duration::from_secs(10)).await);
    rig.fault(&FaultSpec::MalformedTranscription { count: Some(5) })
        .await;
    let feed = TranscriptFeed::start(&rig.client(&token), &roster, feed_config());
    let policy = Policy::parse(SILENT).expect("policy");
    let (billing, _) = call_on(&rig, &roster, "Billing");
    until(
        &roster,
        &feed,
        &policy,
        Duration::from_secs(10),
        |_| {},
        |d| feed.stats().malformed >= 5 && d.findings.iter().any(|f| f.conversation_id == billing),
    )
    .await;
    let stats = feed.stats();
    assert_eq!(stats.malformed, 5, "{stats:?}");
    assert!(
        stats.messages > 0,
        "good messages after the bad ones: {stats:?}"
    );
    feed.shutdown().await;
    roster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_continuous_dry_run_decides_on_the_silent_customer_and_sends_nothing() {
    let rig = Rig::start_with(emulator(ScenarioName::SilentParty)).await;
    let (roster, client) = rig.supervisor_roster().await;
    let feed = TranscriptFeed::start(&client, &roster, feed_config());
    let (billing, customer) = call_on(&rig, &roster, "Billing");
    let actions = rig.actions(&client, &roster, "policy.jsonl").await;
    let me = actions.actor();
    let actor = Actor {
        user_id: me.user_id.to_string(),
        name: me.name.clone(),
    };
    let policy = Policy::parse(SILENT).expect("policy");
    let engine = Engine::new(
        policy,
        Mode::DryRun,
        actions,
        rig.audit_log("policy.jsonl"),
        actor,
    );
    // The runner reads the feed's shared cell, as `policy run` without --once wires it.
    let mut runner = PolicyRunner::new(engine, roster.clone(), Directory::new(), feed.shared());
    let since = rig.request_seq();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let task = tokio::spawn(async move {
        runner
            .run(stopped, None, |pass| {
                log.lock()
                    .expect("log")
                    .extend(pass.decisions.iter().cloned())
            })
            .await
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if seen
            .lock()
            .expect("log")
            .iter()
            .any(|d| d.conversation_id == billing)
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no decision on the silent call: {:?}, {:?}",
            seen.lock().expect("log"),
            feed.stats()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(true).expect("stop");
    task.await
        .expect("runner task")
        .expect("runner ends cleanly");
    let decisions = seen.lock().expect("log").clone();
    for d in &decisions {
        assert_eq!(d.conversation_id, billing, "only the silent call: {d:?}");
        assert_eq!(d.participant_id.as_str(), customer, "{d:?}");
        assert_eq!(d.rule, "quiet");
        assert_ne!(
            d.action,
            DecisionAction::Dropped,
            "a dry run drops nothing: {d:?}"
        );
    }
    assert!(
        rig.participant_patches(since).is_empty(),
        "a dry run sends no disconnect"
    );
    feed.shutdown().await;
    roster.shutdown().await;
}
