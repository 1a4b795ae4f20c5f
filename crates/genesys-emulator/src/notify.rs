//! Notification channels, subscriptions and the event fan-out to connected sockets.
//!
//! Events are serialized once per topic and pushed into each subscribed socket's unbounded
//! queue while the world lock is held, so every socket sees state changes in commit order.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::ids::short_random;

/// Channels one user (or one client-credentials app) may hold before the oldest is evicted.
pub const MAX_CHANNELS_PER_OWNER: usize = 20;
/// Topics one channel may hold.
pub const MAX_TOPICS_PER_CHANNEL: usize = 1000;
/// Channel lifetime.
pub const CHANNEL_TTL_HOURS: i64 = 24;

/// A message for one socket's writer task.
#[derive(Debug)]
pub enum Outbound {
    /// A notification; held back until `not_before` (the delay_events fault).
    Event {
        text: Arc<str>,
        not_before: Option<Instant>,
    },
    /// A control message sent as is (system messages).
    Text(Arc<str>),
    /// Close the socket with this code and reason.
    Close { code: u16, reason: String },
}

/// The live socket of a channel.
#[derive(Debug)]
pub struct Connection {
    pub id: u64,
    pub tx: mpsc::UnboundedSender<Outbound>,
}

/// A notification channel.
#[derive(Debug)]
pub struct Channel {
    pub id: String,
    pub owner: String,
    pub user_id: Option<String>,
    pub client_id: String,
    pub expires: DateTime<Utc>,
    pub last_used: u64,
    pub topics: Vec<String>,
    pub conn: Option<Connection>,
}

/// The kinds of topic the emulator publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topic {
    QueueCalls(String),
    QueueConversations(String),
    UserCalls(String),
    UserConversations(String),
    /// `v2.conversations.{id}.transcription`.
    Transcription(String),
}

impl Topic {
    /// Parses a topic name; None when it matches no supported pattern.
    pub fn parse(name: &str) -> Option<Topic> {
        let valid_id = |s: &str| {
            !s.is_empty()
                && s.len() <= 64
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if let Some(rest) = name.strip_prefix("v2.routing.queues.") {
            if let Some(id) = rest.strip_suffix(".conversations.calls") {
                return valid_id(id).then(|| Topic::QueueCalls(id.to_owned()));
            }
            if let Some(id) = rest.strip_suffix(".conversations") {
                return valid_id(id).then(|| Topic::QueueConversations(id.to_owned()));
            }
        }
        if let Some(rest) = name.strip_prefix("v2.users.") {
            if let Some(id) = rest.strip_suffix(".conversations.calls") {
                return valid_id(id).then(|| Topic::UserCalls(id.to_owned()));
            }
            if let Some(id) = rest.strip_suffix(".conversations") {
                return valid_id(id).then(|| Topic::UserConversations(id.to_owned()));
            }
        }
        if let Some(rest) = name.strip_prefix("v2.conversations.") {
            if let Some(id) = rest.strip_suffix(".transcription") {
                return valid_id(id).then(|| Topic::Transcription(id.to_owned()));
            }
        }
        None
    }
}

/// Builds the wire envelope around an already-serialized event body.
pub fn envelope(topic: &str, body_json: &str) -> String {
    let topic = serde_json::Value::String(topic.to_owned()).to_string();
    format!(
        "{{\"topicName\":{topic},\"version\":\"2\",\"eventBody\":{body_json},\"metadata\":{{\"CorrelationId\":\"{}\"}}}}",
        uuid::Uuid::new_v4()
    )
}

/// All channels and the topic index.
#[derive(Default)]
pub struct Notifier {
    channels: HashMap<String, Channel>,
    index: HashMap<String, HashSet<String>>,
    created: u64,
    clock: u64,
    next_conn: u64,
}

impl Notifier {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// Creates a channel; at the per-owner limit the least recently used one is evicted
    /// (channels without a socket first, as the SDK docs describe) and its socket closed.
    pub fn create(
        &mut self,
        owner: &str,
        user_id: Option<&str>,
        client_id: &str,
        base_url: &str,
    ) -> (String, String, DateTime<Utc>) {
        let owned: Vec<(&String, bool, u64)> = self
            .channels
            .values()
            .filter(|c| c.owner == owner)
            .map(|c| (&c.id, c.conn.is_some(), c.last_used))
            .collect();
        if owned.len() >= MAX_CHANNELS_PER_OWNER {
            let victim = owned
                .iter()
                .min_by_key(|(_, connected, used)| (*connected, *used))
                .map(|(id, _, _)| (*id).clone());
            if let Some(v) = victim {
                self.remove(&v, 4000, "channel evicted: too many channels");
            }
        }
        self.created += 1;
        let id = format!("streaming-{}-{}", self.created, short_random());
        let expires = Utc::now() + Duration::hours(CHANNEL_TTL_HOURS);
        let used = self.tick();
        self.channels.insert(
            id.clone(),
            Channel {
                id: id.clone(),
                owner: owner.to_owned(),
                user_id: user_id.map(str::to_owned),
                client_id: client_id.to_owned(),
                expires,
                last_used: used,
                topics: Vec::new(),
                conn: None,
            },
        );
        let ws = base_url
            .replacen("https://", "wss://", 1)
            .replacen("http://", "ws://", 1);
        (id.clone(), format!("{ws}/channels/{id}"), expires)
    }

