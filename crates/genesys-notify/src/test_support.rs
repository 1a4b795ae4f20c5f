//! A scripted provisioner and transport (feature `test-support`): the state machine runs for real,
//! the network is a test's puppet. Used by this crate's state-machine tests and pipeline bench.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use crate::{
    ChannelInfo, ConnectionStatus, NotifyEvent, ProvisionError, Provisioner, RejectedTopic,
    SocketMessage, Transport, TransportError, WatchTarget,
};
use chrono::Utc;
use futures_util::{Sink, Stream};
use genesys_model::ids::{ChannelId, QueueId, UserId};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// One provisioning call, with the (virtual) time it was made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    Create {
        at: Instant,
        channel: String,
    },
    Replace {
        at: Instant,
        channel: String,
        topics: Vec<String>,
    },
}

#[derive(Default)]
struct ProvState {
    calls: Vec<Call>,
    create_script: VecDeque<Result<(), ProvisionError>>,
    replace_script: VecDeque<Result<Vec<RejectedTopic>, ProvisionError>>,
    create_delay: Duration,
    channel_life: Option<Duration>,
    created: u32,
}

/// A provisioner that succeeds unless a failure was scripted, and records every call.
#[derive(Clone, Default)]
pub struct FakeProvisioner {
    state: Arc<Mutex<ProvState>>,
}

impl FakeProvisioner {
    pub fn new() -> Self {
        let fake = Self::default();
        fake.lock().channel_life = Some(Duration::from_secs(24 * 3600));
        fake
    }

    fn lock(&self) -> MutexGuard<'_, ProvState> {
        self.state.lock().expect("provisioner state")
    }

    /// The next `create_channel` calls answer these, in order; then success again.
    pub fn script_create(&self, results: impl IntoIterator<Item = Result<(), ProvisionError>>) {
        self.lock().create_script.extend(results);
    }

    /// The next `replace_subscriptions` calls answer these, in order; then success again.
    pub fn script_replace(
        &self,
        results: impl IntoIterator<Item = Result<Vec<RejectedTopic>, ProvisionError>>,
    ) {
        self.lock().replace_script.extend(results);
    }

    /// Every `create_channel` takes this long (virtual time).
    pub fn set_create_delay(&self, delay: Duration) {
        self.lock().create_delay = delay;
    }

    /// Channels expire this long after creation (`None`: no `expires`).
    pub fn set_channel_life(&self, life: Option<Duration>) {
        self.lock().channel_life = life;
    }

    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    pub fn creates(&self) -> Vec<Instant> {
        self.calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::Create { at, .. } => Some(at),
                Call::Replace { .. } => None,
            })
            .collect()
    }

    pub fn replaces(&self) -> Vec<(String, Vec<String>)> {
        self.calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::Replace {
                    channel, topics, ..
                } => Some((channel, topics)),
                Call::Create { .. } => None,
            })
            .collect()
    }
}

impl Provisioner for FakeProvisioner {
    async fn create_channel(&self) -> Result<ChannelInfo, ProvisionError> {
        let delay = self.lock().create_delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let mut state = self.lock();
        let scripted = state.create_script.pop_front().unwrap_or(Ok(()));
        let outcome = scripted.map(|()| {
            state.created += 1;
            let id = format!("ch-{}", state.created);
            ChannelInfo {
                id: ChannelId::new(id.clone()),
                connect_uri: format!("fake://{id}"),
                expires: state.channel_life.map(|life| Utc::now() + life),
            }
        });
        let channel = outcome
            .as_ref()
            .map(|c| c.id.to_string())
            .unwrap_or_else(|e| format!("error: {e}"));
        state.calls.push(Call::Create {
            at: Instant::now(),
            channel,
        });
        outcome
    }

    async fn replace_subscriptions(
        &self,
        channel: &ChannelId,
        topics: &[String],
    ) -> Result<Vec<RejectedTopic>, ProvisionError> {
        let mut state = self.lock();
        state.calls.push(Call::Replace {
            at: Instant::now(),
            channel: channel.to_string(),
            topics: topics.to_vec(),
        });
        state.replace_script.pop_front().unwrap_or(Ok(Vec::new()))
    }
}

