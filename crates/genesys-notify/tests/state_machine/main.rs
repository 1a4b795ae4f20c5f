//! The state machine against a scripted provisioner and socket, in paused (virtual) time.
//!
//! One test binary; the scenarios are grouped by topic in the modules below, the shared helpers
//! are here.

use std::time::Duration;

use genesys_notify::test_support::*;
use genesys_notify::{
    BackoffPolicy, CloseReason, ConnectionStatus, NotifyConfig, NotifyError, NotifyEvent,
    PING_MESSAGE, ProvisionError, RejectedTopic, ResyncReason, TransportError, spawn,
};
use tokio::time::{Instant, sleep};

mod connect;
mod endings;
mod liveness;
mod rate_limits;
mod targets;

fn config() -> NotifyConfig {
    NotifyConfig {
        jitter_seed: Some(1),
        ..NotifyConfig::default()
    }
}

fn status(event: NotifyEvent) -> ConnectionStatus {
    match event {
        NotifyEvent::Status(status) => status,
        other => panic!("expected a status, got {other:?}"),
    }
}

fn resync(event: NotifyEvent) -> genesys_notify::Resync {
    match event {
        NotifyEvent::Resync(resync) => resync,
        other => panic!("expected a resync, got {other:?}"),
    }
}

fn conversation(event: NotifyEvent) -> genesys_notify::ConversationEvent {
    match event {
        NotifyEvent::Conversation(ev) => ev,
        other => panic!("expected a conversation event, got {other:?}"),
    }
}

/// Virtual-time equality up to the timer wheel's millisecond rounding.
#[track_caller]
fn assert_about(actual: Duration, expected: Duration) {
    let slack = Duration::from_millis(5);
    assert!(
        actual >= expected.saturating_sub(slack) && actual <= expected + slack,
        "expected about {expected:?}, got {actual:?}"
    );
}

/// Consumes Connecting, Subscribing, Live and the Resync of a first connection.
async fn until_live(
    events: &mut tokio::sync::mpsc::Receiver<NotifyEvent>,
) -> genesys_notify::Resync {
    let (_, skipped) = until_status(events, ConnectionStatus::is_live).await;
    assert!(
        skipped.iter().all(|e| matches!(e, NotifyEvent::Status(_))),
        "only statuses before Live: {skipped:?}"
    );
    resync(next(events).await)
}
