//! The live roster: a task that feeds notification events and REST snapshots into the model, and a
//! cheap handle the UI, the CLI and the actions read from.

use std::collections::BTreeSet;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use chrono::Utc;
use genesys_client::{Client, ErrorKind};
use genesys_model::{ConversationId, QueueId};
use genesys_notify::{
    ClientProvisioner, NotifyConfig, NotifyError, NotifyEvent, NotifyHandle, TungsteniteTransport,
};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::change::{ConnectionState, RejectedQueue, RosterChange, RosterSnapshot, RosterStatus};
use super::model::RosterModel;
use super::record::ConversationRecord;
use super::snapshot::{self, ReadResult, Snapshot, SnapshotRead};

/// Tunables of the live roster.
#[derive(Clone, Debug)]
pub struct RosterConfig {
    /// Conversation reads in flight at once during a snapshot (the API is rate limited per user).
    pub snapshot_concurrency: usize,
    /// Which REST read gives a conversation's parties.
    pub read: SnapshotRead,
    /// Also discover conversations with the conversation detail query (finds calls left without an
    /// agent, which queue observations do not list). Best effort.
    pub discover_with_details_query: bool,
    /// How many changes a slow consumer may lag behind before it must take a fresh snapshot.
    pub change_capacity: usize,
    /// How long an ended conversation is remembered so late events cannot bring it back.
    pub tombstone_ttl: Duration,
}

impl Default for RosterConfig {
    fn default() -> Self {
        Self {
            snapshot_concurrency: 8,
            read: SnapshotRead::Conversation,
            discover_with_details_query: true,
            change_capacity: 16_384,
            tombstone_ttl: Duration::from_secs(30 * 60),
        }
    }
}

/// Why a roster request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RosterError {
    /// The roster task has stopped (shut down, or its notification client closed).
    #[error("the roster has stopped")]
    Closed,
    /// The platform does not know this conversation (404 on a re-read).
    #[error("conversation {0} was not found")]
    ConversationNotFound(ConversationId),
    /// A REST call failed.
    #[error(transparent)]
    Api(#[from] genesys_client::Error),
    /// The notification client refused a queue change.
    #[error(transparent)]
    Notify(#[from] NotifyError),
}

impl RosterError {
    /// True when the session behind the request is over (sign in again).
    pub fn is_session_expired(&self) -> bool {
        match self {
            Self::Api(e) => matches!(e.kind(), ErrorKind::Unauthorized),
            Self::Notify(e) => matches!(e, NotifyError::SessionExpired),
            _ => false,
        }
    }
}

pub(crate) struct Shared {
    model: RwLock<RosterModel>,
    client: Client,
    config: RosterConfig,
}

impl Shared {
    fn read(&self) -> RwLockReadGuard<'_, RosterModel> {
        self.model.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, RosterModel> {
        self.model.write().unwrap_or_else(PoisonError::into_inner)
    }
}

enum Command {
    Refresh,
    Shutdown(oneshot::Sender<()>),
}

/// The live conference roster of a set of queues; cheap to clone, every clone sees the same board.
#[derive(Clone)]
pub struct Roster {
    shared: Arc<Shared>,
    commands: mpsc::Sender<Command>,
    notify: NotifyHandle,
}

impl std::fmt::Debug for Roster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Roster")
            .field("model", &*self.shared.read())
            .finish_non_exhaustive()
    }
}

impl Roster {
    /// Starts the roster over an already spawned notification client (tests use scripted ones).
    ///
    /// Nothing is read until the client reports its first `Resync` (socket open and subscribed), so
    /// no event between the snapshot and the subscription can be missed. Must run inside tokio.
    pub fn start(
        client: Client,
        notify: NotifyHandle,
        events: mpsc::Receiver<NotifyEvent>,
        queues: impl IntoIterator<Item = QueueId>,
        config: RosterConfig,
    ) -> Self {
        let mut model = RosterModel::new(queues, config.change_capacity);
        model.set_tombstone_ttl(config.tombstone_ttl);
        let shared = Arc::new(Shared {
            model: RwLock::new(model),
            client,
            config,
        });
        let (commands_tx, commands_rx) = mpsc::channel(16);
        let driver = Driver {
            shared: Arc::clone(&shared),
            events,
            commands: commands_rx,
            notify: notify.clone(),
            pending: None,
            wanted: BTreeSet::new(),
            retry: None,
        };
        tokio::spawn(driver.run());
        Self {
            shared,
            commands: commands_tx,
            notify,
        }
    }

