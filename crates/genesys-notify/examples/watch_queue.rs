//! How a roster consumes the notification client, end to end against the in-process emulator.
//!
//! `cargo run -p genesys-notify --example watch_queue`
//!
//! The pattern (see the crate docs): on `Resync` mark the queues stale and re-read them over REST, buffering
//! their events meanwhile; when the snapshot lands, replace the queue's conversations with it and replay the
//! buffer; every other event replaces one conversation by id. Midway the emulator kills the socket
//! (`close_sockets`), and at the end the roster is compared with the emulator's truth.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use genesys_client::{Client, Environment, StaticToken};
use genesys_emulator::{
    CONFIDENTIAL_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URIS, EmulatorConfig,
    SUPERVISOR_EMAIL,
};
use genesys_model::ids::{ConversationId, QueueId};
use genesys_model::{AccessToken, CallConversation, QueueObservationQuery};
use genesys_notify::{
    ClientProvisioner, NotifyConfig, NotifyEvent, TungsteniteTransport, WatchTarget, spawn,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// What the board shows of a conversation: its parties and their states.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Row {
    parties: BTreeMap<String, String>,
}

/// One queue's part of the roster.
#[derive(Default)]
struct QueueRoster {
    conversations: HashMap<ConversationId, Row>,
    /// Set from `Resync` until the snapshot lands; events are buffered meanwhile.
    stale: bool,
    buffered: Vec<(ConversationId, Row)>,
    /// Bumped by every `Resync`, so a snapshot started before a newer `Resync` is ignored when it lands late.
    generation: u64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let config = EmulatorConfig {
        listen: "127.0.0.1:0".parse()?,
        churn_per_minute: 120.0,
        ..EmulatorConfig::default()
    };
    let emulator = genesys_emulator::start(config).await?;
    let base = emulator.base_url();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let token = sign_in(&http, &base).await?;
    let queue = QueueId::new(
        emulator
            .world()
            .queue_id("Support")
            .ok_or("no Support queue")?,
    );

    // One REST client per session: the notification client provisions through it, the roster snapshots with it.
    let rest = Client::builder(Environment::custom(&base)?)
        .token_source(StaticToken::from(token))
        .build()?;
    let provisioner = ClientProvisioner::new(rest.clone());
    let config = NotifyConfig {
        stable_after: Duration::ZERO,
        ..NotifyConfig::default()
    };
    let (handle, mut events) = spawn(
        config,
        [WatchTarget::Queue(queue.clone())],
        provisioner,
        TungsteniteTransport::new(),
    );
    let (snapshots_tx, mut snapshots) =
        mpsc::channel::<(QueueId, u64, Result<Vec<CallConversation>, String>)>(8);

    let mut roster: HashMap<QueueId, QueueRoster> = HashMap::new();
    let mut applied = 0usize;
    let kill_at = tokio::time::Instant::now() + Duration::from_secs(2);
    let end_at = kill_at + Duration::from_secs(3);
    let mut killed = false;

