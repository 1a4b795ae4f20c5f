//! The live state: one `select!` over the owner's commands, finished handovers, socket messages and
//! the three timers (ping, watchdog, channel renewal), each handed to a named handler.
//!
//! A handler answers `Continue` to keep the connection or `Break(end)` to leave `live` with how it
//! ended; `Err(ConsumerGone)` means nobody listens any more.

use std::ops::ControlFlow;
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use tokio::task::JoinError;
use tokio::time::{Instant, MissedTickBehavior, sleep_until, timeout};

use super::link::{Handover, Session, subscribe};
use super::{Command, ConsumerGone, Driver, Failure, LiveEnd, PING, apply_change};
use crate::decode::{self, Frame};
use crate::event::{
    ConversationEvent, Malformed, NotifyEvent, Resync, ResyncReason, TranscriptionEvent,
};
use crate::handle::NotifyError;
use crate::provision::Provisioner;
use crate::status::{CloseReason, ConnectionStatus};
use crate::target::WatchTarget;
use crate::transport::{SocketMessage, Transport, TransportError};

/// What a handler decided: stay live, or end the connection this way.
type Step = Result<ControlFlow<LiveEnd>, ConsumerGone>;

/// Stay live.
const CONTINUE: Step = Ok(ControlFlow::Continue(()));

/// End the live connection with `end`.
fn end(end: LiveEnd) -> Step {
    Ok(ControlFlow::Break(end))
}

impl<P: Provisioner, T: Transport> Driver<P, T> {
    /// Delivers events until the connection ends; emits `Live` and a `Resync` before the first event.
    pub(super) async fn live(
        &mut self,
        mut session: Session<T::Socket>,
        why: ResyncReason,
    ) -> LiveEnd {
        let end = match self.live_loop(&mut session, why).await {
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
        let ping_interval = self.ctx.config.ping_interval;
        let watchdog_limit = self.ctx.config.watchdog_timeout();
        let mut ping = tokio::time::interval_at(now + ping_interval, ping_interval);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);

        loop {
            let watchdog = s.watchdog_deadline(watchdog_limit);
            let renewal = s.next_renewal();
            let step = tokio::select! {
                biased;

                cmd = self.commands.recv(), if self.commands_open => self.on_command(s, cmd).await,
                Some(joined) = s.handovers.join_next(), if !s.handovers.is_empty() => {
                    self.on_handover_ready(s, joined).await
                }
                Some((slot, item)) = s.streams.next(), if !s.streams.is_empty() => {
                    self.on_socket_item(s, slot, item).await
                }
                _ = ping.tick() => self.on_heartbeat_due(s).await,
                () = sleep_until(watchdog.unwrap_or_else(Instant::now)), if watchdog.is_some() => {
                    tracing::warn!(limit = ?watchdog_limit, "no message within the heartbeat window; socket presumed dead");
                    end(self.lost(s))
                }
                () = sleep_until(renewal.unwrap_or_else(Instant::now)), if renewal.is_some() => {
                    self.on_renewal_due(s);
                    CONTINUE
                }
                () = self.ctx.events.closed() => Err(ConsumerGone),
            };
            if let ControlFlow::Break(end) = step? {
                return Ok(end);
            }
        }
    }

    /// A lost connection: stable ones reconnect at once, flapping ones back off.
    fn lost(&self, s: &Session<T::Socket>) -> LiveEnd {
        LiveEnd::Lost {
            stable: s.live_since.elapsed() >= self.ctx.config.stable_after,
        }
    }