    /// Starts the notification client (channels through the same REST client) and the roster.
    pub fn connect(
        client: Client,
        queues: impl IntoIterator<Item = QueueId>,
        notify_config: NotifyConfig,
        config: RosterConfig,
    ) -> Self {
        let queues: Vec<QueueId> = queues.into_iter().collect();
        let (notify, events) = genesys_notify::spawn(
            notify_config,
            queues.clone(),
            ClientProvisioner::new(client.clone()),
            TungsteniteTransport::new(),
        );
        Self::start(client, notify, events, queues, config)
    }

    /// The board now: records are shared, so this costs one pointer copy per conversation.
    pub fn snapshot(&self) -> RosterSnapshot {
        self.shared.read().snapshot()
    }

    /// A snapshot and a change receiver taken atomically: apply changes with `seq > snapshot.seq`.
    pub fn subscribe(&self) -> (RosterSnapshot, broadcast::Receiver<RosterChange>) {
        let model = self.shared.read();
        (model.snapshot(), model.subscribe())
    }

    /// Changes from now on (a receiver that lags gets `Lagged` and should take a snapshot).
    pub fn changes(&self) -> broadcast::Receiver<RosterChange> {
        self.shared.read().subscribe()
    }

    /// One conversation's current record, if it is on the board.
    pub fn conversation(&self, id: &ConversationId) -> Option<Arc<ConversationRecord>> {
        self.shared.read().conversation(id)
    }

    /// Connection and trust.
    pub fn status(&self) -> RosterStatus {
        self.shared.read().status().clone()
    }

    /// The watched queues.
    pub fn queues(&self) -> Vec<QueueId> {
        self.shared.read().queues()
    }

    /// The REST client the roster reads with (shared with the actions).
    pub fn client(&self) -> &Client {
        &self.shared.client
    }

    /// Watches exactly these queues: conversations on none of them leave at once, added queues are
    /// snapshotted after their topics are subscribed.
    pub async fn set_queues(
        &self,
        queues: impl IntoIterator<Item = QueueId>,
    ) -> Result<(), RosterError> {
        let queues: BTreeSet<QueueId> = queues.into_iter().collect();
        let previous: BTreeSet<QueueId> = self.shared.read().queues().into_iter().collect();
        self.shared.write().set_queues(queues.clone());
        if let Err(e) = self.notify.set_queues(queues).await {
            // Keep the board consistent with what is actually subscribed.
            self.shared.write().set_queues(previous);
            return Err(e.into());
        }
        Ok(())
    }

    /// Re-reads every watched queue now (a "refresh" button; reconnects do this by themselves).
    pub async fn refresh(&self) -> Result<(), RosterError> {
        self.commands
            .send(Command::Refresh)
            .await
            .map_err(|_| RosterError::Closed)
    }

    /// Reads one conversation over REST now and merges it into the board; returns the merged
    /// record (its `ended` flag says whether the call is over). Used to confirm a late change.
    pub async fn reread(
        &self,
        id: &ConversationId,
    ) -> Result<Arc<ConversationRecord>, RosterError> {
        let known = self
            .conversation(id)
            .map(|r| r.queues.clone())
            .unwrap_or_default();
        match snapshot::read_one(&self.shared.client, self.shared.config.read, id, known).await {
            ReadResult::Found(observation, at) => {
                Ok(self.shared.write().apply(*observation, at).record)
            }
            ReadResult::NotFound => {
                self.shared.write().forget(id);
                Err(RosterError::ConversationNotFound(id.clone()))
            }
            ReadResult::Failed(e) => Err(e.into()),
        }
    }

