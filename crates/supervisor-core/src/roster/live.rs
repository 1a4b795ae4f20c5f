//! The live roster: a task that feeds notification events, paged sweeps and paced reads into the
//! model, and a cheap handle the UI, the CLI and the actions read from.
//!
//! Its requests, cheapest first (all background, paced by the session's request budget):
//! 1. a **sweep** (a few pages) `analytics_lag` after each socket goes live, so analytics has caught
//!    up with everything that happened before events started flowing;
//! 2. **reads** of calls the sweep found but could not map (`GET /api/v2/conversations/{id}`), until
//!    none is missing: only then is the board complete;
//! 3. **fill-in reads** at idle priority of records that rest on analytics data, so the board
//!    converges to full detail without ever crowding out the first two or a person's action.
//!
//! The roster follows the session it reads for ([`Roster::follow_session`]): when the session
//! ends the board closes as session-expired at once, and when the roster is the first to learn of
//! the end (the platform's `token_revoked` on the channel, a 401 on a read) it tells the session,
//! which publishes it to everyone else.
//!
//! Over 600 lines on purpose: the task's state machine (connect, sweep, follow the session, resync)
//! reads as one loop, and splitting its arms across files would hide which state each one runs in.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use chrono::Utc;
use genesys_client::{Client, ErrorKind, Priority};
use genesys_model::{ConversationId, QueueId, UserId};
use genesys_notify::{
    ClientProvisioner, NotifyConfig, NotifyError, NotifyEvent, NotifyHandle, ResyncReason,
    TungsteniteTransport, WatchTarget,
};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::auth::{Session, SessionStatus};

use super::change::{ConnectionState, RejectedQueue, RosterChange, RosterSnapshot, RosterStatus};
use super::model::{RosterModel, Watch};
use super::record::ConversationRecord;
use super::snapshot::{self, ReadResult, SnapshotRead, Sweep, SweepOptions};

/// Tunables of the live roster.
#[derive(Clone, Debug)]
pub struct RosterConfig {
    /// Reads of missing calls in flight at once (each still waits for room in the budget).
    pub snapshot_concurrency: usize,
    /// Which REST read gives a conversation's parties.
    pub read: SnapshotRead,
    /// Sweep with the conversation details query (pages instead of one read per call). Turned off
    /// for the session when the platform answers 403 (the board then reads call by call).
    pub discover_with_details_query: bool,
    /// How many changes a slow consumer may lag behind before it must take a fresh snapshot.
    pub change_capacity: usize,
    /// How long an ended conversation is remembered so late events cannot bring it back.
    pub tombstone_ttl: Duration,
    /// How far analytics lags the platform: sweeps start this long after a socket goes live.
    pub analytics_lag: Duration,
    /// Read analytics-only records in full at idle priority until every field is known.
    pub fill_in: bool,
    /// Fill-in reads in flight at once.
    pub fill_in_concurrency: usize,
    /// How often people seen on the watched queues are added to the watch (when asked for).
    pub queue_people_every: Duration,
}

