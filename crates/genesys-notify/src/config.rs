//! Tunables of the notification client; defaults follow docs/genesys-api.md "Notifications"
//! (30 s heartbeat, 1,000 topics per channel).

use std::time::Duration;

use crate::backoff::BackoffPolicy;

/// How the client paces itself, so tests can shrink every timer and the desktop can use safe defaults.
#[derive(Clone, Debug)]
pub struct NotifyConfig {
    /// The server heartbeat period (`channel.metadata` "WebSocket Heartbeat"); unconfirmed upstream, 30 s by default.
    pub heartbeat_interval: Duration,
    /// The socket counts as dead after this many heartbeat intervals without any message at all.
    pub missed_heartbeats: u32,
    /// How often the client sends `{"message":"ping"}`; the pong counts as a sign of life too.
    pub ping_interval: Duration,
    /// The reconnect schedule.
    pub backoff: BackoffPolicy,
    /// Seed of the jitter random source: `Some` in tests for reproducible schedules, `None` in production.
    pub jitter_seed: Option<u64>,
    /// Limit for each provisioning request and each WebSocket handshake.
    pub request_timeout: Duration,
    /// A channel is replaced this long before its `expires`, so it never lapses under a live board.
    pub renew_before_expiry: Duration,
    /// A connection that stayed live this long earns an immediate reconnect when lost (no backoff).
    pub stable_after: Duration,
    /// Topics per channel; the platform allows 1,000.
    pub max_topics_per_channel: usize,
    /// Channels this client may hold at once (the platform allows 20 per user, shared with other apps;
    /// one more is used briefly during a handover).
    pub max_channels: usize,
    /// Capacity of the event channel to the consumer; a full buffer applies back-pressure to the socket.
    pub event_buffer: usize,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            heartbeat_interval: Duration::from_secs(30),
            missed_heartbeats: 2,
            ping_interval: Duration::from_secs(20),
            backoff: BackoffPolicy::default(),
            jitter_seed: None,
            request_timeout: Duration::from_secs(15),
            renew_before_expiry: Duration::from_secs(10 * 60),
            stable_after: Duration::from_secs(10),
            max_topics_per_channel: 1_000,
            max_channels: 4,
            event_buffer: 8_192,
        }
    }
}

impl NotifyConfig {
    /// Silence longer than this means the socket is dead, whatever TCP says.
    pub fn watchdog_timeout(&self) -> Duration {
        self.heartbeat_interval
            .saturating_mul(self.missed_heartbeats.max(1))
    }

    /// The most topics (queues plus users) this client can carry.
    pub fn max_topics(&self) -> usize {
        self.max_topics_per_channel
            .max(1)
            .saturating_mul(self.max_channels.max(1))
    }
}