    fn remove(&mut self, id: &str, code: u16, reason: &str) {
        if let Some(ch) = self.channels.remove(id) {
            for t in &ch.topics {
                if let Some(set) = self.index.get_mut(t) {
                    set.remove(id);
                    if set.is_empty() {
                        self.index.remove(t);
                    }
                }
            }
            if let Some(conn) = ch.conn {
                let _ = conn.tx.send(Outbound::Close {
                    code,
                    reason: reason.to_owned(),
                });
            }
        }
    }

    /// The channel, if it exists and has not expired.
    pub fn get(&self, id: &str) -> Option<&Channel> {
        self.channels.get(id).filter(|c| c.expires > Utc::now())
    }

    /// Marks the channel used (LRU eviction order).
    pub fn touch(&mut self, id: &str) {
        let t = self.tick();
        if let Some(c) = self.channels.get_mut(id) {
            c.last_used = t;
        }
    }

    /// The owner's channels, oldest first.
    pub fn list(&self, owner: &str) -> Vec<&Channel> {
        let mut v: Vec<&Channel> = self
            .channels
            .values()
            .filter(|c| c.owner == owner && c.expires > Utc::now())
            .collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v.sort_by_key(|c| c.last_used);
        v
    }

    /// Replaces the channel's topic list and the index.
    pub fn set_topics(&mut self, id: &str, topics: Vec<String>) {
        let Some(ch) = self.channels.get_mut(id) else {
            return;
        };
        for t in &ch.topics {
            if let Some(set) = self.index.get_mut(t) {
                set.remove(id);
                if set.is_empty() {
                    self.index.remove(t);
                }
            }
        }
        for t in &topics {
            self.index
                .entry(t.clone())
                .or_default()
                .insert(id.to_owned());
        }
        ch.topics = topics;
        self.touch(id);
    }

    /// Attaches a new socket; an existing socket of the channel is closed (newest wins).
    pub fn connect(&mut self, id: &str) -> Option<(u64, mpsc::UnboundedReceiver<Outbound>)> {
        self.next_conn += 1;
        let conn_id = self.next_conn;
        let t = self.tick();
        let ch = self.channels.get_mut(id)?;
        let (tx, rx) = mpsc::unbounded_channel();
        if let Some(old) = ch.conn.replace(Connection { id: conn_id, tx }) {
            let _ = old.tx.send(Outbound::Close {
                code: 4001,
                reason: "another connection opened on this channel".to_owned(),
            });
        }
        ch.last_used = t;
        Some((conn_id, rx))
    }

    /// Detaches a socket when its task ends (only if it is still the channel's socket).
    pub fn disconnect(&mut self, id: &str, conn_id: u64) {
        if let Some(ch) = self.channels.get_mut(id) {
            if ch.conn.as_ref().is_some_and(|c| c.id == conn_id) {
                ch.conn = None;
            }
        }
    }