    /// Waits until the board is trusted (live and snapshotted), up to `within`; true if it is.
    pub async fn wait_until_trusted(&self, within: Duration) -> bool {
        let mut changes = self.changes();
        let deadline = Instant::now() + within;
        loop {
            if self.status().trusted {
                return true;
            }
            match tokio::time::timeout_at(deadline, changes.recv()).await {
                Err(_) => return self.status().trusted,
                Ok(Err(broadcast::error::RecvError::Closed)) => return self.status().trusted,
                Ok(_) => {}
            }
        }
    }

    /// Stops the notification client and the roster task; the last board stays readable.
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Shutdown(tx)).await.is_ok() {
            let _ = rx.await;
        } else {
            self.notify.shutdown().await;
        }
    }
}

struct Pending {
    queues: BTreeSet<QueueId>,
    task: JoinHandle<Result<Snapshot, genesys_client::Error>>,
}

struct Driver {
    shared: Arc<Shared>,
    events: mpsc::Receiver<NotifyEvent>,
    commands: mpsc::Receiver<Command>,
    notify: NotifyHandle,
    pending: Option<Pending>,
    /// Queues whose snapshot failed and waits for a retry.
    wanted: BTreeSet<QueueId>,
    retry: Option<(Instant, u32)>,
}

fn is_session_error(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::Unauthorized | ErrorKind::NotSignedIn)
}

impl Driver {
    async fn run(mut self) {
        loop {
            let retry_at = self.retry.map(|(at, _)| at);
            tokio::select! {
                biased;
                command = self.commands.recv() => match command {
                    Some(Command::Refresh) => {
                        let all: BTreeSet<QueueId> = self.shared.read().queues().into_iter().collect();
                        self.start_snapshot(all);
                    }
                    Some(Command::Shutdown(reply)) => {
                        self.stop_pending();
                        self.notify.shutdown().await;
                        self.drain_events();
                        let _ = reply.send(());
                        break;
                    }
                    None => {
                        // Every handle is gone: nobody can read the board any more.
                        self.stop_pending();
                        self.notify.shutdown().await;
                        break;
                    }
                },
                joined = async {
                    match self.pending.as_mut() {
                        Some(p) => (&mut p.task).await,
                        None => std::future::pending().await,
                    }
                } => {
                    let queues = self.pending.take().map(|p| p.queues).unwrap_or_default();
                    match joined {
                        Ok(result) => self.finish_snapshot(queues, result),
                        Err(e) if e.is_cancelled() => {}
                        Err(e) => {
                            tracing::error!(error = %e, "roster snapshot task failed");
                            self.schedule_retry(queues, e.to_string());
                        }
                    }
                }
                () = async {
                    match retry_at {
                        Some(at) => tokio::time::sleep_until(at).await,
                        None => std::future::pending().await,
                    }
                }, if self.pending.is_none() => {
                    let wanted = std::mem::take(&mut self.wanted);
                    self.start_snapshot(wanted);
                }
                event = self.events.recv() => match event {
                    Some(event) => self.on_event(event),
                    None => {
                        self.stop_pending();
                        self.shared.write().update_status(|s| {
                            if !matches!(s.connection, ConnectionState::Closed { .. }) {
                                s.connection = ConnectionState::Closed {
                                    code: "Shutdown".into(),
                                    message: "the notification client stopped".into(),
                                };
                            }
                            s.resyncing = false;
                        });
                        break;
                    }
                },
            }
        }
    }

    fn drain_events(&mut self) {
        while let Ok(event) = self.events.try_recv() {
            if let NotifyEvent::Status(status) = event {
                self.shared
                    .write()
                    .update_status(|s| s.connection = ConnectionState::from_status(&status));
            }
        }
    }

