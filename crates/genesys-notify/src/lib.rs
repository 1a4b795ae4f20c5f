//! Genesys Cloud notification channel client: keeps the supervisor's board live over the notification WebSocket.
//!
//! The client provisions channel(s) (`POST /api/v2/notifications/channels`), subscribes queue topics
//! (`v2.routing.queues.{id}.conversations.calls`, `PUT` replace, at most 1,000 per channel), keeps the socket(s)
//! alive and replaces them when lost, and hands the consumer an ordered stream of [`NotifyEvent`]s.
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
//! queues whose history is now unknown. The consumer:
//!
//! 1. on `Resync { queues }`: marks those queues stale, starts a REST snapshot of each (queue observations /
//!    conversation reads), and **buffers** conversation events of those queues until the snapshot lands;
//! 2. when a snapshot lands: replaces the queue's conversations with it, then replays the buffered events
//!    in order (each event is a *full* conversation snapshot, so applying one is a replacement by
//!    conversation id, and a late duplicate only ever repeats a state);
//! 3. on `Conversation(ev)`: replaces `ev.conversation` by its id (cheap; no REST);
//! 4. on `Malformed`: counts/logs it; nothing to undo (the frame was skipped);
//! 5. on `Status`: shows it; anything but `Live` means "data may be stale since …";
//!    `Closed { SessionExpired }` means "sign in again", then start a new client.
//!
//! ```no_run
//! # async fn demo(rest: genesys_client::Client) {
//! use genesys_notify::{ClientProvisioner, NotifyConfig, NotifyEvent, TungsteniteTransport, spawn};
//! use genesys_model::ids::QueueId;
//!
//! // `rest` is the session's genesys-client (its TokenSource supplies the bearer token).
//! let queues = [QueueId::new("5f1e6c4a-8a9e-4b0b-bf7c-3f1d2a9e0b11")];
//! let provisioner = ClientProvisioner::new(rest);
//! let (handle, mut events) = spawn(NotifyConfig::default(), queues, provisioner, TungsteniteTransport::new());
//! while let Some(event) = events.recv().await {
//!     match event {
//!         NotifyEvent::Status(status) => println!("connection: {status}"),
//!         NotifyEvent::Resync(resync) => println!("re-snapshot {:?} ({:?})", resync.queues, resync.reason),
//!         NotifyEvent::Conversation(ev) => println!("{} on {}", ev.conversation.id, ev.queue_id),
//!         NotifyEvent::Malformed(bad) => eprintln!("skipped a frame: {}", bad.error),
//!         NotifyEvent::SubscriptionRejected(r) => eprintln!("no live data for {:?}: {}", r.queue_id, r.reason),
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
mod client;
mod config;
mod decode;
mod driver;
mod event;
mod handle;
mod provision;
mod status;
mod topic;
mod transport;

pub use backoff::{Backoff, BackoffPolicy};
pub use client::{ClientProvisioner, provision_error};
pub use config::NotifyConfig;
pub use event::{
    ConversationEvent, Malformed, NotifyEvent, Resync, ResyncReason, SubscriptionRejected,
};
pub use genesys_model::DecodeError;
pub use handle::{NotifyError, NotifyHandle, spawn};
pub use provision::{ChannelInfo, ProvisionError, Provisioner, RejectedTopic};
pub use status::{CloseReason, ConnectionStatus};
pub use topic::{is_valid_queue_id, queue_calls_topic, queue_of_calls_topic};
pub use transport::{
    Socket, SocketMessage, Transport, TransportError, TungsteniteSocket, TungsteniteTransport,
    Utf8Bytes,
};

/// The exact text of the client health check, exposed so fake transports can recognise it.
pub const PING_MESSAGE: &str = driver::PING;