    /// Whether any channel is subscribed to the topic.
    pub fn has_subscribers(&self, topic: &str) -> bool {
        self.index.contains_key(topic)
    }

    /// Sends one event to every connected socket subscribed to the topic; returns deliveries.
    pub fn publish(&mut self, topic: &str, body_json: &str, not_before: Option<Instant>) -> usize {
        let Some(ids) = self.index.get(topic) else {
            return 0;
        };
        let text: Arc<str> = Arc::from(envelope(topic, body_json));
        let mut n = 0;
        for id in ids {
            if let Some(conn) = self.channels.get(id).and_then(|c| c.conn.as_ref()) {
                if conn
                    .tx
                    .send(Outbound::Event {
                        text: text.clone(),
                        not_before,
                    })
                    .is_ok()
                {
                    n += 1;
                }
            }
        }
        n
    }

    /// Sends a per-channel message to every connected socket (system messages).
    pub fn each_connected(&self, mut f: impl FnMut(&Channel, &Connection)) {
        for ch in self.channels.values() {
            if let Some(conn) = &ch.conn {
                f(ch, conn);
            }
        }
    }

    /// Closes every socket now.
    pub fn close_all(&mut self, code: u16, reason: &str) -> usize {
        let mut n = 0;
        for ch in self.channels.values_mut() {
            if let Some(conn) = ch.conn.take() {
                let _ = conn.tx.send(Outbound::Close {
                    code,
                    reason: reason.to_owned(),
                });
                n += 1;
            }
        }
        n
    }

    /// Number of channels (all owners).
    pub fn len(&self) -> usize {
        self.channels.len()
    }

    /// How many channels have a socket open: tests wait on it for a server-side close (the
    /// end of a `socket_closing` grace period) instead of sleeping past it.
    pub fn open_sockets(&self) -> usize {
        self.channels.values().filter(|c| c.conn.is_some()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_patterns() {
        assert_eq!(
            Topic::parse("v2.routing.queues.abc-1.conversations.calls"),
            Some(Topic::QueueCalls("abc-1".into()))
        );
        assert_eq!(
            Topic::parse("v2.users.u1.conversations"),
            Some(Topic::UserConversations("u1".into()))
        );
        assert_eq!(Topic::parse("v2.users..conversations"), None);
        assert_eq!(Topic::parse("v2.users.a.b.conversations"), None);
        assert_eq!(Topic::parse("v2.conversations.calls"), None);
        assert_eq!(
            Topic::parse("v2.conversations.c-1.transcription"),
            Some(Topic::Transcription("c-1".into()))
        );
        assert_eq!(Topic::parse("v2.conversations..transcription"), None);
        assert_eq!(Topic::parse("v2.conversations.c-1"), None);
        assert_eq!(Topic::parse("v2.routing.queues.x\".conversations"), None);
    }

    #[test]
    fn envelope_is_valid_json_with_the_platform_fields() {
        let text = envelope("v2.users.u1.conversations.calls", r#"{"id":"c1"}"#);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["topicName"], "v2.users.u1.conversations.calls");
        assert_eq!(v["version"], "2");
        assert_eq!(v["eventBody"]["id"], "c1");
        assert!(v["metadata"]["CorrelationId"].is_string());
    }

    #[test]
    fn publish_reaches_only_connected_subscribers_in_order() {
        let mut n = Notifier::default();
        let (a, _, _) = n.create("owner", Some("u"), "client", "http://127.0.0.1:1");
        let (b, _, _) = n.create("owner", Some("u"), "client", "http://127.0.0.1:1");
        n.set_topics(&a, vec!["t".into()]);
        n.set_topics(&b, vec!["t".into()]);
        let (_, mut rx) = n.connect(&a).unwrap();
        assert_eq!(n.publish("t", "1", None), 1, "b has no socket");
        assert_eq!(n.publish("t", "2", None), 1);
        assert_eq!(n.publish("other", "3", None), 0);
        let first = rx.try_recv().unwrap();
        let second = rx.try_recv().unwrap();
        match (first, second) {
            (Outbound::Event { text: x, .. }, Outbound::Event { text: y, .. }) => {
                assert!(x.contains("\"eventBody\":1"));
                assert!(y.contains("\"eventBody\":2"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