    /// The owner asked for something: shutdown, a fresh connection, or a change of targets.
    async fn on_command(&mut self, s: &mut Session<T::Socket>, cmd: Option<Command>) -> Step {
        match cmd {
            None => {
                self.commands_open = false;
                CONTINUE
            }
            Some(Command::Shutdown) => end(LiveEnd::Closed(CloseReason::Shutdown)),
            Some(Command::Reconnect { reply }) => {
                let _ = reply.send(());
                end(LiveEnd::Reconnect)
            }
            Some(Command::Change { change, reply }) => {
                let previous = match apply_change(&mut self.desired, change, &self.ctx.config) {
                    Ok(previous) => previous,
                    Err(err) => {
                        let _ = reply.send(Err(err));
                        return CONTINUE;
                    }
                };
                match s.reconcile(&self.ctx, &self.desired).await {
                    Ok(added) => {
                        let _ = reply.send(Ok(()));
                        if !added.is_empty() {
                            let resync = Resync {
                                reason: ResyncReason::TargetsAdded,
                                targets: added,
                            };
                            self.ctx.emit(NotifyEvent::Resync(resync)).await?;
                        }
                        CONTINUE
                    }
                    Err(Failure::ConsumerGone) => Err(ConsumerGone),
                    Err(Failure::Fatal(CloseReason::SessionExpired)) => {
                        let _ = reply.send(Err(NotifyError::SessionExpired));
                        end(LiveEnd::Closed(CloseReason::SessionExpired))
                    }
                    Err(Failure::Fatal(reason)) => {
                        // Keep the set that worked; reconnect so no channel is left half-changed.
                        self.desired = previous;
                        let _ = reply.send(Err(NotifyError::Refused(reason)));
                        end(LiveEnd::Lost { stable: true })
                    }
                    Err(Failure::Transient { why, retry_after }) => {
                        // The new set stays desired and is applied by the reconnect (with its Resync),
                        // which waits for a 429's Retry-After first.
                        tracing::warn!(%why, "subscription change failed; reconnecting");
                        self.hold_off(retry_after);
                        let _ = reply.send(Ok(()));
                        end(self.lost(s))
                    }
                }
            }
        }
    }

    /// A replacement channel prepared in the background is ready (or failed): swap it in, or keep the
    /// old socket and retry later.
    async fn on_handover_ready(
        &mut self,
        s: &mut Session<T::Socket>,
        joined: Result<Handover<T::Socket>, JoinError>,
    ) -> Step {
        let Ok((old_slot, result)) = joined else {
            return end(self.lost(s));
        };
        let Some(idx) = s.link_index(old_slot) else {
            // The link was removed by a target change meanwhile; the new channel just lapses.
            return CONTINUE;
        };
        match result {
            Ok(mut prepared) => {
                if prepared.targets != s.links[idx].targets {
                    // The target set changed while the replacement was being prepared.
                    let targets = s.links[idx].targets.clone();
                    let resubscribed = subscribe(
                        &*self.ctx.provisioner,
                        &prepared.channel,
                        &targets,
                        &prepared.targets,
                        self.ctx.config.request_timeout,
                    )
                    .await;
                    match resubscribed {
                        Ok(rejected) => {
                            prepared.rejected = rejected;
                            prepared.targets = targets;
                        }
                        Err(Failure::Fatal(reason)) => return end(LiveEnd::Closed(reason)),
                        Err(Failure::ConsumerGone) => return Err(ConsumerGone),
                        Err(Failure::Transient { retry_after, .. }) => {
                            self.hold_off(retry_after);
                            return end(self.lost(s));
                        }
                    }
                }
                self.ctx
                    .report_rejected(std::mem::take(&mut prepared.rejected))
                    .await?;
                s.swap(idx, prepared, self.ctx.config.renew_before_expiry);
                s.rebuild_topics();
                let targets = s.links[idx].targets.clone();
                self.ctx
                    .emit(NotifyEvent::Resync(Resync {
                        reason: ResyncReason::Handover,
                        targets,
                    }))
                    .await?;
                CONTINUE
            }
            Err(Failure::Fatal(reason)) => end(LiveEnd::Closed(reason)),
            Err(Failure::ConsumerGone) => Err(ConsumerGone),
            Err(Failure::Transient { why, retry_after }) => {
                self.hold_off(retry_after);
                let link = &mut s.links[idx];
                link.handover = false;
                link.handover_failures = link.handover_failures.saturating_add(1);
                if link.sink.is_none() {
                    tracing::warn!(%why, "replacement channel failed and the old socket is gone");
                    return end(self.lost(s));
                }
                let delay = self
                    .backoff
                    .delay(link.handover_failures)
                    .max(retry_after.unwrap_or_default());
                tracing::warn!(%why, ?delay, "replacement channel failed; the old socket stays, retrying");
                link.renew_at = Some(Instant::now() + delay);
                CONTINUE
            }
        }
    }

    /// Something arrived on (or ended) the socket of link slot `slot`.
    async fn on_socket_item(
        &mut self,
        s: &mut Session<T::Socket>,
        slot: u64,
        item: Option<Result<SocketMessage, TransportError>>,
    ) -> Step {
        let Some(idx) = s.link_index(slot) else {
            return CONTINUE;
        };
        match item {
            Some(Ok(SocketMessage::Text(text))) => {
                s.links[idx].last_seen = Instant::now();
                self.on_frame(s, idx, text.as_str()).await
            }
            Some(Ok(SocketMessage::Other)) => {
                s.links[idx].last_seen = Instant::now();
                CONTINUE
            }
            ended => {
                let why = match ended {
                    Some(Ok(SocketMessage::Close { code, reason })) => {
                        format!("closed by server ({code:?} {reason})")
                    }
                    Some(Err(err)) => err.to_string(),
                    _ => "stream ended".to_owned(),
                };
                self.on_socket_gone(s, idx, slot, &why)
            }
        }
    }

