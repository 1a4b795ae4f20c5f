//! The live board: the roster started for a watch choice, and its changes forwarded to the one
//! board that subscribed.

use std::sync::Arc;

use genesys_client::Client;
use genesys_model::{QueueId, UserId};
use genesys_notify::NotifyConfig;
use tokio::sync::broadcast::error::RecvError;

use super::{Desktop, Live, lock};
use crate::auth::Session;
use crate::ipc::error::IpcError;
use crate::ipc::queues::{QueueInfo, WatchedPeople};
use crate::ipc::roster::{ConnectionStatusResponse, ConnectionView, RosterEvent, RosterSnapshot};
use crate::roster::{Roster, RosterConfig, Watch, WatchRequest};

/// Starts the live roster for a watch choice (the desktop's board, the CLI's `calls`, `watch` and
/// actions): the notification channel through the session's REST client, the subscriptions and
/// the first sweep. The roster follows the session, so the board closes the moment it ends.
pub fn start_roster(
    session: &Session,
    client: &Client,
    watch: WatchRequest,
    notify: NotifyConfig,
    config: RosterConfig,
) -> Roster {
    let roster = Roster::connect_watching(client.clone(), watch, notify, config);
    roster.follow_session(session);
    roster
}

/// What the roster watches for a queue choice and a people choice (`me`: the signed-in user).
pub(super) fn watch_request(
    queues: &[QueueInfo],
    people: &WatchedPeople,
    me: &str,
) -> WatchRequest {
    let mut users: std::collections::BTreeSet<UserId> = people
        .user_ids
        .iter()
        .map(|u| UserId::new(u.clone()))
        .collect();
    if people.watch_self {
        users.insert(UserId::new(me));
    }
    WatchRequest {
        watch: Watch {
            queues: queues.iter().map(|q| QueueId::new(q.id.clone())).collect(),
            users,
        },
        queue_people: people.watch_queue_people,
    }
}

impl Desktop {
    pub(super) fn start_live(
        &self,
        session: &Session,
        client: &Client,
        watch: WatchRequest,
    ) -> Option<Arc<Live>> {
        if watch.watch.is_empty() {
            return None;
        }
        let roster = start_roster(
            session,
            client,
            watch,
            self.config.notify.clone(),
            self.config.roster.clone(),
        );
        let flags = super::attention::FlagWatch::start(&roster);
        let transcript = super::transcription::start_feed(
            client,
            &roster,
            self.policy.policy(),
            self.config.transcription.clone(),
        );
        Some(Arc::new(Live {
            roster,
            actions: tokio::sync::OnceCell::new(),
            flags,
            transcript,
            enforcer: tokio::sync::Mutex::new(None),
        }))
    }

    async fn live(&self) -> Result<Option<Arc<Live>>, IpcError> {
        self.with_signed(|s| s.live.clone()).await
    }

    fn idle_snapshot() -> RosterSnapshot {
        RosterSnapshot {
            seq: 0,
            conversations: Vec::new(),
            connection: ConnectionView::idle(),
        }
    }

    pub(super) fn stop_forwarder(&self) {
        if let Some(task) = lock(&self.forwarder).take() {
            task.abort();
        }
    }

    /// `roster_subscribe`: the board now, then every change sent to `sink` in order (a newer
    /// subscription replaces this one). `sink` answers false when the UI is gone.
    pub async fn roster_subscribe(
        &self,
        sink: impl Fn(RosterEvent) -> bool + Send + Sync + 'static,
    ) -> Result<RosterSnapshot, IpcError> {
        let Some(live) = self.live().await? else {
            self.stop_forwarder();
            return Ok(Self::idle_snapshot());
        };
        let (snapshot, mut changes) = live.roster.subscribe();
        let task = tokio::spawn(async move {
            loop {
                match changes.recv().await {
                    Ok(change) => {
                        if !sink(RosterEvent::from(&change)) {
                            tracing::debug!("the board's channel is gone; forwarding stops");
                            break;
                        }
                    }
                    // The UI sees the gap in the numbers and asks for a snapshot.
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "the board fell behind; it will re-read the roster")
                    }
                    Err(RecvError::Closed) => break,
                }
            }
        });
        if let Some(old) = lock(&self.forwarder).replace(task) {
            old.abort();
        }
        Ok(RosterSnapshot::from(&snapshot))
    }

    /// `roster_snapshot`: the whole board now (after the UI saw a gap).
    pub async fn roster_snapshot(&self) -> Result<RosterSnapshot, IpcError> {
        Ok(match self.live().await? {
            Some(live) => RosterSnapshot::from(&live.roster.snapshot()),
            None => Self::idle_snapshot(),
        })
    }

    /// `connection_status`: the notification connection and the board's trust.
    pub async fn connection_status(&self) -> Result<ConnectionStatusResponse, IpcError> {
        Ok(match self.live().await? {
            Some(live) => {
                let status = live.roster.status();
                ConnectionStatusResponse {
                    connection: ConnectionView::from(&status),
                    last_snapshot_ms: status.last_snapshot.map(|t| t.timestamp_millis()),
                }
            }
            None => ConnectionStatusResponse {
                connection: ConnectionView::idle(),
                last_snapshot_ms: None,
            },
        })
    }
}
