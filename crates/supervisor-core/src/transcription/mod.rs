//! The transcription feed: follows `v2.conversations.{id}.transcription` for the live calls on a
//! roster's board and keeps what the `silent` rule needs ([`crate::policy::Transcription`]), for
//! the desktop panel and the CLI alike.
//!
//! - Its own notification client (its own channels, next to the board's): topics are added as
//!   calls appear and removed as they end, in batches every [`FeedConfig::resubscribe_every`] so a
//!   busy board costs a few subscription requests a minute, not one per call. At most
//!   [`FeedTimings::max_calls`] calls are followed (1,000 topics per channel); calls beyond it are
//!   reported unavailable with that reason.
//! - Access: the permission `conversation:transcription:view` is checked first (no topic is
//!   subscribed without it) and a refused subscription says the same; an org where no call's topic
//!   says anything for a heartbeat interval is reported as not licensed (or not switched on); a
//!   channel that is down makes every call unknown, and a resubscription forgets what was known,
//!   because nothing is replayed (docs/genesys-api.md, "Idle and silent legs" and "Notifications").
//! - Decoding: unknown channel and status values are kept; a frame that cannot be decoded is
//!   logged, counted and skipped.
//!
//! [`book`] holds the bookkeeping (pure, unit-tested); this file the task around it.

mod book;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::Utc;
use genesys_client::{Client, Priority};
use genesys_model::ConversationId;
use genesys_notify::{
    ClientProvisioner, NotifyConfig, NotifyError, NotifyEvent, TungsteniteTransport, WatchTarget,
};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use book::{FeedStats, FeedTimings, PERMISSION};

use crate::permissions::{self, PermissionReport};
use crate::policy::Transcription;
use crate::roster::{ChangeKind, Roster, RosterSnapshot};
use book::Book;

/// How the feed runs: its notification client, the platform's timings and its pace.
#[derive(Clone, Debug)]
pub struct FeedConfig {
    /// The feed's own notification client (its channels hold only transcription topics).
    pub notify: NotifyConfig,
    /// Delivery delay, heartbeat interval and the cap on calls followed.
    pub timings: FeedTimings,
    /// How often the wanted topics are compared with the subscribed ones (one request per
    /// touched channel when they differ).
    pub resubscribe_every: Duration,
    /// How often the state in [`TranscriptFeed::shared`] is refreshed (a copy per refresh, not per
    /// message, so a busy board costs the same).
    pub publish_every: Duration,
}

impl Default for FeedConfig {
    fn default() -> Self {
        Self {
            notify: NotifyConfig::default(),
            timings: FeedTimings::default(),
            resubscribe_every: Duration::from_secs(2),
            publish_every: Duration::from_millis(500),
        }
    }
}

/// A running feed; dropping it stops it (and its channel).
#[derive(Debug)]
pub struct TranscriptFeed {
    book: Arc<Mutex<Book>>,
    shared: Arc<Mutex<Transcription>>,
    stop: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

fn lock(book: &Mutex<Book>) -> std::sync::MutexGuard<'_, Book> {
    book.lock().unwrap_or_else(PoisonError::into_inner)
}

impl TranscriptFeed {
    /// Starts following the live calls of `roster`'s board over `client` (the session's REST
    /// client; channels use its background priority). Must run inside tokio.
    pub fn start(client: &Client, roster: &Roster, config: FeedConfig) -> Self {
        let mut config = config;
        config.timings.max_calls = config
            .timings
            .max_calls
            .clamp(1, config.notify.max_topics());
        let book = Book::new(config.timings.clone());
        let shared = Arc::new(Mutex::new(book.snapshot(Utc::now())));
        let book = Arc::new(Mutex::new(book));
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(
            client.with_priority(Priority::Background),
            roster.clone(),
            config,
            Shared {
                book: Arc::clone(&book),
                published: Arc::clone(&shared),
            },
            stopped,
        ));
        Self {
            book,
            shared,
            stop,
            task: Mutex::new(Some(task)),
        }
    }

    /// What the `silent` rule reads now.
    pub fn transcription(&self) -> Transcription {
        lock(&self.book).snapshot(Utc::now())
    }

    /// The same state kept in a shared cell, refreshed every [`FeedConfig::publish_every`], for a
    /// reader that holds it (the policy runner).
    pub fn shared(&self) -> Arc<Mutex<Transcription>> {
        Arc::clone(&self.shared)
    }

    /// The counters (calls followed, messages, malformed frames skipped).
    pub fn stats(&self) -> FeedStats {
        lock(&self.book).stats()
    }

    /// Stops the feed and closes its channel; returns once it has.
    pub async fn shutdown(&self) {
        let _ = self.stop.send(true);
        let task = self
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

impl Drop for TranscriptFeed {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            // Dropping the task's event receiver also stops its notification client.
            task.abort();
        }
    }
}

