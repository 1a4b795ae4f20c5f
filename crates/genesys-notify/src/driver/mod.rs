//! The state machine task: one loop that owns every channel, socket and timer of a client.
//!
//! ```text
//! run ─┬─> connect_once (Connecting -> Subscribing) ──ok──> live (Live: Resync, then events)
//!      │        │ transient                                   │ lost / watchdog / forced
//!      │        v                                             v
//!      └── back_off (BackingOff{attempt, until}) <────────────┘   (a stable connection reconnects at once)
//!  401, token revoked, permanent refusal, shutdown, consumer gone ──> Closed{reason}
//! ```
//!
//! Inside `live`, planned moves (`v2.system.socket_closing`, channel expiry) prepare a replacement channel in a
//! background task while the old socket keeps delivering, then swap it in and emit a `Resync` for its targets.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use chrono::Utc;
use futures_util::stream::{SelectAll, SplitSink, SplitStream};
use futures_util::{SinkExt, Stream, StreamExt};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior, sleep_until, timeout};

use crate::backoff::Backoff;
use crate::config::NotifyConfig;
use crate::decode::{self, Frame};
use crate::event::{
    ConversationEvent, Malformed, NotifyEvent, Resync, ResyncReason, SubscriptionRejected,
};
use crate::handle::NotifyError;
use crate::provision::{ChannelInfo, ProvisionError, Provisioner, RejectedTopic};
use crate::status::{CloseReason, ConnectionStatus};
use crate::target::WatchTarget;
use crate::topic;
use crate::transport::{SocketMessage, Transport, TransportError};

/// The client health check the platform answers with a `channel.metadata` pong.
pub(crate) const PING: &str = r#"{"message":"ping"}"#;

/// How long closing an abandoned socket may take before it is simply dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// A change of the watched target set, as asked through the handle.
#[derive(Debug)]
pub(crate) enum TargetChange {
    Replace(BTreeSet<WatchTarget>),
    Add(BTreeSet<WatchTarget>),
    Remove(BTreeSet<WatchTarget>),
}

/// What the handle can ask of the task.
#[derive(Debug)]
pub(crate) enum Command {
    Change {
        change: TargetChange,
        reply: oneshot::Sender<Result<(), NotifyError>>,
    },
    Reconnect {
        reply: oneshot::Sender<()>,
    },
    Shutdown,
}

/// Why an attempt (or a step of a live connection) failed, sorted by what happens next.
#[derive(Debug)]
enum Failure {
    /// Closed for good.
    Fatal(CloseReason),
    /// Try again after a backoff, no sooner than `retry_after`.
    Transient {
        retry_after: Option<Duration>,
        why: String,
    },
    /// The event receiver was dropped: nobody listens, stop.
    ConsumerGone,
}

impl From<ProvisionError> for Failure {
    fn from(err: ProvisionError) -> Self {
        match err {
            ProvisionError::Unauthorized { .. } => Self::Fatal(CloseReason::SessionExpired),
            ProvisionError::Rejected {
                status,
                code,
                message,
                ..
            } => Self::Fatal(CloseReason::Rejected {
                status: Some(status),
                code,
                message,
            }),
            ProvisionError::RateLimited { retry_after } => Self::Transient {
                retry_after,
                why: match retry_after {
                    Some(after) => format!("rate limited (HTTP 429), retry after {after:?}"),
                    None => "rate limited (HTTP 429) without Retry-After".to_owned(),
                },
            },
            other @ (ProvisionError::ChannelGone | ProvisionError::Transient { .. }) => {
                Self::Transient {
                    retry_after: None,
                    why: other.to_string(),
                }
            }
        }
    }
}

impl From<TransportError> for Failure {
    fn from(err: TransportError) -> Self {
        Self::Transient {
            retry_after: None,
            why: err.to_string(),
        }
    }
}

#[derive(Debug)]
struct ConsumerGone;

impl From<ConsumerGone> for Failure {
    fn from(_: ConsumerGone) -> Self {
        Self::ConsumerGone
    }
}

/// How a live connection ended.
#[derive(Debug)]
enum LiveEnd {
    Closed(CloseReason),
    /// Lost; `stable` connections reconnect at once, flapping ones back off.
    Lost {
        stable: bool,
    },
    /// The owner asked for a fresh connection.
    Reconnect,
}

/// Everything the steps share that is not mutable loop state.
struct Ctx<P, T> {
    config: NotifyConfig,
    provisioner: Arc<P>,
    transport: Arc<T>,
    events: mpsc::Sender<NotifyEvent>,
    status: watch::Sender<ConnectionStatus>,
}

