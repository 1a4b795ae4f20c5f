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
//!
//! Files: this one has the task, its commands and the connect/backoff steps; `link.rs` the channels,
//! sockets and handovers of a connection; `live.rs` the live loop and its named handlers.

mod link;
mod live;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{Instant, sleep_until};

use self::link::{Session, open_link, subscribe};
use crate::backoff::Backoff;
use crate::config::NotifyConfig;
use crate::event::{NotifyEvent, ResyncReason, SubscriptionRejected};
use crate::handle::NotifyError;
use crate::provision::{ProvisionError, Provisioner, RejectedTopic};
use crate::status::{CloseReason, ConnectionStatus};
use crate::target::WatchTarget;
use crate::topic;
use crate::transport::{Transport, TransportError};

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
        /// The error (or plain words for a timeout), kept typed so logs can walk its chain.
        why: Box<dyn std::error::Error + Send + Sync>,
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
                    Some(after) => format!("rate limited (HTTP 429), retry after {after:?}").into(),
                    None => "rate limited (HTTP 429) without Retry-After".into(),
                },
            },
            other @ (ProvisionError::ChannelGone | ProvisionError::Transient { .. }) => {
                Self::Transient {
                    retry_after: None,
                    why: Box::new(other),
                }
            }
        }
    }
}

impl From<TransportError> for Failure {
    fn from(err: TransportError) -> Self {
        Self::Transient {
            retry_after: None,
            why: Box::new(err),
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
