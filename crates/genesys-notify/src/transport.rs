//! The WebSocket seam: the state machine reads text frames and writes pings through it.
//!
//! Production uses [`TungsteniteTransport`]; tests plug in a scripted socket and drive every timer with paused time.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::{Sink, Stream};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::cause::Cause;

pub use tokio_tungstenite::tungstenite::Utf8Bytes;

/// What a socket delivers, reduced to what the state machine acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SocketMessage {
    /// A text frame: a notification envelope, a heartbeat or a pong.
    Text(Utf8Bytes),
    /// The server closed the socket.
    Close {
        /// The WebSocket close code, if the frame had one.
        code: Option<u16>,
        /// The close reason text.
        reason: String,
    },
    /// Anything else (binary, protocol ping/pong): counts as a sign of life, carries nothing.
    Other,
}

/// A socket failure; always answered by reconnecting.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("websocket {stage} failed: {message}")]
pub struct TransportError {
    /// `connect`, `read` or `write`.
    pub stage: &'static str,
    /// What went wrong (no secrets: connect URIs carry none).
    pub message: String,
    /// The HTTP status when the upgrade itself was refused (e.g. 404 for an evicted channel).
    pub http_status: Option<u16>,
    /// The socket library's error, when there was one, kept for the chain.
    #[source]
    pub source: Option<Cause>,
}

impl TransportError {
    /// Builds an error for one stage of the socket's life.
    pub fn new(stage: &'static str, message: impl Into<String>) -> Self {
        Self {
            stage,
            message: message.into(),
            http_status: None,
            source: None,
        }
    }

    /// Builds an error for one stage from the socket library's error, which stays its source.
    pub fn caused_by(stage: &'static str, error: tungstenite::Error) -> Self {
        Self {
            message: error.to_string(),
            source: Some(Cause::new(error)),
            ..Self::new(stage, String::new())
        }
    }
}

/// One open WebSocket: a stream of incoming messages and a sink of outgoing text frames.
pub trait Socket:
    Stream<Item = Result<SocketMessage, TransportError>>
    + Sink<String, Error = TransportError>
    + Send
    + Unpin
    + 'static
{
}

impl<T> Socket for T where
    T: Stream<Item = Result<SocketMessage, TransportError>>
        + Sink<String, Error = TransportError>
        + Send
        + Unpin
        + 'static
{
}

/// Opens sockets to a channel's `connectUri`.
pub trait Transport: Send + Sync + 'static {
    /// The socket type this transport produces.
    type Socket: Socket;

    /// Opens a WebSocket to `uri` (no Authorization header: the channel id in the URI is the credential).
    fn connect(
        &self,
        uri: &str,
    ) -> impl Future<Output = Result<Self::Socket, TransportError>> + Send;
}

/// The real transport: tokio-tungstenite over TCP, with rustls for `wss://`.
#[derive(Clone, Debug, Default)]
pub struct TungsteniteTransport {
    _private: (),
}

impl TungsteniteTransport {
    /// A transport with default WebSocket settings.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Transport for TungsteniteTransport {
    type Socket = TungsteniteSocket;

    async fn connect(&self, uri: &str) -> Result<TungsteniteSocket, TransportError> {
        match tokio_tungstenite::connect_async(uri).await {
            Ok((inner, _response)) => Ok(TungsteniteSocket { inner }),
            Err(tungstenite::Error::Http(response)) => Err(TransportError {
                stage: "connect",
                message: format!("upgrade refused with HTTP {}", response.status()),
                http_status: Some(response.status().as_u16()),
                source: None,
            }),
            Err(err) => Err(TransportError::caused_by("connect", err)),
        }
    }
}

/// A tokio-tungstenite socket adapted to [`Socket`].
pub struct TungsteniteSocket {
    inner: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl fmt::Debug for TungsteniteSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TungsteniteSocket").finish_non_exhaustive()
    }
}

impl Stream for TungsteniteSocket {
    type Item = Result<SocketMessage, TransportError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.inner).poll_next(cx).map(|item| {
            item.map(|result| match result {
                Ok(Message::Text(text)) => Ok(SocketMessage::Text(text)),
                Ok(Message::Close(frame)) => Ok(SocketMessage::Close {
                    code: frame.as_ref().map(|f| u16::from(f.code)),
                    reason: frame
                        .map(|f| f.reason.as_str().to_owned())
                        .unwrap_or_default(),
                }),
                Ok(_) => Ok(SocketMessage::Other),
                Err(err) => Err(TransportError::caused_by("read", err)),
            })
        })
    }
}

impl Sink<String> for TungsteniteSocket {
    type Error = TransportError;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Pin::new(&mut self.inner)
            .poll_ready(cx)
            .map_err(|e| TransportError::caused_by("write", e))
    }

    fn start_send(mut self: Pin<&mut Self>, item: String) -> Result<(), Self::Error> {
        Pin::new(&mut self.inner)
            .start_send(Message::text(item))
            .map_err(|e| TransportError::caused_by("write", e))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Pin::new(&mut self.inner)
            .poll_flush(cx)
            .map_err(|e| TransportError::caused_by("write", e))
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Pin::new(&mut self.inner)
            .poll_close(cx)
            .map_err(|e| TransportError::caused_by("close", e))
    }
}