    /// A text frame from link `idx`: an event to deliver, or a system message to act on.
    async fn on_frame(&mut self, s: &mut Session<T::Socket>, idx: usize, text: &str) -> Step {
        match decode::classify(text) {
            Ok(Frame::Metadata) => CONTINUE,
            Ok(Frame::Event {
                topic,
                body,
                correlation_id,
            }) => {
                let Some((topic_arc, source)) = s.topics.get_key_value(topic.as_ref()) else {
                    tracing::trace!(%topic, "event on a topic not subscribed here");
                    return CONTINUE;
                };
                let decoded =
                    match source {
                        WatchTarget::Transcription(conversation_id) => decode::transcription(body)
                            .map(|message| {
                                NotifyEvent::Transcription(TranscriptionEvent {
                                    topic: Arc::clone(topic_arc),
                                    conversation_id: conversation_id.clone(),
                                    message,
                                })
                            }),
                        WatchTarget::Queue(_) | WatchTarget::User(_) => decode::conversation(body)
                            .map(|conversation| {
                                NotifyEvent::Conversation(ConversationEvent {
                                    topic: Arc::clone(topic_arc),
                                    source: source.clone(),
                                    conversation,
                                    correlation_id,
                                })
                            }),
                    };
                let event = match decoded {
                    Ok(event) => event,
                    Err(error) => {
                        tracing::warn!(%topic, %error, "malformed event skipped");
                        NotifyEvent::Malformed(Malformed {
                            topic: Some(topic.into_owned()),
                            error,
                        })
                    }
                };
                self.ctx.emit(event).await?;
                CONTINUE
            }
            Ok(Frame::SocketClosing) => {
                s.start_handover(idx, &self.ctx, "socket_closing", self.rate_limited_until());
                CONTINUE
            }
            Ok(Frame::TokenRevoked) => end(LiveEnd::Closed(CloseReason::SessionExpired)),
            Ok(Frame::NoLongerSubscribed) => {
                tracing::warn!(channel = %s.links[idx].channel.id, "no longer subscribed");
                end(self.lost(s))
            }
            Ok(Frame::OtherSystem(topic)) => {
                tracing::debug!(%topic, "system message ignored");
                CONTINUE
            }
            Err(error) => {
                tracing::warn!(%error, "malformed frame skipped");
                self.ctx
                    .emit(NotifyEvent::Malformed(Malformed { topic: None, error }))
                    .await?;
                CONTINUE
            }
        }
    }

    /// Link `idx`'s socket closed or failed: fine while its replacement is being prepared, a lost
    /// connection otherwise.
    fn on_socket_gone(&self, s: &mut Session<T::Socket>, idx: usize, slot: u64, why: &str) -> Step {
        if s.links[idx].handover {
            tracing::info!(channel = %s.links[idx].channel.id, %why, "old socket gone; replacement under way");
            s.links[idx].sink = None;
            s.detach_stream(slot);
            CONTINUE
        } else {
            tracing::warn!(channel = %s.links[idx].channel.id, %why, "socket lost");
            end(self.lost(s))
        }
    }

    /// Time for the client health check: a ping on every open socket.
    async fn on_heartbeat_due(&self, s: &mut Session<T::Socket>) -> Step {
        let limit = self.ctx.config.request_timeout;
        let mut unsent = None;
        for link in s.links.iter_mut() {
            if let Some(sink) = link.sink.as_mut() {
                let sent = timeout(limit, sink.send(PING.to_owned())).await;
                if !matches!(sent, Ok(Ok(()))) {
                    unsent = Some(link.channel.id.to_string());
                    break;
                }
            }
        }
        match unsent {
            Some(channel) => {
                tracing::warn!(%channel, "ping could not be sent");
                end(self.lost(s))
            }
            None => CONTINUE,
        }
    }

    /// Some channels are close to expiry: prepare their replacements.
    fn on_renewal_due(&self, s: &mut Session<T::Socket>) {
        let now = Instant::now();
        let due: Vec<usize> = (0..s.links.len())
            .filter(|&i| !s.links[i].handover && s.links[i].renew_at.is_some_and(|at| at <= now))
            .collect();
        for idx in due {
            s.start_handover(idx, &self.ctx, "channel expiry", self.rate_limited_until());
        }
    }
}