/// The server's end of one fake socket.
pub struct ServerSide {
    pub uri: String,
    pub opened_at: Instant,
    to_client: Option<mpsc::UnboundedSender<Result<SocketMessage, TransportError>>>,
    from_client: mpsc::UnboundedReceiver<String>,
}

impl ServerSide {
    /// Sends a text frame; false once the client stopped reading this socket.
    pub fn send(&self, text: impl Into<String>) -> bool {
        self.to_client
            .as_ref()
            .is_some_and(|tx| tx.send(Ok(SocketMessage::Text(text.into().into()))).is_ok())
    }

    pub fn heartbeat(&self) -> bool {
        self.send(
            r#"{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}"#,
        )
    }

    pub fn socket_closing(&self) -> bool {
        self.send(
            r#"{"topicName":"v2.system.socket_closing","eventBody":{"message":"closing soon"}}"#,
        )
    }

    /// A queue calls event for conversation `conversation` with correlation id `corr`.
    pub fn event(&self, queue: &str, conversation: &str, corr: &str) -> bool {
        self.send(event_json(queue, conversation, corr))
    }

    /// A user calls event (same body shape as a queue's) for conversation `conversation`.
    pub fn user_event(&self, user: &str, conversation: &str, corr: &str) -> bool {
        self.send(topic_event_json(&user_topic(user), conversation, corr))
    }

    /// Closes the socket from the server side with a close frame.
    pub fn close(&mut self) {
        if let Some(tx) = self.to_client.take() {
            let _ = tx.send(Ok(SocketMessage::Close {
                code: Some(1000),
                reason: "bye".into(),
            }));
        }
    }

    /// Drops the connection without a close frame (the stream just ends).
    pub fn drop_connection(&mut self) {
        self.to_client = None;
    }

    /// Fails the next read with an I/O error.
    pub fn fail(&self) {
        if let Some(tx) = &self.to_client {
            let _ = tx.send(Err(TransportError::new("read", "connection reset")));
        }
    }

    /// Frames the client sent so far (pings), without waiting.
    pub fn received(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(text) = self.from_client.try_recv() {
            out.push(text);
        }
        out
    }

    /// True once the client closed or dropped its sending half.
    pub fn client_closed(&mut self) -> bool {
        loop {
            match self.from_client.try_recv() {
                Ok(_) => continue,
                Err(mpsc::error::TryRecvError::Empty) => return false,
                Err(mpsc::error::TryRecvError::Disconnected) => return true,
            }
        }
    }
}

pub fn event_json(queue: &str, conversation: &str, corr: &str) -> String {
    topic_event_json(&topic(queue), conversation, corr)
}

pub fn topic_event_json(topic: &str, conversation: &str, corr: &str) -> String {
    format!(
        r#"{{"topicName":"{topic}","version":"2","eventBody":{{"id":"{conversation}","participants":[{{"id":"p1","purpose":"agent","state":"connected"}},{{"id":"p2","purpose":"customer","state":"connected"}}]}},"metadata":{{"CorrelationId":"{corr}"}}}}"#
    )
}

/// The client's end of one fake socket.
pub struct FakeSocket {
    incoming: mpsc::UnboundedReceiver<Result<SocketMessage, TransportError>>,
    outgoing: Option<mpsc::UnboundedSender<String>>,
}

impl Stream for FakeSocket {
    type Item = Result<SocketMessage, TransportError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.incoming.poll_recv(cx)
    }
}

impl Sink<String> for FakeSocket {
    type Error = TransportError;

