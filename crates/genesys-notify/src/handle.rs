//! Starting a client and talking to its task.

use std::collections::BTreeSet;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, watch};

use crate::config::NotifyConfig;
use crate::driver::{Command, Driver, TargetChange};
use crate::event::NotifyEvent;
use crate::provision::Provisioner;
use crate::status::{CloseReason, ConnectionStatus};
use crate::target::WatchTarget;
use crate::transport::Transport;

/// Why a request to the client failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// The client has closed (see its last status for why); start a new one.
    #[error("the notification client is closed")]
    Closed,
    /// More targets (queues plus users, one topic each) than the configured channels can carry.
    #[error(
        "{requested} queues and users requested; at most {max} can be watched \
         (max_channels x max_topics_per_channel topics)"
    )]
    TooManyTargets {
        /// How many targets the change asked for.
        requested: usize,
        /// The configured maximum.
        max: usize,
    },
    /// A target whose id cannot be one topic segment (empty, dots, spaces...); names the target, e.g. `queue "a.b"`.
    #[error(
        "cannot watch {0}: an id must be 1 to 128 letters, digits, '-' or '_' (one topic segment)"
    )]
    InvalidTarget(String),
    /// The session expired while the change was applied: sign in again.
    #[error("the session expired; sign in again")]
    SessionExpired,
    /// The platform refused the change; the previous target set was kept.
    #[error("the subscription change was refused: {0}")]
    Refused(CloseReason),
}

/// Starts a client task; the receiver yields every [`NotifyEvent`] in order. Must run inside a tokio runtime.
///
/// `targets` (queues and users) are subscribed on the first connection. Dropping the receiver stops the task; dropping every handle
/// does not (the status and events keep flowing), use [`NotifyHandle::shutdown`] to stop explicitly.
pub fn spawn<P, T>(
    config: NotifyConfig,
    targets: impl IntoIterator<Item = WatchTarget>,
    provisioner: P,
    transport: T,
) -> (NotifyHandle, mpsc::Receiver<NotifyEvent>)
where
    P: Provisioner,
    T: Transport,
{
    let (command_tx, command_rx) = mpsc::channel(64);
    let (event_tx, event_rx) = mpsc::channel(config.event_buffer.max(16));
    let (status_tx, status_rx) = watch::channel(ConnectionStatus::Connecting);
    let desired: BTreeSet<WatchTarget> = targets.into_iter().collect();
    let driver = Driver::new(
        config,
        Arc::new(provisioner),
        Arc::new(transport),
        desired,
        command_rx,
        event_tx,
        status_tx,
    );
    tokio::spawn(driver.run());
    (
        NotifyHandle {
            commands: command_tx,
            status: status_rx,
        },
        event_rx,
    )
}

/// A cheap, cloneable remote control for a running client.
#[derive(Clone, Debug)]
pub struct NotifyHandle {
    commands: mpsc::Sender<Command>,
    status: watch::Receiver<ConnectionStatus>,
}

impl NotifyHandle {
    /// The current status, for a one-off read (the UI should watch instead).
    pub fn status(&self) -> ConnectionStatus {
        self.status.borrow().clone()
    }

    /// A receiver that wakes on every status change, for the UI's connection indicator.
    pub fn watch_status(&self) -> watch::Receiver<ConnectionStatus> {
        self.status.clone()
    }

    /// Watches exactly these targets (queues and users) from now on, on the same sockets (no reconnect).
    ///
    /// Resolves once the new topics are subscribed on the live channel(s); when not live, once the set is
    /// recorded for the next connection. Added targets are then announced with a `Resync` (reason
    /// `TargetsAdded`) so the consumer snapshots them after their events started flowing, never before.
    pub async fn set_targets(
        &self,
        targets: impl IntoIterator<Item = WatchTarget>,
    ) -> Result<(), NotifyError> {
        self.change(TargetChange::Replace(targets.into_iter().collect()))
            .await
    }

    /// Adds targets to the watched set; see [`Self::set_targets`].
    pub async fn add_targets(
        &self,
        targets: impl IntoIterator<Item = WatchTarget>,
    ) -> Result<(), NotifyError> {
        self.change(TargetChange::Add(targets.into_iter().collect()))
            .await
    }

    /// Stops watching these targets; see [`Self::set_targets`]. Their events stop; no `Resync` is emitted.
    pub async fn remove_targets(
        &self,
        targets: impl IntoIterator<Item = WatchTarget>,
    ) -> Result<(), NotifyError> {
        self.change(TargetChange::Remove(targets.into_iter().collect()))
            .await
    }

    /// Drops the current connection and connects afresh (with a `Resync`), or skips a backoff wait; a
    /// pending 429 `Retry-After` is still waited out.
    pub async fn reconnect(&self) -> Result<(), NotifyError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Reconnect { reply })
            .await
            .map_err(|_| NotifyError::Closed)?;
        answer.await.map_err(|_| NotifyError::Closed)
    }

    /// Closes the sockets and ends the task; returns once the status is `Closed`.
    pub async fn shutdown(&self) {
        let _ = self.commands.send(Command::Shutdown).await;
        let mut status = self.status.clone();
        let _ = status.wait_for(ConnectionStatus::is_closed).await;
    }

    async fn change(&self, change: TargetChange) -> Result<(), NotifyError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Change { change, reply })
            .await
            .map_err(|_| NotifyError::Closed)?;
        answer.await.map_err(|_| NotifyError::Closed)?
    }
}