impl Default for RosterConfig {
    fn default() -> Self {
        Self {
            snapshot_concurrency: 4,
            read: SnapshotRead::Conversation,
            discover_with_details_query: true,
            change_capacity: 16_384,
            tombstone_ttl: Duration::from_secs(30 * 60),
            analytics_lag: Duration::from_secs(3),
            fill_in: true,
            fill_in_concurrency: 2,
            queue_people_every: Duration::from_secs(30),
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

/// What the supervisor asked to watch (people seen on the queues are added by the roster).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WatchRequest {
    /// Queues and explicitly chosen people.
    pub watch: Watch,
    /// Also watch everyone seen taking calls on the watched queues.
    pub queue_people: bool,
}

pub(crate) struct Shared {
    model: RwLock<RosterModel>,
    /// Interactive: actions and their confirming reads.
    client: Client,
    /// Sweeps, missing-call reads and channels.
    background: Client,
    /// Detail fill-in.
    idle: Client,
    config: RosterConfig,
    request: Mutex<WatchRequest>,
    /// The session followed, told when the roster learns first that it is over.
    session: std::sync::OnceLock<Session>,
}

impl Shared {
    fn read(&self) -> RwLockReadGuard<'_, RosterModel> {
        self.model.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, RosterModel> {
        self.model.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn request(&self) -> WatchRequest {
        self.request
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

enum Command {
    Refresh,
    Follow(watch::Receiver<SessionStatus>),
    Shutdown(oneshot::Sender<()>),
}

/// The live conference roster of a set of queues and people; cheap to clone, every clone sees the
/// same board.
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

fn targets_of(watch: &Watch) -> Vec<WatchTarget> {
    watch
        .queues
        .iter()
        .cloned()
        .map(WatchTarget::Queue)
        .chain(watch.users.iter().cloned().map(WatchTarget::User))
        .collect()
}

impl Roster {
    /// Starts the roster over an already spawned notification client (tests use scripted ones).
    ///
    /// Nothing is read until the client reports its first `Resync` (socket open and subscribed), so
    /// no event between the sweep and the subscription can be missed. Must run inside tokio.
    pub fn start(
        client: Client,
        notify: NotifyHandle,
        events: mpsc::Receiver<NotifyEvent>,
        queues: impl IntoIterator<Item = QueueId>,
        config: RosterConfig,
    ) -> Self {
        let request = WatchRequest {
            watch: Watch::queues(queues),
            queue_people: false,
        };
        Self::start_watching(client, notify, events, request, config)
    }

    /// Starts the roster over queues and people.
    pub fn start_watching(
        client: Client,
        notify: NotifyHandle,
        events: mpsc::Receiver<NotifyEvent>,
        request: WatchRequest,
        config: RosterConfig,
    ) -> Self {
        let mut model = RosterModel::watching(request.watch.clone(), config.change_capacity);
        model.set_tombstone_ttl(config.tombstone_ttl);
        let client = client.with_priority(Priority::Interactive);
        let shared = Arc::new(Shared {
            model: RwLock::new(model),
            background: client.with_priority(Priority::Background),
            idle: client.with_priority(Priority::Idle),
            client,
            config,
            request: Mutex::new(request),
            session: std::sync::OnceLock::new(),
        });
        let (commands_tx, commands_rx) = mpsc::channel(16);
        let driver = Driver::new(Arc::clone(&shared), events, commands_rx, notify.clone());
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
        let request = WatchRequest {
            watch: Watch::queues(queues),
            queue_people: false,
        };
        Self::connect_watching(client, request, notify_config, config)
    }

    /// Starts the notification client and the roster over queues and people.
    pub fn connect_watching(
        client: Client,
        request: WatchRequest,
        notify_config: NotifyConfig,
        config: RosterConfig,
    ) -> Self {
        let (notify, events) = genesys_notify::spawn(
            notify_config,
            targets_of(&request.watch),
            ClientProvisioner::new(client.with_priority(Priority::Background)),
            TungsteniteTransport::new(),
        );
        Self::start_watching(client, notify, events, request, config)
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

    /// Connection, trust and completeness.
    pub fn status(&self) -> RosterStatus {
        self.shared.read().status().clone()
    }

    /// The watched queues.
    pub fn queues(&self) -> Vec<QueueId> {
        self.shared.read().queues()
    }

    /// What is watched now (queues, chosen people and people seen on the queues).
    pub fn watch(&self) -> Watch {
        self.shared.read().watch().clone()
    }

    /// What the supervisor asked to watch.
    pub fn watch_request(&self) -> WatchRequest {
        self.shared.request()
    }

    /// Follows the session's lifecycle (once; later calls are ignored): its end closes the board
    /// as session-expired without any action, and a session-expired close of the channel or a
    /// refused read ends the session for every other subscriber.
    pub fn follow_session(&self, session: &Session) {
        if self.shared.session.set(session.clone()).is_ok() {
            let _ = self.commands.try_send(Command::Follow(session.subscribe()));
        }
    }

    /// Watches exactly these queues (the people watched stay): conversations on none of them
    /// leave at once, added queues are swept after their topics are subscribed.
    pub async fn set_queues(
        &self,
        queues: impl IntoIterator<Item = QueueId>,
    ) -> Result<(), RosterError> {
        let mut request = self.shared.request();
        request.watch.queues = queues.into_iter().collect();
        self.set_watch(request).await
    }

    /// Watches exactly these queues and people.
    pub async fn set_watch(&self, request: WatchRequest) -> Result<(), RosterError> {
        let previous_request = self.shared.request();
        let previous = self.shared.read().watch().clone();
        let mut effective = request.watch.clone();
        if request.queue_people {
            // Keep the people already found on queues that stay watched.
            let seen = queue_people(&self.shared.read(), &effective.queues);
            effective.users.extend(seen);
        }
        *self
            .shared
            .request
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = request;
        self.shared.write().set_watch(effective.clone());
        if let Err(e) = self.notify.set_targets(targets_of(&effective)).await {
            // Keep the board consistent with what is actually subscribed.
            self.shared.write().set_watch(previous);
            *self
                .shared
                .request
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = previous_request;
            return Err(e.into());
        }
        Ok(())
    }

    /// Sweeps everything watched now (a "refresh" button; reconnects do this by themselves).
    pub async fn refresh(&self) -> Result<(), RosterError> {
        self.commands
            .send(Command::Refresh)
            .await
            .map_err(|_| RosterError::Closed)
    }

    /// Reads one conversation over REST now (interactive priority: a person is waiting) and merges
    /// it into the board; returns the merged record (its `ended` flag says whether the call is
    /// over). Used just before an action and to confirm a late change.
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

    /// Waits until the board is trusted and complete (live, swept, nothing discovered missing), up
    /// to `within`; true if it is.
    pub async fn wait_until_trusted(&self, within: Duration) -> bool {
        let ready = |s: &RosterStatus| s.trusted && s.completeness.is_complete();
        let mut changes = self.changes();
        let deadline = Instant::now() + within;
        loop {
            if ready(&self.status()) {
                return true;
            }
            match tokio::time::timeout_at(deadline, changes.recv()).await {
                Err(_) => return ready(&self.status()),
                Ok(Err(broadcast::error::RecvError::Closed)) => return ready(&self.status()),
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

/// People on the live legs of calls on these queues (agents and other users).
fn queue_people(model: &RosterModel, queues: &BTreeSet<QueueId>) -> BTreeSet<UserId> {
    let mut users = BTreeSet::new();
    for record in model.snapshot().conversations {
        if record.on_any_queue(queues.iter()) {
            users.extend(record.parties.iter().filter_map(|p| p.user_id.clone()));
        }
    }
    users
}

struct PendingSweep {
    full: bool,
    task: JoinHandle<Result<Sweep, genesys_client::Error>>,
}

/// A sweep waiting for its start time (analytics must catch up first).
struct Planned {
    at: Instant,
    /// Everything watched (after a (re)connect), or only these added targets.
    full: bool,
    targets: Watch,
}

struct Driver {
    shared: Arc<Shared>,
    events: mpsc::Receiver<NotifyEvent>,
    commands: mpsc::Receiver<Command>,
    notify: NotifyHandle,
    pending: Option<PendingSweep>,
    planned: Option<Planned>,
    sweep_attempt: u32,
    reads: JoinSet<(ConversationId, ReadResult)>,
    reading: HashSet<ConversationId>,
    read_attempt: u32,
    reads_not_before: Option<Instant>,
    fills: JoinSet<(ConversationId, ReadResult)>,
    filling: HashSet<ConversationId>,
    fill_skip: HashMap<ConversationId, Instant>,
    details: bool,
    missing_permissions: BTreeSet<String>,
    notices: Vec<String>,
    last_people: Instant,
    /// The followed session's lifecycle, once [`Roster::follow_session`] was called.
    session: Option<watch::Receiver<SessionStatus>>,
}

fn is_session_error(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::Unauthorized | ErrorKind::NotSignedIn)
}

const TICK: Duration = Duration::from_millis(250);

impl Driver {
    fn new(
        shared: Arc<Shared>,
        events: mpsc::Receiver<NotifyEvent>,
        commands: mpsc::Receiver<Command>,
        notify: NotifyHandle,
    ) -> Self {
        let details = shared.config.discover_with_details_query;
        Self {
            shared,
            events,
            commands,
            notify,
            pending: None,
            planned: None,
            sweep_attempt: 0,
            reads: JoinSet::new(),
            reading: HashSet::new(),
            read_attempt: 0,
            reads_not_before: None,
            fills: JoinSet::new(),
            filling: HashSet::new(),
            fill_skip: HashMap::new(),
            details,
            missing_permissions: BTreeSet::new(),
            notices: Vec::new(),
            last_people: Instant::now(),
            session: None,
        }
    }

    async fn run(mut self) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let planned_at = self.planned.as_ref().map(|p| p.at);
            tokio::select! {
                biased;
                command = self.commands.recv() => {
                    if !self.on_command(command).await {
                        break;
                    }
                }
                joined = async {
                    match self.pending.as_mut() {
                        Some(p) => (&mut p.task).await,
                        None => std::future::pending().await,
                    }
                } => {
                    let full = self.pending.take().is_some_and(|p| p.full);
                    match joined {
                        Ok(result) => self.finish_sweep(full, result),
                        Err(e) if e.is_cancelled() => {}
                        Err(e) => {
                            tracing::error!(error = %e, "roster sweep task failed");
                            self.retry_sweep(full, e.to_string());
                        }
                    }
                }
                () = async {
                    match planned_at {
                        Some(at) => tokio::time::sleep_until(at).await,
                        None => std::future::pending().await,
                    }
                }, if self.pending.is_none() => self.start_sweep(),
                Some(joined) = self.reads.join_next(), if !self.reads.is_empty() => {
                    if let Ok((id, result)) = joined {
                        self.reading.remove(&id);
                        self.finish_read(id, result);
                    }
                }
                Some(joined) = self.fills.join_next(), if !self.fills.is_empty() => {
                    if let Ok((id, result)) = joined {
                        self.filling.remove(&id);
                        self.finish_fill(id, result);
                    }
                }
                changed = async {
                    match self.session.as_mut() {
                        Some(rx) => rx.changed().await,
                        None => std::future::pending().await,
                    }
                } => match changed {
                    Ok(()) => self.on_session_status().await,
                    Err(_) => self.session = None,
                },
                _ = tick.tick() => self.on_tick(),
                event = self.events.recv() => match event {
                    Some(event) => self.on_event(event),
                    None => {
                        self.stop_work();
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

    /// Handles a command; false when the task must end.
    async fn on_command(&mut self, command: Option<Command>) -> bool {
        match command {
            Some(Command::Refresh) => {
                self.plan_sweep(Instant::now(), true, Watch::default());
                true
            }
            Some(Command::Follow(rx)) => {
                self.session = Some(rx);
                self.on_session_status().await;
                true
            }
            Some(Command::Shutdown(reply)) => {
                self.stop_work();
                self.notify.shutdown().await;
                self.drain_events();
                let _ = reply.send(());
                false
            }
            None => {
                // Every handle is gone: nobody can read the board any more.
                self.stop_work();
                self.notify.shutdown().await;
                false
            }
        }
    }

    /// The followed session changed: once it is no longer active the board closes as
    /// session-expired and the notification channel stops (its token is no good any more).
    async fn on_session_status(&mut self) {
        let Some(rx) = self.session.as_mut() else {
            return;
        };
        if *rx.borrow_and_update() == SessionStatus::Active
            || self.shared.read().status().connection.is_session_expired()
        {
            return;
        }
        tracing::info!("the session ended; the board closes");
        self.session = None;
        self.stop_work();
        self.shared.write().update_status(|s| {
            s.resyncing = false;
            s.connection = ConnectionState::Closed {
                code: "SessionExpired".into(),
                message: "the session expired or was revoked; sign in again".into(),
            };
        });
        self.notify.shutdown().await;
    }

    /// The board closed as session-expired (the channel said so, or a read was refused): the
    /// followed session hears it first from here and tells its other subscribers.
    fn report_session_end(&self) {
        if self.shared.read().status().connection.is_session_expired() {
            if let Some(session) = self.shared.session.get() {
                session.end();
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
                self.report_session_end();
            }
            NotifyEvent::Resync(resync) => {
                tracing::info!(reason = ?resync.reason, targets = resync.targets.len(), "roster resync");
                let now = Instant::now();
                let at = now + self.shared.config.analytics_lag;
                if resync.reason == ResyncReason::TargetsAdded {
                    let mut added = Watch::default();
                    for t in resync.targets {
                        match t {
                            WatchTarget::Queue(q) => {
                                added.queues.insert(q);
                            }
                            WatchTarget::User(u) => {
                                added.users.insert(u);
                            }
                            // Not a board topic (the transcription feed has its own client).
                            WatchTarget::Transcription(_) => {}
                        }
                    }
                    self.plan_sweep(at, false, added);
                } else {
                    // Events are complete from this socket on; what came before is swept.
                    self.shared
                        .write()
                        .set_continuity_since(Some(now.into_std()));
                    self.plan_sweep(at, true, Watch::default());
                }
            }
            // The board subscribes no transcription topic (the feed has its own client).
            NotifyEvent::Transcription(_) => {}
            NotifyEvent::Malformed(bad) => {
                tracing::warn!(topic = ?bad.topic, error = %bad.error, "skipped a malformed notification");
                self.shared
                    .write()
                    .update_status(|s| s.malformed_events += 1);
            }
            NotifyEvent::SubscriptionRejected(rejected) => {
                tracing::warn!(topic = %rejected.topic, reason = %rejected.reason, "topic rejected");
                let queue_id = rejected.target.as_ref().and_then(|t| t.queue_id().cloned());
                let user_id = rejected.target.as_ref().and_then(|t| t.user_id().cloned());
                self.shared.write().update_status(|s| {
                    if !s
                        .rejected_queues
                        .iter()
                        .any(|r| r.queue_id == queue_id && r.user_id == user_id)
                    {
                        s.rejected_queues.push(RejectedQueue {
                            queue_id,
                            user_id,
                            reason: rejected.reason,
                        });
                    }
                });
            }
        }
    }

    fn stop_work(&mut self) {
        if let Some(p) = self.pending.take() {
            p.task.abort();
        }
        self.planned = None;
        self.reads.abort_all();
        self.fills.abort_all();
    }

    /// Plans a sweep at `at`: a full one replaces anything planned or running (a new socket makes
    /// their data incomplete); an added-targets one joins what is planned.
    fn plan_sweep(&mut self, at: Instant, full: bool, targets: Watch) {
        if full {
            if let Some(p) = self.pending.take() {
                p.task.abort();
            }
            self.planned = Some(Planned {
                at,
                full: true,
                targets: Watch::default(),
            });
            self.shared.write().update_status(|s| {
                s.resyncing = true;
                s.completeness.swept = false;
            });
            return;
        }
        match &mut self.planned {
            Some(p) if p.full => {}
            Some(p) => {
                p.targets.queues.extend(targets.queues);
                p.targets.users.extend(targets.users);
                p.at = p.at.max(at);
            }
            None => {
                self.planned = Some(Planned {
                    at,
                    full: false,
                    targets,
                })
            }
        }
    }

    fn start_sweep(&mut self) {
        let Some(planned) = self.planned.take() else {
            return;
        };
        let (watch, known) = {
            let model = self.shared.read();
            let watched = model.watch().clone();
            if planned.full {
                (watched, model.known_ids())
            } else {
                let targets = Watch {
                    queues: planned
                        .targets
                        .queues
                        .intersection(&watched.queues)
                        .cloned()
                        .collect(),
                    users: planned
                        .targets
                        .users
                        .intersection(&watched.users)
                        .cloned()
                        .collect(),
                };
                (targets, Vec::new())
            }
        };
        if watch.is_empty() {
            self.shared.write().update_status(|s| {
                s.resyncing = false;
                s.last_snapshot.get_or_insert_with(Utc::now);
                s.completeness.swept = true;
            });
            return;
        }
        let options = SweepOptions {
            details: self.details,
            lag: self.shared.config.analytics_lag,
        };
        let task = tokio::spawn(snapshot::sweep(
            self.shared.background.clone(),
            watch,
            known,
            options,
        ));
        self.pending = Some(PendingSweep {
            full: planned.full,
            task,
        });
    }

    fn finish_sweep(&mut self, full: bool, result: Result<Sweep, genesys_client::Error>) {
        match result {
            Ok(sweep) => {
                self.sweep_attempt = 0;
                if sweep
                    .missing_permissions
                    .iter()
                    .any(|p| p == snapshot::DETAILS_PERMISSION)
                {
                    self.details = false;
                }
                self.missing_permissions
                    .extend(sweep.missing_permissions.iter().cloned());
                for notice in sweep.notices {
                    if !self.notices.contains(&notice) {
                        self.notices.push(notice);
                    }
                }
                let mut model = self.shared.write();
                for (observation, at) in sweep.observations {
                    model.apply(observation, at);
                }
                for id in &sweep.ended {
                    model.ended(id);
                }
                model.mark_unread(sweep.to_read);
                let missing: Vec<String> = self.missing_permissions.iter().cloned().collect();
                let notices = self.notices.clone();
                model.update_status(|s| {
                    s.resyncing = false;
                    s.last_snapshot = Some(Utc::now());
                    s.last_error = None;
                    if full {
                        s.completeness.swept = true;
                    }
                });
                model.refresh_completeness(|c| {
                    c.missing_permissions = missing;
                    c.notices = notices;
                });
                let queues = model.queues();
                model.resynced(queues);
                drop(model);
                self.read_attempt = 0;
                self.reads_not_before = None;
                self.schedule_reads();
            }
            Err(e) if is_session_error(e.kind()) => self.session_over(e),
            Err(e) => {
                tracing::warn!(error = %e, "roster sweep failed; will retry");
                self.retry_sweep(full, e.to_string());
            }
        }
    }

    fn session_over(&mut self, e: genesys_client::Error) {
        tracing::warn!(error = %e, "roster read refused: session expired");
        self.stop_work();
        self.shared.write().update_status(|s| {
            s.resyncing = false;
            s.connection = ConnectionState::Closed {
                code: "SessionExpired".into(),
                message: "the session expired or was revoked; sign in again".into(),
            };
            s.last_error = Some(e.to_string());
        });
        self.report_session_end();
    }

    fn retry_sweep(&mut self, full: bool, error: String) {
        let delay = snapshot::retry_delay(self.sweep_attempt);
        self.sweep_attempt += 1;
        let targets = if full {
            Watch::default()
        } else {
            self.shared.read().watch().clone()
        };
        self.plan_sweep(Instant::now() + delay, true, targets);
        self.shared.write().update_status(|s| {
            s.resyncing = true;
            s.last_error = Some(format!(
                "the board could not be read ({error}); retrying in {} s",
                delay.as_secs().max(1)
            ));
        });
    }

    /// Starts reads of calls discovered but not on the board, within the concurrency limit.
    fn schedule_reads(&mut self) {
        if self.reads_not_before.is_some_and(|t| Instant::now() < t) {
            return;
        }
        let limit = self.shared.config.snapshot_concurrency.max(1);
        if self.reads.len() >= limit {
            return;
        }
        let unread = self.shared.read().unread();
        for (id, queues) in unread {
            if self.reads.len() >= limit {
                break;
            }
            if !self.reading.insert(id.clone()) {
                continue;
            }
            let client = self.shared.background.clone();
            let read = self.shared.config.read;
            self.reads.spawn(async move {
                let result = snapshot::read_one(&client, read, &id, queues).await;
                (id, result)
            });
        }
    }

    fn finish_read(&mut self, id: ConversationId, result: ReadResult) {
        match result {
            ReadResult::Found(observation, at) => {
                let mut model = self.shared.write();
                let applied = model.apply(*observation, at);
                if !applied.record.ended && model.conversation(&id).is_none() {
                    // Read fine but not on anything watched (any more): it is not missing.
                    model.forget_unread(&id);
                }
            }
            ReadResult::NotFound => {
                self.shared.write().forget(&id);
            }
            ReadResult::Failed(e) if is_session_error(e.kind()) => return self.session_over(e),
            ReadResult::Failed(e) => {
                let delay = snapshot::retry_delay(self.read_attempt);
                self.read_attempt += 1;
                self.reads_not_before = Some(Instant::now() + delay);
                tracing::warn!(conversation_id = %id, error = %e, "conversation read failed; retrying");
                let next = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
                let mut model = self.shared.write();
                model.update_status(|s| {
                    s.last_error = Some(format!("some calls could not be read yet ({e})"));
                });
                model.refresh_completeness(|c| c.next_retry = Some(next));
                return;
            }
        }
        self.read_attempt = 0;
        self.schedule_reads();
    }

    /// Reads records that rest on analytics data, when nothing more urgent is going on.
    fn schedule_fills(&mut self) {
        if !self.shared.config.fill_in
            || self.pending.is_some()
            || self.planned.is_some()
            || !self.reads.is_empty()
        {
            return;
        }
        let limit = self.shared.config.fill_in_concurrency.max(1);
        if self.fills.len() >= limit {
            return;
        }
        let now = Instant::now();
        self.fill_skip.retain(|_, until| *until > now);
        let candidates = self
            .shared
            .read()
            .partial_records(limit * 4 + self.filling.len() + self.fill_skip.len());
        for record in candidates {
            if self.fills.len() >= limit {
                break;
            }
            if self.fill_skip.contains_key(&record.id) || !self.filling.insert(record.id.clone()) {
                continue;
            }
            let client = self.shared.idle.clone();
            let read = self.shared.config.read;
            let id = record.id.clone();
            let queues = record.queues.clone();
            self.fills.spawn(async move {
                let result = snapshot::read_one(&client, read, &id, queues).await;
                (id, result)
            });
        }
    }

    fn finish_fill(&mut self, id: ConversationId, result: ReadResult) {
        match result {
            ReadResult::Found(observation, at) => {
                self.shared.write().apply(*observation, at);
            }
            ReadResult::NotFound => {
                self.shared.write().forget(&id);
            }
            ReadResult::Failed(e) if is_session_error(e.kind()) => self.session_over(e),
            ReadResult::Failed(e) => {
                tracing::debug!(conversation_id = %id, error = %e, "detail read failed");
                self.fill_skip
                    .insert(id, Instant::now() + Duration::from_secs(30));
            }
        }
        self.schedule_fills();
    }

    fn on_tick(&mut self) {
        self.schedule_reads();
        self.schedule_fills();
        self.shared.write().refresh_completeness(|_| {});
        let request = self.shared.request();
        if request.queue_people
            && self.last_people.elapsed() >= self.shared.config.queue_people_every
        {
            self.last_people = Instant::now();
            self.add_queue_people(&request);
        }
    }

    /// Adds the people seen on the watched queues to the watch (their bridges carry no queue).
    fn add_queue_people(&mut self, request: &WatchRequest) {
        let (current, seen) = {
            let model = self.shared.read();
            (
                model.watch().clone(),
                queue_people(&model, &request.watch.queues),
            )
        };
        let mut next = current.clone();
        next.users.extend(request.watch.users.iter().cloned());
        next.users.extend(seen);
        if next == current {
            return;
        }
        tracing::info!(
            people = next.users.len(),
            "watching the people on the queues' calls"
        );
        self.shared.write().set_watch(next.clone());
        let notify = self.notify.clone();
        let shared = Arc::clone(&self.shared);
        // Not awaited here: the notification task may be waiting for this task to take events.
        tokio::spawn(async move {
            if let Err(e) = notify.set_targets(targets_of(&next)).await {
                tracing::warn!(error = %e, "could not watch the queues' people");
                shared.write().refresh_completeness(|c| {
                    let notice = format!("The people on these queues could not be watched: {e}");
                    if !c.notices.contains(&notice) {
                        c.notices.push(notice);
                    }
                });
            }
        });
    }
}