    loop {
        tokio::select! {
            Some(event) = events.recv() => match event {
                NotifyEvent::Status(status) => println!("status: {status}"),
                NotifyEvent::Resync(resync) => {
                    println!("resync ({:?}): re-reading {:?}", resync.reason, resync.targets);
                    for q in resync.targets.into_iter().filter_map(|t| t.queue_id().cloned()) {
                        let entry = roster.entry(q.clone()).or_default();
                        entry.stale = true;
                        entry.buffered.clear();
                        entry.generation += 1;
                        let generation = entry.generation;
                        let (rest, tx) = (rest.clone(), snapshots_tx.clone());
                        tokio::spawn(async move {
                            let result = snapshot(&rest, &q).await.map_err(|e| e.to_string());
                            let _ = tx.send((q, generation, result)).await;
                        });
                    }
                }
                NotifyEvent::Conversation(ev) => {
                    applied += 1;
                    let row = Row {
                        parties: ev.conversation.participants.iter()
                            .map(|p| (p.id.to_string(), p.state.as_ref().map(|s| s.to_string()).unwrap_or_default()))
                            .collect(),
                    };
                    let Some(queue) = ev.queue_id().cloned() else { continue };
                    let entry = roster.entry(queue).or_default();
                    if entry.stale {
                        entry.buffered.push((ev.conversation.id.clone(), row));
                    } else {
                        entry.conversations.insert(ev.conversation.id.clone(), row);
                    }
                }
                NotifyEvent::Transcription(t) => println!("transcript of {}", t.conversation_id),
                NotifyEvent::Malformed(bad) => eprintln!("skipped a frame: {}", bad.error),
                NotifyEvent::SubscriptionRejected(r) => eprintln!("no live data for {:?}: {}", r.target, r.reason),
            },
            Some((q, generation, result)) = snapshots.recv() => {
                let entry = roster.entry(q.clone()).or_default();
                if generation != entry.generation {
                    continue;
                }
                match result {
                    Ok(conversations) => {
                        entry.conversations = conversations.into_iter().map(|c| {
                            let row = Row {
                                parties: c.participants.iter()
                                    .map(|p| (p.id.to_string(), p.state.as_ref().map(|s| s.to_string()).unwrap_or_default()))
                                    .collect(),
                            };
                            (c.id, row)
                        }).collect();
                        // Events that arrived during the read are newer snapshots: replay them in order.
                        for (id, row) in entry.buffered.drain(..) {
                            entry.conversations.insert(id, row);
                        }
                        entry.stale = false;
                        println!("snapshot of {q}: {} conversations", entry.conversations.len());
                    }
                    Err(e) => eprintln!("snapshot of {q} failed ({e}); it stays stale"),
                }
            },
            () = tokio::time::sleep_until(kill_at), if !killed => {
                killed = true;
                println!("emulator: close_sockets");
                http.post(format!("{base}/_emulator/faults")).json(&json!({"kind": "close_sockets"})).send().await?;
            },
            () = tokio::time::sleep_until(end_at) => break,
        }
    }

    // Compare the live conversations of the queue with the emulator's truth.
    let ours: HashSet<String> = roster
        .get(&queue)
        .map(|r| {
            r.conversations
                .iter()
                .filter(|(_, row)| row.parties.values().any(|s| s == "connected"))
                .map(|(id, _)| id.to_string())
                .collect()
        })
        .unwrap_or_default();
    let truth: HashSet<String> = emulator
        .world()
        .conversations()
        .into_iter()
        .filter(|c| {
            c.get("endTime").is_none()
                && c.get("queueId").and_then(Value::as_str) == Some(queue.as_str())
        })
        .filter_map(|c| c.get("id").and_then(Value::as_str).map(str::to_owned))
        .collect();
    println!(
        "{applied} events applied; live on Support: roster {} / truth {}",
        ours.len(),
        truth.len()
    );
    handle.shutdown().await;
    if ours != truth {
        return Err(format!(
            "roster differs from truth: {:?}",
            ours.symmetric_difference(&truth)
        )
        .into());
    }
    println!("roster equals the emulator's truth");
    Ok(())
}

/// The REST snapshot of one queue: live conversation ids from queue observations, then each conversation.
async fn snapshot(rest: &Client, queue: &QueueId) -> Result<Vec<CallConversation>, Error> {
    let query = QueueObservationQuery::active_voice_conversations(std::slice::from_ref(queue));
    let observations = rest.queue_observations(&query).await?;
    let mut out = Vec::new();
    for id in observations.conversation_ids() {
        out.push(rest.call_conversation(id).await?);
    }
    Ok(out)
}

/// The confidential code flow as the demo supervisor (the emulator approves `login_hint` at once).
async fn sign_in(http: &reqwest::Client, base: &str) -> Result<AccessToken, Error> {
    let redirect = DEMO_REDIRECT_URIS[0];
    let authorize = http
        .get(format!("{base}/oauth/authorize"))
        .query(&[
            ("client_id", CONFIDENTIAL_CLIENT_ID),
            ("response_type", "code"),
            ("redirect_uri", redirect),
            ("state", "example"),
            ("login_hint", SUPERVISOR_EMAIL),
        ])
        .send()
        .await?;
    let location = authorize
        .headers()
        .get("location")
        .ok_or("no redirect")?
        .to_str()?;
    let url = reqwest::Url::parse(location)?;
    let code = url
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .ok_or("no code")?;
    let token: Value = http
        .post(format!("{base}/oauth/token"))
        .basic_auth(CONFIDENTIAL_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect),
        ])
        .send()
        .await?
        .json()
        .await?;
    Ok(AccessToken::new(
        token["access_token"].as_str().ok_or("no access_token")?,
    ))
}
