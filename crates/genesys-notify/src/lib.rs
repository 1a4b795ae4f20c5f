//! Genesys Cloud notification channel client: keeps the supervisor's board live over the notification WebSocket.
//!
//! The client provisions channel(s) (`POST /api/v2/notifications/channels`), subscribes the calls topics of
//! its [`WatchTarget`]s: queues (`v2.routing.queues.{id}.conversations.calls`) and users
//! (`v2.users.{id}.conversations.calls`, the only place conference bridges dialled directly show up), with
//! `PUT` replace, at most 1,000 topics per channel and more channels when needed. A client can also follow
//! single calls' transcription (`v2.conversations.{id}.transcription`, [`WatchTarget::Transcription`]),
//! delivered as [`NotifyEvent::Transcription`]. It keeps the socket(s)
//! alive and replaces them when lost, and hands the consumer an ordered stream of [`NotifyEvent`]s.
//!
//! A 429 while (re)connecting or subscribing is a transient failure: the next attempt waits at least the
//! `Retry-After` the platform asked for (300 requests/minute per token), whatever the backoff or a
//! `reconnect()` says.
//!
//! # The state machine
//!
//! A single task owns everything and publishes its [`ConnectionStatus`] on a watch channel and in the stream:
//! `Connecting` (create channel, open socket) → `Subscribing` (PUT topics) → `Live` → on loss `Connecting` again
//! (at once if the connection had been stable, else `BackingOff { attempt, until }` with capped exponential
//! backoff and jitter) → `Closed { reason }` for good on 401 / token revoked (`SessionExpired`: sign in again,
//! never retried blindly), a permanent refusal, or shutdown.
//!
//! While live: a client ping (`{"message":"ping"}`) every `ping_interval`; a watchdog declares the socket dead
//! after `missed_heartbeats × heartbeat_interval` without any message (heartbeats and pongs count);
//! `v2.system.socket_closing` and the channel's `expires` trigger a *handover*: a new channel is created,
//! subscribed and connected in the background while the old socket keeps delivering, then swapped in.
//!
//! # How the roster consumes it
//!
//! A Genesys channel replays nothing, so every new socket is preceded by a [`NotifyEvent::Resync`] naming the
//! targets whose history is now unknown. The consumer:
//!
//! 1. on `Resync { targets }`: marks those queues and users stale, starts a REST snapshot of each (queue
//!    observations, conversation reads), and **buffers** conversation events of those targets until the
//!    snapshot lands;
//! 2. when a snapshot lands: replaces the target's conversations with it, then replays the buffered events
//!    in order (each event is a *full* conversation snapshot, so applying one is a replacement by
//!    conversation id, and a late duplicate only ever repeats a state);
//! 3. on `Conversation(ev)`: replaces `ev.conversation` by its id (cheap; no REST); `ev.source` says which
//!    target's topic it came on (a call on a watched queue with a watched agent arrives once per topic);
//! 4. on `Malformed`: counts/logs it; nothing to undo (the frame was skipped);
//! 5. on `Status`: shows it; anything but `Live` means "data may be stale since …";
//!    `Closed { SessionExpired }` means "sign in again", then start a new client.
//!
//! ```no_run
//! # async fn demo(rest: genesys_client::Client) {
//! use genesys_notify::{
//!     ClientProvisioner, NotifyConfig, NotifyEvent, TungsteniteTransport, WatchTarget, spawn,
//! };
//! use genesys_model::ids::{QueueId, UserId};
//!
//! // `rest` is the session's genesys-client (its TokenSource supplies the bearer token).
//! let targets = [
//!     WatchTarget::Queue(QueueId::new("5f1e6c4a-8a9e-4b0b-bf7c-3f1d2a9e0b11")),
//!     WatchTarget::User(UserId::new("0c5b1f8e-6a39-4d1e-9b7a-2f4c8d9e1a22")),
//! ];
//! let provisioner = ClientProvisioner::new(rest);
//! let (handle, mut events) = spawn(NotifyConfig::default(), targets, provisioner, TungsteniteTransport::new());
//! while let Some(event) = events.recv().await {
//!     match event {
//!         NotifyEvent::Status(status) => println!("connection: {status}"),
//!         NotifyEvent::Resync(resync) => println!("re-snapshot {:?} ({:?})", resync.targets, resync.reason),
//!         NotifyEvent::Conversation(ev) => println!("{} on {}", ev.conversation.id, ev.source),
//!         NotifyEvent::Transcription(t) => println!("transcript of {}", t.conversation_id),
//!         NotifyEvent::Malformed(bad) => eprintln!("skipped a frame: {}", bad.error),
//!         NotifyEvent::SubscriptionRejected(r) => eprintln!("no live data for {:?}: {}", r.target, r.reason),
//!     }
//! }
//! # let _ = handle;
//! # }
//! ```
//!
//! Events can go missing without any sign (the platform drops or the emulator's `drop_events` fault): the
//! protocol has no sequence numbers, so the client cannot detect it. The roster's defence is the late-confirmation
//! re-read of the drop flow and the periodic staleness display, not this crate.
//! `tests/emulator.rs` demonstrates it, and `examples/watch_queue.rs` runs the whole consumption pattern
//! against the emulator (`cargo run -p genesys-notify --example watch_queue`).

mod backoff;
mod cause;
mod client;
mod config;
mod decode;
mod driver;
mod event;
mod handle;
mod provision;
mod status;
mod target;
#[cfg(feature = "test-support")]
pub mod test_support;
mod topic;
mod transport;

pub use backoff::{Backoff, BackoffPolicy};
pub use cause::Cause;
pub use client::{ClientProvisioner, provision_error};
pub use config::NotifyConfig;
pub use event::{
    ConversationEvent, Malformed, NotifyEvent, Resync, ResyncReason, SubscriptionRejected,
    TranscriptionEvent,
};
pub use genesys_model::DecodeError;
pub use handle::{NotifyError, NotifyHandle, spawn};
pub use provision::{
    ChannelInfo, ProvisionError, Provisioner, RejectedTopic, TOO_MANY_SUBSCRIPTIONS,
};
pub use status::{CloseReason, ConnectionStatus};
pub use target::WatchTarget;
pub use transport::{
    Socket, SocketMessage, Transport, TransportError, TungsteniteSocket, TungsteniteTransport,
    Utf8Bytes,
};

/// The exact text of the client health check, exposed so fake transports can recognise it.
pub const PING_MESSAGE: &str = driver::PING;