    fn on_event(&mut self, event: NotifyEvent) {
        match event {
            NotifyEvent::Conversation(event) => {
                let mut model = self.shared.write();
                model.apply_event(event);
            }
            NotifyEvent::Status(status) => {
                tracing::info!(%status, "notification connection");
                self.shared
                    .write()
                    .update_status(|s| s.connection = ConnectionState::from_status(&status));
            }
            NotifyEvent::Resync(resync) => {
                tracing::info!(reason = ?resync.reason, queues = resync.queues.len(), "roster resync");
                self.start_snapshot(resync.queues.into_iter().collect());
            }
            NotifyEvent::Malformed(bad) => {
                tracing::warn!(topic = ?bad.topic, error = %bad.error, "skipped a malformed notification");
                self.shared
                    .write()
                    .update_status(|s| s.malformed_events += 1);
            }
            NotifyEvent::SubscriptionRejected(rejected) => {
                tracing::warn!(topic = %rejected.topic, reason = %rejected.reason, "queue topic rejected");
                self.shared.write().update_status(|s| {
                    if !s
                        .rejected_queues
                        .iter()
                        .any(|r| r.queue_id == rejected.queue_id)
                    {
                        s.rejected_queues.push(RejectedQueue {
                            queue_id: rejected.queue_id,
                            reason: rejected.reason,
                        });
                    }
                });
            }
        }
    }

    fn stop_pending(&mut self) {
        if let Some(p) = self.pending.take() {
            p.task.abort();
        }
    }

    /// Starts (or widens and restarts) a snapshot of `queues`.
    fn start_snapshot(&mut self, mut queues: BTreeSet<QueueId>) {
        if let Some(p) = self.pending.take() {
            p.task.abort();
            queues.extend(p.queues);
        }
        queues.extend(std::mem::take(&mut self.wanted));
        let known = {
            let mut model = self.shared.write();
            let watched: BTreeSet<QueueId> = model.queues().into_iter().collect();
            queues.retain(|q| watched.contains(q));
            if queues.is_empty() {
                return;
            }
            model.update_status(|s| s.resyncing = true);
            model.conversations_on(&queues)
        };
        let config = &self.shared.config;
        let task = tokio::spawn(snapshot::take(
            self.shared.client.clone(),
            queues.clone(),
            known,
            config.read,
            config.snapshot_concurrency,
            config.discover_with_details_query,
        ));
        self.pending = Some(Pending { queues, task });
    }

    fn finish_snapshot(
        &mut self,
        queues: BTreeSet<QueueId>,
        result: Result<Snapshot, genesys_client::Error>,
    ) {
        match result {
            Ok(snapshot) => {
                let mut model = self.shared.write();
                let mut failed = 0usize;
                for (id, read) in snapshot.reads {
                    match read {
                        ReadResult::Found(observation, at) => {
                            model.apply(*observation, at);
                        }
                        ReadResult::NotFound => {
                            model.forget(&id);
                        }
                        ReadResult::Failed(e) => {
                            failed += 1;
                            tracing::warn!(conversation_id = %id, error = %e, "conversation read failed; keeping what the board had");
                        }
                    }
                }
                model.update_status(|s| {
                    s.resyncing = false;
                    s.last_snapshot = Some(Utc::now());
                    s.last_error =
                        (failed > 0).then(|| format!("{failed} conversation(s) could not be read"));
                });
                model.resynced(snapshot.queues.into_iter().collect());
                self.retry = None;
            }
            Err(e) if is_session_error(e.kind()) => {
                tracing::warn!(error = %e, "roster snapshot refused: session expired");
                self.retry = None;
                self.shared.write().update_status(|s| {
                    s.resyncing = false;
                    s.connection = ConnectionState::Closed {
                        code: "SessionExpired".into(),
                        message: "the session expired or was revoked; sign in again".into(),
                    };
                    s.last_error = Some(e.to_string());
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "roster snapshot failed; will retry");
                self.schedule_retry(queues, e.to_string());
            }
        }
    }

    fn schedule_retry(&mut self, queues: BTreeSet<QueueId>, error: String) {
        let attempt = self.retry.map_or(0, |(_, a)| a + 1);
        let delay = snapshot::retry_delay(attempt);
        self.wanted.extend(queues);
        self.retry = Some((Instant::now() + delay, attempt));
        self.shared.write().update_status(|s| {
            s.resyncing = true;
            s.last_error = Some(format!(
                "snapshot failed ({error}); retrying in {} ms",
                delay.as_millis()
            ));
        });
    }
}
