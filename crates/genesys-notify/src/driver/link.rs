//! A live connection's links: opening and subscribing channels, the sockets' merged incoming
//! streams, and the bookkeeping of handovers (a replacement channel prepared beside the old one).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use chrono::Utc;
use futures_util::stream::{SelectAll, SplitSink, SplitStream};
use futures_util::{SinkExt, Stream, StreamExt};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until, timeout};

use super::{CLOSE_GRACE, Ctx, Failure};
use crate::provision::{ChannelInfo, Provisioner, RejectedTopic};
use crate::target::WatchTarget;
use crate::topic;
use crate::transport::Transport;

/// Step 1 of a link: a channel and an open socket to it.
pub(super) async fn open_link<P: Provisioner, T: Transport>(
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
pub(super) async fn subscribe<P: Provisioner>(
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
pub(super) struct Prepared<S> {
    pub(super) channel: ChannelInfo,
    pub(super) socket: S,
    pub(super) targets: Vec<WatchTarget>,
    pub(super) rejected: Vec<RejectedTopic>,
}

/// Opens and subscribes a new channel, first waiting out a rate limit (`not_before`) if one is in force.
pub(super) async fn prepare_link<P: Provisioner, T: Transport>(
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
pub(super) fn renew_at(channel: &ChannelInfo, margin: Duration) -> Option<Instant> {
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
pub(super) struct Tagged<St> {
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
pub(super) struct Link<S> {
    /// Identifies the current socket; changes on handover so stale messages are recognised.
    pub(super) slot: u64,
    pub(super) channel: ChannelInfo,
    pub(super) targets: Vec<WatchTarget>,
    /// `None` once the socket is gone while a handover is under way.
    pub(super) sink: Option<SplitSink<S, String>>,
    pub(super) last_seen: Instant,
    pub(super) renew_at: Option<Instant>,
    pub(super) handover: bool,
    pub(super) handover_failures: u32,
}

/// A finished background handover: the slot of the link it replaces, and the replacement.
pub(super) type Handover<S> = (u64, Result<Prepared<S>, Failure>);

/// A live connection: every link, their merged incoming streams, and handovers in flight.
pub(super) struct Session<S> {
    pub(super) links: Vec<Link<S>>,
    pub(super) streams: SelectAll<Tagged<SplitStream<S>>>,
    pub(super) topics: HashMap<Arc<str>, WatchTarget>,
    pub(super) handovers: JoinSet<Handover<S>>,
    pub(super) next_slot: u64,
    pub(super) live_since: Instant,
}

impl<S: crate::transport::Socket> Session<S> {
    pub(super) fn new() -> Self {
        Self {
            links: Vec::new(),
            streams: SelectAll::new(),
            topics: HashMap::new(),
            handovers: JoinSet::new(),
            next_slot: 0,
            live_since: Instant::now(),
        }
    }

    pub(super) fn targets(&self) -> Vec<WatchTarget> {
        self.links
            .iter()
            .flat_map(|l| l.targets.iter().cloned())
            .collect()
    }

    pub(super) fn link_index(&self, slot: u64) -> Option<usize> {
        self.links.iter().position(|l| l.slot == slot)
    }

    pub(super) fn rebuild_topics(&mut self) {
        self.topics = self
            .links
            .iter()
            .flat_map(|l| l.targets.iter())
            .map(|t| (Arc::<str>::from(t.topic()), t.clone()))
            .collect();
    }

    /// Starts reading a socket; returns its slot.
    pub(super) fn attach(&mut self, socket: S) -> (u64, SplitSink<S, String>) {
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

    pub(super) fn detach_stream(&mut self, slot: u64) {
        let streams = std::mem::take(&mut self.streams);
        self.streams = streams.into_iter().filter(|s| s.slot != slot).collect();
    }

    pub(super) fn adopt(
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
    pub(super) fn swap(&mut self, idx: usize, prepared: Prepared<S>, margin: Duration) {
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

    pub(super) fn remove_link(&mut self, idx: usize) {
        let link = self.links.remove(idx);
        self.detach_stream(link.slot);
        if let Some(sink) = link.sink {
            close_later(sink);
        }
    }

    /// The earliest time a live socket has been silent too long.
    pub(super) fn watchdog_deadline(&self, limit: Duration) -> Option<Instant> {
        self.links
            .iter()
            .filter(|l| l.sink.is_some())
            .map(|l| l.last_seen + limit)
            .min()
    }

    pub(super) fn next_renewal(&self) -> Option<Instant> {
        self.links
            .iter()
            .filter(|l| !l.handover)
            .filter_map(|l| l.renew_at)
            .min()
    }

    pub(super) fn start_handover<P: Provisioner, T: Transport<Socket = S>>(
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
    pub(super) async fn reconcile<P: Provisioner, T: Transport<Socket = S>>(
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

    pub(super) fn close(self) {
        for link in self.links {
            if let Some(sink) = link.sink {
                close_later(sink);
            }
        }
        // Dropping the JoinSet aborts handovers in flight; their channels simply lapse.
    }
}

/// Sends a close frame in the background, so an unresponsive peer never delays a reconnect.
pub(super) fn close_later<S: crate::transport::Socket>(mut sink: SplitSink<S, String>) {
    tokio::spawn(async move {
        let _ = timeout(CLOSE_GRACE, sink.close()).await;
    });
}