fn live_calls(snapshot: &RosterSnapshot) -> BTreeSet<ConversationId> {
    snapshot
        .conversations
        .iter()
        .filter(|r| !r.ended)
        .map(|r| r.id.clone())
        .collect()
}

fn targets(calls: &BTreeSet<ConversationId>) -> Vec<WatchTarget> {
    calls
        .iter()
        .cloned()
        .map(WatchTarget::Transcription)
        .collect()
}

/// The feed's state and the copy it publishes.
struct Shared {
    book: Arc<Mutex<Book>>,
    published: Arc<Mutex<Transcription>>,
}

impl Shared {
    fn publish(&self) {
        let snapshot = lock(&self.book).snapshot(Utc::now());
        *self
            .published
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = snapshot;
    }
}

async fn run(
    client: Client,
    roster: Roster,
    config: FeedConfig,
    shared: Shared,
    mut stop: watch::Receiver<bool>,
) {
    let book = &shared.book;
    // No topic without the permission: the platform would refuse every one of them.
    match permissions::check(&client).await {
        Ok(PermissionReport::Checked { missing })
            if missing.iter().any(|f| f.permission == PERMISSION) =>
        {
            tracing::info!("no {PERMISSION}: silence rules are unavailable");
            lock(book).set_permission_missing();
            shared.publish();
            return;
        }
        Ok(_) => {}
        Err(error) => {
            tracing::warn!(%error, "the permission check failed; the subscription will tell");
        }
    }
    let (snapshot, mut changes) = roster.subscribe();
    let mut applied = {
        let mut b = lock(book);
        b.set_board(live_calls(&snapshot));
        b.desired().clone()
    };
    let (notify, mut events) = genesys_notify::spawn(
        config.notify.clone(),
        targets(&applied),
        ClientProvisioner::new(client),
        TungsteniteTransport::new(),
    );
    let mut tick = tokio::time::interval(config.resubscribe_every.max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut publish = tokio::time::interval(config.publish_every.max(Duration::from_millis(10)));
    publish.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            change = changes.recv() => match change {
                Ok(change) => {
                    let mut b = lock(book);
                    match &change.kind {
                        ChangeKind::Upserted { conversation } if conversation.ended => {
                            b.remove_call(&conversation.id);
                        }
                        ChangeKind::Upserted { conversation } => b.add_call(&conversation.id),
                        ChangeKind::Removed { id, .. } => b.remove_call(id),
                        ChangeKind::Resynced { .. } | ChangeKind::Status { .. } => {}
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "the feed fell behind the board; it reads the board again");
                    lock(book).set_board(live_calls(&roster.snapshot()));
                }
                Err(RecvError::Closed) => break,
            },
            event = events.recv() => match event {
                Some(event) => on_event(book, event),
                None => break,
            },
            _ = publish.tick() => shared.publish(),
            _ = tick.tick() => {
                let desired = lock(book).desired().clone();
                if desired != applied {
                    match notify.set_targets(targets(&desired)).await {
                        Ok(()) => applied = desired,
                        Err(NotifyError::Closed) => break,
                        Err(error) => tracing::warn!(%error, "transcription topics not changed; trying again"),
                    }
                }
            }
        }
    }
    notify.shutdown().await;
}

fn on_event(book: &Mutex<Book>, event: NotifyEvent) {
    let now = Utc::now();
    let mut b = lock(book);
    match event {
        NotifyEvent::Status(status) => {
            tracing::debug!(%status, "transcription channel");
            b.on_status(&status);
        }
        NotifyEvent::Resync(resync) => {
            let calls: Vec<ConversationId> = resync
                .targets
                .iter()
                .filter_map(WatchTarget::transcription_of)
                .cloned()
                .collect();
            b.on_subscribed(&calls, now);
        }
        NotifyEvent::Transcription(t) => b.on_message(&t.conversation_id, &t.message, now),
        NotifyEvent::Malformed(bad) => {
            tracing::warn!(topic = ?bad.topic, error = %bad.error, "skipped a malformed transcription message");
            b.on_malformed();
        }
        NotifyEvent::SubscriptionRejected(rejected) => {
            tracing::warn!(topic = %rejected.topic, reason = %rejected.reason, "transcription topic refused");
            let call = rejected
                .target
                .as_ref()
                .and_then(WatchTarget::transcription_of);
            b.on_rejected(call, &rejected.reason);
        }
        // Only transcription topics are subscribed here.
        NotifyEvent::Conversation(_) => {}
    }
}