impl<P: Provisioner, T: Transport> Ctx<P, T> {
    async fn emit(&self, event: NotifyEvent) -> Result<(), ConsumerGone> {
        self.events.send(event).await.map_err(|_| ConsumerGone)
    }

    /// Publishes a status on the watch channel and, when it changed, in the event stream.
    async fn set_status(&self, status: ConnectionStatus) -> Result<(), ConsumerGone> {
        let changed = self.status.send_if_modified(|current| {
            if *current == status {
                false
            } else {
                *current = status.clone();
                true
            }
        });
        if changed {
            tracing::debug!(%status, "notification status");
            self.emit(NotifyEvent::Status(status)).await?;
        }
        Ok(())
    }

    async fn report_rejected(&self, rejected: Vec<RejectedTopic>) -> Result<(), ConsumerGone> {
        for RejectedTopic { topic, reason } in rejected {
            let target = WatchTarget::from_topic(&topic);
            tracing::warn!(%topic, %reason, "topic rejected by the platform");
            self.emit(NotifyEvent::SubscriptionRejected(SubscriptionRejected {
                target,
                topic,
                reason,
            }))
            .await?;
        }
        Ok(())
    }
}

/// Step 1 of a link: a channel and an open socket to it.
async fn open_link<P: Provisioner, T: Transport>(
    provisioner: &P,
    transport: &T,
    limit: Duration,
) -> Result<(ChannelInfo, T::Socket), Failure> {
    let channel = timeout(limit, provisioner.create_channel())
        .await
        .map_err(|_| Failure::Transient {
            retry_after: None,
            why: "channel creation timed out".into(),
        })??;
    tracing::debug!(channel = %channel.id, "channel created");
    let socket = timeout(limit, transport.connect(&channel.connect_uri))
        .await
        .map_err(|_| Failure::Transient {
            retry_after: None,
            why: "websocket handshake timed out".into(),
        })??;
    Ok((channel, socket))
}

/// Step 2 of a link: replace the channel's topics with these targets' topics.
///
/// `previous` is what the channel carried before. A 400 `notification.subscription.too.many.subscriptions`
/// (the plan keeps every channel within `max_topics_per_channel`, so only a platform limit below the
/// configured one causes it) refuses the whole PUT and leaves the channel's old list in force: the targets
/// that list lacks are reported rejected, and the other channels and targets stay live.
async fn subscribe<P: Provisioner>(
    provisioner: &P,
    channel: &ChannelInfo,
    targets: &[WatchTarget],
    previous: &[WatchTarget],
    limit: Duration,
) -> Result<Vec<RejectedTopic>, Failure> {
    let topics: Vec<String> = targets.iter().map(WatchTarget::topic).collect();
    let answer = timeout(
        limit,
        provisioner.replace_subscriptions(&channel.id, &topics),
    )
    .await
    .map_err(|_| Failure::Transient {
        retry_after: None,
        why: "subscription timed out".into(),
    })?;
    let rejected = match answer {
        Ok(rejected) => rejected,
        Err(err) if err.is_too_many_subscriptions() => {
            tracing::error!(
                channel = %channel.id,
                topics = topics.len(),
                %err,
                "the platform refused the channel's topic list as too many; lower max_topics_per_channel"
            );
            let reason = format!(
                "not subscribed: the platform refused this channel's {} topics as too many subscriptions \
                 ({err}); lower max_topics_per_channel",
                topics.len()
            );
            let kept: HashSet<&WatchTarget> = previous.iter().collect();
            targets
                .iter()
                .filter(|t| !kept.contains(t))
                .map(|t| RejectedTopic {
                    topic: t.topic(),
                    reason: reason.clone(),
                })
                .collect()
        }
        Err(err) => return Err(err.into()),
    };
    tracing::debug!(channel = %channel.id, topics = topics.len(), rejected = rejected.len(), "subscribed");
    Ok(rejected)
}

/// A replacement link made ready in the background, not yet read from.
struct Prepared<S> {
    channel: ChannelInfo,
    socket: S,
    targets: Vec<WatchTarget>,
    rejected: Vec<RejectedTopic>,
}

/// Opens and subscribes a new channel, first waiting out a rate limit (`not_before`) if one is in force.
async fn prepare_link<P: Provisioner, T: Transport>(
    provisioner: Arc<P>,
    transport: Arc<T>,
    limit: Duration,
    targets: Vec<WatchTarget>,
    not_before: Option<Instant>,
) -> Result<Prepared<T::Socket>, Failure> {
    if let Some(at) = not_before {
        sleep_until(at).await;
    }
    let (channel, socket) = open_link(&*provisioner, &*transport, limit).await?;
    let rejected = subscribe(&*provisioner, &channel, &targets, &[], limit).await?;
    Ok(Prepared {
        channel,
        socket,
        targets,
        rejected,
    })
}