    fn poll_ready(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<(), TransportError>> {
        Poll::Ready(Ok(()))
    }

    fn start_send(self: Pin<&mut Self>, item: String) -> Result<(), TransportError> {
        match &self.outgoing {
            Some(tx) => tx
                .send(item)
                .map_err(|_| TransportError::new("write", "peer gone")),
            None => Err(TransportError::new("write", "closed")),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<(), TransportError>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Result<(), TransportError>> {
        self.outgoing = None;
        Poll::Ready(Ok(()))
    }
}

/// A transport whose sockets are handed to the test as they open.
pub struct FakeTransport {
    opened: mpsc::UnboundedSender<ServerSide>,
    script: Arc<Mutex<VecDeque<Result<(), TransportError>>>>,
}

/// The test's view of the transport: scripted handshake failures and the sockets as they open.
pub struct TransportControl {
    pub opened: mpsc::UnboundedReceiver<ServerSide>,
    script: Arc<Mutex<VecDeque<Result<(), TransportError>>>>,
}

impl TransportControl {
    pub fn script_connect(&self, results: impl IntoIterator<Item = Result<(), TransportError>>) {
        self.script.lock().expect("script").extend(results);
    }

    /// The next socket the client opens (waits in virtual time; panics after an hour of it).
    pub async fn next_socket(&mut self) -> ServerSide {
        tokio::time::timeout(Duration::from_secs(3600), self.opened.recv())
            .await
            .expect("a socket should open")
            .expect("transport alive")
    }

    pub fn try_next_socket(&mut self) -> Option<ServerSide> {
        self.opened.try_recv().ok()
    }
}

pub fn fake_transport() -> (FakeTransport, TransportControl) {
    let (tx, rx) = mpsc::unbounded_channel();
    let script = Arc::new(Mutex::new(VecDeque::new()));
    (
        FakeTransport {
            opened: tx,
            script: Arc::clone(&script),
        },
        TransportControl { opened: rx, script },
    )
}

impl Transport for FakeTransport {
    type Socket = FakeSocket;

    async fn connect(&self, uri: &str) -> Result<FakeSocket, TransportError> {
        let scripted = self
            .script
            .lock()
            .expect("script")
            .pop_front()
            .unwrap_or(Ok(()));
        scripted?;
        let (to_client, incoming) = mpsc::unbounded_channel();
        let (outgoing, from_client) = mpsc::unbounded_channel();
        let server = ServerSide {
            uri: uri.to_owned(),
            opened_at: Instant::now(),
            to_client: Some(to_client),
            from_client,
        };
        self.opened
            .send(server)
            .map_err(|_| TransportError::new("connect", "test gone"))?;
        Ok(FakeSocket {
            incoming,
            outgoing: Some(outgoing),
        })
    }
}

/// Receives the next event (waits in virtual time; panics after an hour of it).
pub async fn next(events: &mut mpsc::Receiver<NotifyEvent>) -> NotifyEvent {
    tokio::time::timeout(Duration::from_secs(3600), events.recv())
        .await
        .expect("an event within an hour of virtual time")
        .expect("the client task is running")
}

/// Skips events until a status matching `pred` arrives; returns the skipped events.
pub async fn until_status(
    events: &mut mpsc::Receiver<NotifyEvent>,
    pred: impl Fn(&ConnectionStatus) -> bool,
) -> (ConnectionStatus, Vec<NotifyEvent>) {
    let mut skipped = Vec::new();
    loop {
        match next(events).await {
            NotifyEvent::Status(status) if pred(&status) => return (status, skipped),
            other => skipped.push(other),
        }
    }
}

/// Asserts nothing arrives for `window` of virtual time.
pub async fn assert_quiet(events: &mut mpsc::Receiver<NotifyEvent>, window: Duration) {
    if let Ok(Some(event)) = tokio::time::timeout(window, events.recv()).await {
        panic!("expected no event for {window:?}, got {event:?}");
    }
}

/// A queue target.
pub fn q(id: &str) -> WatchTarget {
    WatchTarget::Queue(QueueId::new(id))
}

/// A user target.
pub fn u(id: &str) -> WatchTarget {
    WatchTarget::User(UserId::new(id))
}

/// The calls topic of queue `id`.
pub fn topic(id: &str) -> String {
    format!("v2.routing.queues.{id}.conversations.calls")
}

/// The calls topic of user `id`.
pub fn user_topic(id: &str) -> String {
    format!("v2.users.{id}.conversations.calls")
}
