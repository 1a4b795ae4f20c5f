//! The connection status the state machine publishes: one value the UI can show as it is.

use std::fmt;
use std::time::Duration;

use tokio::time::Instant;

/// Where the notification connection stands, so the UI can show it and the roster knows when to distrust its data.
///
/// The value only ever moves along these edges:
///
/// ```text
///  Connecting ──> Subscribing ──> Live ──(socket lost / watchdog)──> Connecting
///      │               │            │                                     ^
///      └── transient ──┴────────────┼──> BackingOff{attempt, until} ──────┘
///                                   │
///  any state ── 401 / token revoked / permanent refusal / shutdown ──> Closed{reason}  (terminal)
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectionStatus {
    /// Creating the channel(s) and opening the WebSocket(s).
    Connecting,
    /// Sockets are open; replacing the topic subscriptions (PUT) on each channel.
    Subscribing,
    /// Events flow; a `Resync` has been emitted for this connection.
    Live,
    /// The last attempt failed; the next one starts at `until`.
    BackingOff {
        /// Consecutive failed attempts so far (1 after the first failure).
        attempt: u32,
        /// When the next attempt starts (tokio clock, so paused-time tests see it exactly).
        until: Instant,
    },
    /// Closed for good; nothing is retried. The owner must act (sign in again, or start a new client).
    Closed {
        /// Why it closed.
        reason: CloseReason,
    },
}

impl ConnectionStatus {
    /// Events can be trusted only while live; every other state means the roster may be stale.
    pub fn is_live(&self) -> bool {
        matches!(self, Self::Live)
    }

    /// The driver is gone in this state; a UI offers "sign in again" or "reconnect" instead of a spinner.
    pub fn is_closed(&self) -> bool {
        matches!(self, Self::Closed { .. })
    }

    /// How long until the next attempt, for a "retrying in 4 s" label; `None` unless backing off.
    pub fn retry_in(&self) -> Option<Duration> {
        match self {
            Self::BackingOff { until, .. } => Some(until.saturating_duration_since(Instant::now())),
            _ => None,
        }
    }

    /// A stable machine-readable name, so an IPC layer can map the state without matching on fields.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Subscribing => "subscribing",
            Self::Live => "live",
            Self::BackingOff { .. } => "backingOff",
            Self::Closed { .. } => "closed",
        }
    }
}

impl fmt::Display for ConnectionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connecting => f.write_str("connecting"),
            Self::Subscribing => f.write_str("subscribing"),
            Self::Live => f.write_str("live"),
            Self::BackingOff { attempt, until } => write!(
                f,
                "backing off (attempt {attempt}, retry in {} ms)",
                until.saturating_duration_since(Instant::now()).as_millis()
            ),
            Self::Closed { reason } => write!(f, "closed: {reason}"),
        }
    }
}

/// Why the connection closed for good: each variant asks the owner for a different action.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// 401 or a token-revoked system message: the user must sign in again; retrying would only fail again.
    SessionExpired,
    /// The platform refused the request in a way retrying cannot fix (for example an invalid topic or 403).
    Rejected {
        /// HTTP status of the refusal, when it came from REST.
        status: Option<u16>,
        /// The vendor error code (`notification.invalid.topic`, ...), when there was one.
        code: Option<String>,
        /// A human-readable message for the log and the UI.
        message: String,
    },
    /// The owner shut the client down (or dropped every handle and the event receiver).
    Shutdown,
}

impl CloseReason {
    /// A stable code the UI switches on (`SessionExpired` means "sign in again").
    pub fn code(&self) -> &'static str {
        match self {
            Self::SessionExpired => "SessionExpired",
            Self::Rejected { .. } => "Rejected",
            Self::Shutdown => "Shutdown",
        }
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SessionExpired => {
                f.write_str("the session expired or was revoked; sign in again")
            }
            Self::Rejected {
                status,
                code,
                message,
            } => {
                f.write_str("refused by the platform")?;
                if let Some(status) = status {
                    write!(f, " ({status}")?;
                    if let Some(code) = code {
                        write!(f, " {code}")?;
                    }
                    f.write_str(")")?;
                }
                write!(f, ": {message}")
            }
            Self::Shutdown => f.write_str("shut down"),
        }
    }
}