/// When to replace a channel: `renew_before_expiry` ahead of `expires`, or halfway for short-lived channels.
/// A channel that already looks expired (clock skew) is left to `socket_closing`, so renewal cannot loop.
fn renew_at(channel: &ChannelInfo, margin: Duration) -> Option<Instant> {
    let remaining = (channel.expires? - Utc::now()).to_std().ok()?;
    if remaining < Duration::from_secs(120) {
        tracing::warn!(channel = %channel.id, ?remaining, "channel expires very soon; check the clock");
        return None;
    }
    let lead = if remaining > margin.saturating_mul(2) {
        remaining - margin
    } else {
        remaining / 2
    };
    Some(Instant::now() + lead)
}

/// A socket's incoming half, tagged with its link slot, ending with one `(slot, None)`.
struct Tagged<St> {
    slot: u64,
    inner: St,
    finished: bool,
}

impl<St: Stream + Unpin> Stream for Tagged<St> {
    type Item = (u64, Option<St::Item>);

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.finished {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(item)) => Poll::Ready(Some((self.slot, Some(item)))),
            Poll::Ready(None) => {
                self.finished = true;
                Poll::Ready(Some((self.slot, None)))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// One channel with its socket.
struct Link<S> {
    /// Identifies the current socket; changes on handover so stale messages are recognised.
    slot: u64,
    channel: ChannelInfo,
    targets: Vec<WatchTarget>,
    /// `None` once the socket is gone while a handover is under way.
    sink: Option<SplitSink<S, String>>,
    last_seen: Instant,
    renew_at: Option<Instant>,
    handover: bool,
    handover_failures: u32,
}

/// A live connection: every link, their merged incoming streams, and handovers in flight.
struct Session<S> {
    links: Vec<Link<S>>,
    streams: SelectAll<Tagged<SplitStream<S>>>,
    topics: HashMap<Arc<str>, WatchTarget>,
    handovers: JoinSet<(u64, Result<Prepared<S>, Failure>)>,
    next_slot: u64,
    live_since: Instant,
}

impl<S: crate::transport::Socket> Session<S> {
    fn new() -> Self {
        Self {
            links: Vec::new(),
            streams: SelectAll::new(),
            topics: HashMap::new(),
            handovers: JoinSet::new(),
            next_slot: 0,
            live_since: Instant::now(),
        }
    }

    fn targets(&self) -> Vec<WatchTarget> {
        self.links
            .iter()
            .flat_map(|l| l.targets.iter().cloned())
            .collect()
    }

    fn link_index(&self, slot: u64) -> Option<usize> {
        self.links.iter().position(|l| l.slot == slot)
    }

    fn rebuild_topics(&mut self) {
        self.topics = self
            .links
            .iter()
            .flat_map(|l| l.targets.iter())
            .map(|t| (Arc::<str>::from(t.topic()), t.clone()))
            .collect();
    }

    /// Starts reading a socket; returns its slot.
    fn attach(&mut self, socket: S) -> (u64, SplitSink<S, String>) {
        let slot = self.next_slot;
        self.next_slot += 1;
        let (sink, stream) = socket.split();
        self.streams.push(Tagged {
            slot,
            inner: stream,
            finished: false,
        });
        (slot, sink)
    }

    fn detach_stream(&mut self, slot: u64) {
        let streams = std::mem::take(&mut self.streams);
        self.streams = streams.into_iter().filter(|s| s.slot != slot).collect();
    }

    fn adopt(
        &mut self,
        channel: ChannelInfo,
        socket: S,
        targets: Vec<WatchTarget>,
        margin: Duration,
    ) {
        let (slot, sink) = self.attach(socket);
        let renew = renew_at(&channel, margin);
        self.links.push(Link {
            slot,
            channel,
            targets,
            sink: Some(sink),
            last_seen: Instant::now(),
            renew_at: renew,
            handover: false,
            handover_failures: 0,
        });
        self.rebuild_topics();
    }

    /// Puts a prepared replacement in place of link `idx`'s channel and socket.
    fn swap(&mut self, idx: usize, prepared: Prepared<S>, margin: Duration) {
        let old_slot = self.links[idx].slot;
        self.detach_stream(old_slot);
        let (slot, sink) = self.attach(prepared.socket);
        let link = &mut self.links[idx];
        if let Some(old) = link.sink.replace(sink) {
            close_later(old);
        }
        tracing::info!(old = %link.channel.id, new = %prepared.channel.id, "handed over to a new channel");
        link.slot = slot;
        link.renew_at = renew_at(&prepared.channel, margin);
        link.channel = prepared.channel;
        link.last_seen = Instant::now();
        link.handover = false;
        link.handover_failures = 0;
    }

    fn remove_link(&mut self, idx: usize) {
        let link = self.links.remove(idx);
        self.detach_stream(link.slot);
        if let Some(sink) = link.sink {
            close_later(sink);
        }
    }

    /// The earliest time a live socket has been silent too long.
    fn watchdog_deadline(&self, limit: Duration) -> Option<Instant> {
        self.links
            .iter()
            .filter(|l| l.sink.is_some())
            .map(|l| l.last_seen + limit)
            .min()
    }

    fn next_renewal(&self) -> Option<Instant> {
        self.links
            .iter()
            .filter(|l| !l.handover)
            .filter_map(|l| l.renew_at)
            .min()
    }

    fn start_handover<P: Provisioner, T: Transport<Socket = S>>(
        &mut self,
        idx: usize,
        ctx: &Ctx<P, T>,
        why: &str,
        not_before: Option<Instant>,
    ) {
        let link = &mut self.links[idx];
        if link.handover {
            return;
        }
        tracing::info!(channel = %link.channel.id, why, "preparing a replacement channel");
        link.handover = true;
        link.renew_at = None;
        let slot = link.slot;
        let targets = link.targets.clone();
        let provisioner = Arc::clone(&ctx.provisioner);
        let transport = Arc::clone(&ctx.transport);
        let limit = ctx.config.request_timeout;
        self.handovers.spawn(async move {
            (
                slot,
                prepare_link(provisioner, transport, limit, targets, not_before).await,
            )
        });
    }

    /// Makes the links carry exactly `desired`, with one PUT per touched channel; returns the targets added.
    async fn reconcile<P: Provisioner, T: Transport<Socket = S>>(
        &mut self,
        ctx: &Ctx<P, T>,
        desired: &BTreeSet<WatchTarget>,
    ) -> Result<Vec<WatchTarget>, Failure> {
        let before: HashSet<WatchTarget> = self.targets().into_iter().collect();
        let current: Vec<Vec<WatchTarget>> = self.links.iter().map(|l| l.targets.clone()).collect();
        let plan = topic::plan(&current, desired, ctx.config.max_topics_per_channel);
        let limit = ctx.config.request_timeout;
        let all_empty = plan.iter().all(Vec::is_empty);
        for (idx, targets) in plan.iter().enumerate().take(self.links.len()) {
            if *targets == self.links[idx].targets {
                continue;
            }
            // A channel left with no target is dropped below (unless it is the only one): no PUT needed.
            let dropping = targets.is_empty() && !(all_empty && idx == 0);
            if !dropping {
                let link = &self.links[idx];
                let rejected = subscribe(
                    &*ctx.provisioner,
                    &link.channel,
                    targets,
                    &link.targets,
                    limit,
                )
                .await?;
                ctx.report_rejected(rejected).await?;
            }
            self.links[idx].targets = targets.clone();
        }
        for targets in plan.iter().skip(self.links.len()) {
            let prepared = prepare_link(
                Arc::clone(&ctx.provisioner),
                Arc::clone(&ctx.transport),
                limit,
                targets.clone(),
                None,
            )
            .await?;
            ctx.report_rejected(prepared.rejected).await?;
            self.adopt(
                prepared.channel,
                prepared.socket,
                prepared.targets,
                ctx.config.renew_before_expiry,
            );
        }
        let mut idx = self.links.len();
        while idx > 0 {
            idx -= 1;
            let keep_one = self.links.len() == 1;
            if self.links[idx].targets.is_empty() && !keep_one && !(all_empty && idx == 0) {
                tracing::debug!(channel = %self.links[idx].channel.id, "channel no longer needed");
                self.remove_link(idx);
            }
        }
        self.rebuild_topics();
        Ok(desired
            .iter()
            .filter(|q| !before.contains(*q))
            .cloned()
            .collect())
    }

    fn close(self) {
        for link in self.links {
            if let Some(sink) = link.sink {
                close_later(sink);
            }
        }
        // Dropping the JoinSet aborts handovers in flight; their channels simply lapse.
    }
}

/// Sends a close frame in the background, so an unresponsive peer never delays a reconnect.
fn close_later<S: crate::transport::Socket>(mut sink: SplitSink<S, String>) {
    tokio::spawn(async move {
        let _ = timeout(CLOSE_GRACE, sink.close()).await;
    });
}

/// Applies a change to the desired set after validating it; returns the previous set.
fn apply_change(
    desired: &mut BTreeSet<WatchTarget>,
    change: TargetChange,
    config: &NotifyConfig,
) -> Result<BTreeSet<WatchTarget>, NotifyError> {
    let next = match change {
        TargetChange::Replace(set) => set,
        TargetChange::Add(set) => desired.iter().cloned().chain(set).collect(),
        TargetChange::Remove(set) => desired
            .iter()
            .filter(|q| !set.contains(*q))
            .cloned()
            .collect(),
    };
    if let Some(bad) = next.iter().find(|t| !t.is_valid()) {
        return Err(NotifyError::InvalidTarget(bad.to_string()));
    }
    let max = config.max_topics();
    if next.len() > max {
        return Err(NotifyError::TooManyTargets {
            requested: next.len(),
            max,
        });
    }
    Ok(std::mem::replace(desired, next))
}

/// The state machine task.
pub(crate) struct Driver<P, T> {
    ctx: Ctx<P, T>,
    commands: mpsc::Receiver<Command>,
    commands_open: bool,
    desired: BTreeSet<WatchTarget>,
    backoff: Backoff,
    /// No provisioning retry before this instant: the latest `Retry-After` of a 429 (the platform allows
    /// 300 requests/minute per token), so neither the backoff, a stable reconnect nor `reconnect()` beats it.
    not_before: Option<Instant>,
}

impl<P: Provisioner, T: Transport> Driver<P, T> {
    pub(crate) fn new(
        config: NotifyConfig,
        provisioner: Arc<P>,
        transport: Arc<T>,
        desired: BTreeSet<WatchTarget>,
        commands: mpsc::Receiver<Command>,
        events: mpsc::Sender<NotifyEvent>,
        status: watch::Sender<ConnectionStatus>,
    ) -> Self {
        let backoff = Backoff::new(config.backoff, config.jitter_seed);
        Self {
            ctx: Ctx {
                config,
                provisioner,
                transport,
                events,
                status,
            },
            commands,
            commands_open: true,
            desired,
            backoff,
            not_before: None,
        }
    }

    /// Records a `Retry-After`: no retry of any provisioning call before it has passed.
    fn hold_off(&mut self, retry_after: Option<Duration>) {
        if let Some(after) = retry_after {
            let at = Instant::now() + after;
            self.not_before = Some(self.not_before.map_or(at, |current| current.max(at)));
        }
    }

    /// The rate-limit instant, while it is still ahead.
    fn rate_limited_until(&self) -> Option<Instant> {
        self.not_before.filter(|at| *at > Instant::now())
    }

    /// Runs until closed for good; the last status published is always `Closed`.
    pub(crate) async fn run(mut self) {
        let mut attempt: u32 = 0;
        let mut ever_live = false;
        // The watch starts at Connecting; the stream gets it too, so a consumer sees every state from the start.
        let _ = self
            .ctx
            .emit(NotifyEvent::Status(ConnectionStatus::Connecting))
            .await;
        let reason = loop {
            match self.connect_once().await {
                Ok(Some(session)) => {
                    let why = if ever_live {
                        ResyncReason::Reconnected
                    } else {
                        ResyncReason::Connected
                    };
                    ever_live = true;
                    match self.live(session, why).await {
                        LiveEnd::Closed(reason) => break reason,
                        LiveEnd::Reconnect | LiveEnd::Lost { stable: true } => {
                            attempt = 0;
                            if self.rate_limited_until().is_none() {
                                continue;
                            }
                            // A 429 is in force: even a stable connection waits for its Retry-After.
                        }
                        LiveEnd::Lost { stable: false } => {
                            attempt = attempt.saturating_add(1);
                        }
                    }
                }
                Ok(None) => break CloseReason::Shutdown,
                Err(Failure::Fatal(reason)) => break reason,
                Err(Failure::ConsumerGone) => break CloseReason::Shutdown,
                Err(Failure::Transient { retry_after, why }) => {
                    attempt = attempt.saturating_add(1);
                    tracing::warn!(attempt, %why, "notification connection attempt failed");
                    self.hold_off(retry_after);
                }
            }
            if let Some(reason) = self.back_off(attempt).await {
                break reason;
            }
        };
        tracing::info!(%reason, "notification client closed");
        let _ = self
            .ctx
            .set_status(ConnectionStatus::Closed { reason })
            .await;
    }

    /// Creates channels, opens sockets, subscribes; serves commands meanwhile. `Ok(None)` means shutdown.
    async fn connect_once(&mut self) -> Result<Option<Session<T::Socket>>, Failure> {
        self.ctx.set_status(ConnectionStatus::Connecting).await?;
        let plan = topic::plan(&[], &self.desired, self.ctx.config.max_topics_per_channel);
        let Self {
            ctx,
            commands,
            commands_open,
            desired,
            ..
        } = self;
        let establish = establish(ctx, plan);
        tokio::pin!(establish);
        let mut session = loop {
            tokio::select! {
                result = &mut establish => break result?,
                cmd = commands.recv(), if *commands_open => match cmd {
                    None => *commands_open = false,
                    Some(Command::Shutdown) => return Ok(None),
                    Some(Command::Change { change, reply }) => {
                        // Recorded now, applied right after this attempt subscribes.
                        let _ = reply.send(apply_change(desired, change, &ctx.config).map(drop));
                    }
                    Some(Command::Reconnect { reply }) => {
                        let _ = reply.send(());
                    }
                },
                () = ctx.events.closed() => return Err(Failure::ConsumerGone),
            }
        };
        let subscribed: BTreeSet<WatchTarget> = session.targets().into_iter().collect();
        if subscribed != *desired {
            session.reconcile(ctx, desired).await?;
        }
        Ok(Some(session))
    }

    /// Waits out a backoff, never shorter than a pending `Retry-After`, serving commands; `Some(reason)`
    /// means stop.
    async fn back_off(&mut self, attempt: u32) -> Option<CloseReason> {
        let attempt = attempt.max(1);
        let mut until = Instant::now() + self.backoff.delay(attempt);
        if let Some(gate) = self.rate_limited_until() {
            until = until.max(gate);
        }
        if self
            .ctx
            .set_status(ConnectionStatus::BackingOff { attempt, until })
            .await
            .is_err()
        {
            return Some(CloseReason::Shutdown);
        }
        loop {
            tokio::select! {
                () = sleep_until(until) => return None,
                cmd = self.commands.recv(), if self.commands_open => match cmd {
                    None => self.commands_open = false,
                    Some(Command::Shutdown) => return Some(CloseReason::Shutdown),
                    Some(Command::Change { change, reply }) => {
                        let _ = reply.send(apply_change(&mut self.desired, change, &self.ctx.config).map(drop));
                    }
                    Some(Command::Reconnect { reply }) => {
                        let _ = reply.send(());
                        // Skip the backoff, but not the platform's Retry-After.
                        match self.rate_limited_until() {
                            None => return None,
                            Some(gate) if gate < until => {
                                until = gate;
                                let status = ConnectionStatus::BackingOff { attempt, until };
                                if self.ctx.set_status(status).await.is_err() {
                                    return Some(CloseReason::Shutdown);
                                }
                            }
                            Some(_) => {}
                        }
                    }
                },
                () = self.ctx.events.closed() => return Some(CloseReason::Shutdown),
            }
        }
    }

    /// Delivers events until the connection ends; emits `Live` and a `Resync` before the first event.
    async fn live(&mut self, mut session: Session<T::Socket>, why: ResyncReason) -> LiveEnd {
        let end = self.live_loop(&mut session, why).await;
        let end = match end {
            Ok(end) => end,
            Err(ConsumerGone) => LiveEnd::Closed(CloseReason::Shutdown),
        };
        if let LiveEnd::Lost { .. } = end {
            let channels: Vec<String> = session
                .links
                .iter()
                .map(|l| l.channel.id.to_string())
                .collect();
            tracing::warn!(?channels, "notification connection lost");
        }
        session.close();
        end
    }

    async fn live_loop(
        &mut self,
        s: &mut Session<T::Socket>,
        why: ResyncReason,
    ) -> Result<LiveEnd, ConsumerGone> {
        self.ctx.set_status(ConnectionStatus::Live).await?;
        self.ctx
            .emit(NotifyEvent::Resync(Resync {
                reason: why,
                targets: s.targets(),
            }))
            .await?;
        let now = Instant::now();
        s.live_since = now;
        for link in &mut s.links {
            link.last_seen = now;
        }
        let config = self.ctx.config.clone();
        let watchdog_limit = config.watchdog_timeout();
        let mut ping = tokio::time::interval_at(now + config.ping_interval, config.ping_interval);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let lost = |s: &Session<T::Socket>| LiveEnd::Lost {
            stable: s.live_since.elapsed() >= config.stable_after,
        };

        loop {
            let watchdog = s.watchdog_deadline(watchdog_limit);
            let renewal = s.next_renewal();
            tokio::select! {
                biased;

                cmd = self.commands.recv(), if self.commands_open => match cmd {
                    None => self.commands_open = false,
                    Some(Command::Shutdown) => return Ok(LiveEnd::Closed(CloseReason::Shutdown)),
                    Some(Command::Reconnect { reply }) => {
                        let _ = reply.send(());
                        return Ok(LiveEnd::Reconnect);
                    }
                    Some(Command::Change { change, reply }) => {
                        let previous = match apply_change(&mut self.desired, change, &config) {
                            Ok(previous) => previous,
                            Err(err) => {
                                let _ = reply.send(Err(err));
                                continue;
                            }
                        };
                        match s.reconcile(&self.ctx, &self.desired).await {
                            Ok(added) => {
                                let _ = reply.send(Ok(()));
                                if !added.is_empty() {
                                    let resync = Resync { reason: ResyncReason::TargetsAdded, targets: added };
                                    self.ctx.emit(NotifyEvent::Resync(resync)).await?;
                                }
                            }
                            Err(Failure::ConsumerGone) => return Err(ConsumerGone),
                            Err(Failure::Fatal(CloseReason::SessionExpired)) => {
                                let _ = reply.send(Err(NotifyError::SessionExpired));
                                return Ok(LiveEnd::Closed(CloseReason::SessionExpired));
                            }
                            Err(Failure::Fatal(reason)) => {
                                // Keep the set that worked; reconnect so no channel is left half-changed.
                                self.desired = previous;
                                let _ = reply.send(Err(NotifyError::Refused(reason)));
                                return Ok(LiveEnd::Lost { stable: true });
                            }
                            Err(Failure::Transient { why, retry_after }) => {
                                // The new set stays desired and is applied by the reconnect (with its Resync),
                                // which waits for a 429's Retry-After first.
                                tracing::warn!(%why, "subscription change failed; reconnecting");
                                self.hold_off(retry_after);
                                let _ = reply.send(Ok(()));
                                return Ok(lost(s));
                            }
                        }
                    }
                },

                Some(joined) = s.handovers.join_next(), if !s.handovers.is_empty() => {
                    let Ok((old_slot, result)) = joined else {
                        return Ok(lost(s));
                    };
                    let Some(idx) = s.link_index(old_slot) else {
                        // The link was removed by a target change meanwhile; the new channel just lapses.
                        continue;
                    };
                    match result {
                        Ok(mut prepared) => {
                            if prepared.targets != s.links[idx].targets {
                                // The target set changed while the replacement was being prepared.
                                let targets = s.links[idx].targets.clone();
                                match subscribe(&*self.ctx.provisioner, &prepared.channel, &targets, &prepared.targets, config.request_timeout).await {
                                    Ok(rejected) => {
                                        prepared.rejected = rejected;
                                        prepared.targets = targets;
                                    }
                                    Err(Failure::Fatal(reason)) => return Ok(LiveEnd::Closed(reason)),
                                    Err(Failure::ConsumerGone) => return Err(ConsumerGone),
                                    Err(Failure::Transient { retry_after, .. }) => {
                                        self.hold_off(retry_after);
                                        return Ok(lost(s));
                                    }
                                }
                            }
                            self.ctx.report_rejected(std::mem::take(&mut prepared.rejected)).await?;
                            s.swap(idx, prepared, config.renew_before_expiry);
                            s.rebuild_topics();
                            let targets = s.links[idx].targets.clone();
                            self.ctx.emit(NotifyEvent::Resync(Resync { reason: ResyncReason::Handover, targets })).await?;
                        }
                        Err(Failure::Fatal(reason)) => return Ok(LiveEnd::Closed(reason)),
                        Err(Failure::ConsumerGone) => return Err(ConsumerGone),
                        Err(Failure::Transient { why, retry_after }) => {
                            self.hold_off(retry_after);
                            let link = &mut s.links[idx];
                            link.handover = false;
                            link.handover_failures = link.handover_failures.saturating_add(1);
                            if link.sink.is_none() {
                                tracing::warn!(%why, "replacement channel failed and the old socket is gone");
                                return Ok(lost(s));
                            }
                            let delay = self.backoff.delay(link.handover_failures).max(retry_after.unwrap_or_default());
                            tracing::warn!(%why, ?delay, "replacement channel failed; the old socket stays, retrying");
                            link.renew_at = Some(Instant::now() + delay);
                        }
                    }
                },

                Some((slot, item)) = s.streams.next(), if !s.streams.is_empty() => {
                    let Some(idx) = s.link_index(slot) else { continue };
                    match item {
                        Some(Ok(SocketMessage::Text(text))) => {
                            s.links[idx].last_seen = Instant::now();
                            match decode::classify(text.as_str()) {
                                Ok(Frame::Metadata) => {}
                                Ok(Frame::Event { topic, body, correlation_id }) => {
                                    let Some((topic_arc, source)) = s.topics.get_key_value(topic.as_ref()) else {
                                        tracing::trace!(%topic, "event on a topic not subscribed here");
                                        continue;
                                    };
                                    let event = match decode::conversation(body) {
                                        Ok(conversation) => NotifyEvent::Conversation(ConversationEvent {
                                            topic: Arc::clone(topic_arc),
                                            source: source.clone(),
                                            conversation,
                                            correlation_id,
                                        }),
                                        Err(error) => {
                                            tracing::warn!(%topic, %error, "malformed event skipped");
                                            NotifyEvent::Malformed(Malformed { topic: Some(topic.into_owned()), error })
                                        }
                                    };
                                    self.ctx.emit(event).await?;
                                }
                                Ok(Frame::SocketClosing) => s.start_handover(idx, &self.ctx, "socket_closing", self.rate_limited_until()),
                                Ok(Frame::TokenRevoked) => return Ok(LiveEnd::Closed(CloseReason::SessionExpired)),
                                Ok(Frame::NoLongerSubscribed) => {
                                    tracing::warn!(channel = %s.links[idx].channel.id, "no longer subscribed");
                                    return Ok(lost(s));
                                }
                                Ok(Frame::OtherSystem(topic)) => tracing::debug!(%topic, "system message ignored"),
                                Err(error) => {
                                    tracing::warn!(%error, "malformed frame skipped");
                                    self.ctx.emit(NotifyEvent::Malformed(Malformed { topic: None, error })).await?;
                                }
                            }
                        }
                        Some(Ok(SocketMessage::Other)) => s.links[idx].last_seen = Instant::now(),
                        ended => {
                            let why = match ended {
                                Some(Ok(SocketMessage::Close { code, reason })) => format!("closed by server ({code:?} {reason})"),
                                Some(Err(err)) => err.to_string(),
                                _ => "stream ended".to_owned(),
                            };
                            if s.links[idx].handover {
                                tracing::info!(channel = %s.links[idx].channel.id, %why, "old socket gone; replacement under way");
                                s.links[idx].sink = None;
                                s.detach_stream(slot);
                            } else {
                                tracing::warn!(channel = %s.links[idx].channel.id, %why, "socket lost");
                                return Ok(lost(s));
                            }
                        }
                    }
                },

                _ = ping.tick() => {
                    for link in s.links.iter_mut() {
                        if let Some(sink) = link.sink.as_mut() {
                            let sent = timeout(config.request_timeout, sink.send(PING.to_owned())).await;
                            if !matches!(sent, Ok(Ok(()))) {
                                tracing::warn!(channel = %link.channel.id, "ping could not be sent");
                                return Ok(lost(s));
                            }
                        }
                    }
                },

                () = sleep_until(watchdog.unwrap_or_else(Instant::now)), if watchdog.is_some() => {
                    tracing::warn!(limit = ?watchdog_limit, "no message within the heartbeat window; socket presumed dead");
                    return Ok(lost(s));
                },

                () = sleep_until(renewal.unwrap_or_else(Instant::now)), if renewal.is_some() => {
                    let now = Instant::now();
                    let due: Vec<usize> = (0..s.links.len())
                        .filter(|&i| !s.links[i].handover && s.links[i].renew_at.is_some_and(|at| at <= now))
                        .collect();
                    for idx in due {
                        s.start_handover(idx, &self.ctx, "channel expiry", self.rate_limited_until());
                    }
                },

                () = self.ctx.events.closed() => return Err(ConsumerGone),
            }
        }
    }
}

/// Opens every planned link, then subscribes each (`Connecting`, then `Subscribing`).
async fn establish<P: Provisioner, T: Transport>(
    ctx: &Ctx<P, T>,
    plan: Vec<Vec<WatchTarget>>,
) -> Result<Session<T::Socket>, Failure> {
    let limit = ctx.config.request_timeout;
    let mut opened = Vec::with_capacity(plan.len());
    for targets in plan {
        let (channel, socket) = open_link(&*ctx.provisioner, &*ctx.transport, limit).await?;
        opened.push((channel, socket, targets));
    }
    ctx.set_status(ConnectionStatus::Subscribing).await?;
    let mut session = Session::new();
    for (channel, socket, targets) in opened {
        let rejected = subscribe(&*ctx.provisioner, &channel, &targets, &[], limit).await?;
        ctx.report_rejected(rejected).await?;
        session.adopt(channel, socket, targets, ctx.config.renew_before_expiry);
    }
    Ok(session)
}
