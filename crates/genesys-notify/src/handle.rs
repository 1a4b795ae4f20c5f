//! Starting a client and talking to its task.

use std::collections::BTreeSet;
use std::sync::Arc;

use genesys_model::ids::QueueId;
use tokio::sync::{mpsc, oneshot, watch};

use crate::config::NotifyConfig;
use crate::driver::{Command, Driver, QueueChange};
use crate::event::NotifyEvent;
use crate::provision::Provisioner;
use crate::status::{CloseReason, ConnectionStatus};
use crate::transport::Transport;

/// Why a request to the client failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// The client has closed (see its last status for why); start a new one.
    #[error("the notification client is closed")]
    Closed,
    /// More queues than the configured channels can carry (1,000 topics per channel).
    #[error("{requested} queues requested; at most {max} can be watched")]
    TooManyQueues {
        /// How many queues the change asked for.
        requested: usize,
        /// The configured maximum.
        max: usize,
    },
    /// A queue id that cannot be one topic segment (empty, dots, spaces...).
    #[error("invalid queue id {0:?}")]
    InvalidQueueId(String),
    /// The session expired while the change was applied: sign in again.
    #[error("the session expired; sign in again")]
    SessionExpired,
    /// The platform refused the change; the previous queue set was kept.
    #[error("the subscription change was refused: {0}")]
    Refused(CloseReason),
}

/// Starts a client task; the receiver yields every [`NotifyEvent`] in order. Must run inside a tokio runtime.
///
/// `queues` are subscribed on the first connection. Dropping the receiver stops the task; dropping every handle
/// does not (the status and events keep flowing), use [`NotifyHandle::shutdown`] to stop explicitly.
pub fn spawn<P, T>(
    config: NotifyConfig,
    queues: impl IntoIterator<Item = QueueId>,
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
    let desired: BTreeSet<QueueId> = queues.into_iter().collect();
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

    /// Watches exactly these queues from now on, on the same socket (no reconnect).
    ///
    /// Resolves once the new topics are subscribed on the live channel(s); when not live, once the set is
    /// recorded for the next connection. Added queues are then announced with a `Resync` (reason `QueuesAdded`)
    /// so the consumer snapshots them after their events started flowing, never before.
    pub async fn set_queues(
        &self,
        queues: impl IntoIterator<Item = QueueId>,
    ) -> Result<(), NotifyError> {
        self.change(QueueChange::Replace(queues.into_iter().collect()))
            .await
    }

    /// Adds queues to the watched set; see [`Self::set_queues`].
    pub async fn add_queues(
        &self,
        queues: impl IntoIterator<Item = QueueId>,
    ) -> Result<(), NotifyError> {
        self.change(QueueChange::Add(queues.into_iter().collect()))
            .await
    }

    /// Stops watching these queues; see [`Self::set_queues`]. Their events stop; no `Resync` is emitted.
    pub async fn remove_queues(
        &self,
        queues: impl IntoIterator<Item = QueueId>,
    ) -> Result<(), NotifyError> {
        self.change(QueueChange::Remove(queues.into_iter().collect()))
            .await
    }

    /// Drops the current connection and connects afresh (with a `Resync`), or skips a backoff wait.
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

    async fn change(&self, change: QueueChange) -> Result<(), NotifyError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Change { change, reply })
            .await
            .map_err(|_| NotifyError::Closed)?;
        answer.await.map_err(|_| NotifyError::Closed)?
    }
}
