//! The live board over IPC: a snapshot, then numbered batches of changes on a channel.
//!
//! Every batch carries the next sequence number. A receiver that sees a gap (or anything it cannot apply)
//! asks `roster_snapshot` and drops batches numbered at or below the snapshot's `seq`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use crate::roster::{self as core, ChangeKind, ConversationRecord, Party};

/// Which list a leg is in; only `live` legs may be acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum LegStatus {
    /// On the call now.
    Live,
    /// Gone (`disconnected` or `terminated`): shown dimmed.
    Ended,
    /// An ended older copy of a person who is still on the call: shown dimmed, never actionable.
    StaleDuplicate,
    /// Neither live nor ended (ringing, scheduled, unknown state): shown, never actionable.
    Other,
}

/// One leg of a call, as a row of the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PartyView {
    /// The leg id: the target of every action.
    pub participant_id: String,
    /// Best display name (a phone number or the purpose when nothing better is known).
    pub name: String,
    /// `agent`, `customer`, `external`, `acd`, `ivr`, `user`, ... (`unknown` when absent).
    pub purpose: String,
    /// The leg's state (`connected`, `alerting`, `disconnected`, ...; `unknown` when absent).
    pub state: String,
    /// Muted now; `null` while not yet known (the board was built from analytics data).
    pub muted: Option<bool>,
    /// On hold now; `null` while not yet known.
    pub held: Option<bool>,
    /// Confined now; `null` while not yet known.
    pub confined: Option<bool>,
    /// Which list the leg is in.
    pub status: LegStatus,
    /// True only for live legs that are a person (not the ACD leg): buttons are shown only for these.
    pub actionable: bool,
    /// When the leg connected (ms since the Unix epoch): the base of "time on call".
    #[ts(type = "number | null")]
    pub connected_since_ms: Option<i64>,
    /// When the leg ended (ms since the Unix epoch), for ended legs.
    #[ts(type = "number | null")]
    pub ended_at_ms: Option<i64>,
    /// The Genesys user on the leg (how people are picked to watch).
    pub user_id: Option<String>,
}

/// One call conversation on the watched queues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConversationView {
    /// Conversation id.
    pub id: String,
    /// Watched queues the call is on (ids).
    pub queue_ids: Vec<String>,
    /// When the call began (ms since the Unix epoch).
    #[ts(type = "number | null")]
    pub started_at_ms: Option<i64>,
    /// More than two live people: shown as a conference.
    pub is_conference: bool,
    /// False while some fields rest on analytics data and are not yet known.
    pub full_detail: bool,
    /// The watched people on this call (why a bridge without a queue is on the board).
    pub watched_user_ids: Vec<String>,
    /// Every leg: live ones first (wire order), then stale duplicates, ended and other legs.
    pub parties: Vec<PartyView>,
}

/// The notification connection as the status bar shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ConnectionState {
    /// No queues are watched (or nobody is signed in): nothing to be live about.
    Idle,
    /// Opening the first connection; the board is loading.
    Connecting,
    /// Events flow but the board does not hold every call yet.
    Loading,
    /// Events flow, the board was swept since the last (re)connect and holds every known call.
    Live,
    /// The connection was lost and is being re-established: the board may be stale.
    Reconnecting,
    /// Closed for good (session over, refused): the detail says what to do.
    Closed,
}

/// The connection status: always visible on the board, with the age of the data when it is not live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionView {
    /// Where the connection stands.
    pub state: ConnectionState,
    /// Since when the board may be out of date (ms since the Unix epoch); `null` while live.
    #[ts(type = "number | null")]
    pub stale_since_ms: Option<i64>,
    /// When the next reconnect attempt starts, in ms from now, while backing off.
    #[ts(type = "number | null")]
    pub retry_in_ms: Option<u64>,
    /// Why it is not live, in words (`null` while live).
    pub detail: Option<String>,
    /// The connection closed because the session is over: the UI asks to sign in again.
    pub session_expired: bool,
    /// How much of what is watched the board holds.
    pub completeness: BoardCompleteness,
}

/// How complete the board is: the UI says "Loading 640 of 1,000 calls" until it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BoardCompleteness {
    /// Live watched calls known to exist.
    pub discovered: u32,
    /// Calls on the board.
    pub held: u32,
    /// Calls on the board with full detail (an event or a read).
    pub full_detail: u32,
    /// Calls known to exist that are not on the board yet.
    pub unread: u32,
    /// When the unread calls are retried, in ms from now.
    #[ts(type = "number | null")]
    pub retry_in_ms: Option<u64>,
    /// Every discovered call is on the board.
    pub complete: bool,
    /// Permissions whose absence makes the board slower or poorer.
    pub missing_permissions: Vec<String>,
    /// Plain sentences the board shows (refused topics, fallbacks).
    pub notices: Vec<String>,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl From<&core::RosterStatus> for BoardCompleteness {
    fn from(status: &core::RosterStatus) -> Self {
        let c = &status.completeness;
        let mut notices = c.notices.clone();
        for r in &status.rejected_queues {
            let what = match (&r.queue_id, &r.user_id) {
                (Some(q), _) => format!("queue {q}"),
                (None, Some(u)) => format!("person {u}"),
                (None, None) => "a topic".to_owned(),
            };
            notices.push(format!("No live updates for {what}: {}", r.reason));
        }
        Self {
            discovered: count(c.discovered),
            held: count(c.held),
            full_detail: count(c.full_detail),
            unread: count(c.unread),
            retry_in_ms: c
                .next_retry
                .map(|t| u64::try_from((t - Utc::now()).num_milliseconds().max(0)).unwrap_or(0)),
            complete: c.is_complete(),
            missing_permissions: c.missing_permissions.clone(),
            notices,
        }
    }
}

impl ConnectionView {
    /// Nothing watched yet.
    pub fn idle() -> Self {
        Self {
            state: ConnectionState::Idle,
            stale_since_ms: None,
            retry_in_ms: None,
            detail: None,
            session_expired: false,
            completeness: BoardCompleteness::default(),
        }
    }
}

fn ms(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

fn opt_ms(time: Option<genesys_model::Timestamp>) -> Option<i64> {
    time.map(|t| t.instant().timestamp_millis())
}

impl From<&core::RosterStatus> for ConnectionView {
    /// Live only when the board is trusted (live socket and a snapshot taken on it); a live socket
    /// still re-reading counts as connecting (first time) or reconnecting (afterwards).
    fn from(status: &core::RosterStatus) -> Self {
        let first_time = status.last_snapshot.is_none();
        let waiting = if first_time {
            ConnectionState::Connecting
        } else {
            ConnectionState::Reconnecting
        };
        let mut detail = status.last_error.clone();
        if !status.rejected_queues.is_empty() {
            let queues: Vec<String> = status
                .rejected_queues
                .iter()
                .map(|r| match &r.queue_id {
                    Some(q) => format!("queue {q}: {}", r.reason),
                    None => r.reason.clone(),
                })
                .collect();
            let text = format!("no live updates for {}", queues.join("; "));
            detail = Some(match detail {
                Some(d) => format!("{d}; {text}"),
                None => text,
            });
        }
        let complete = status.completeness.is_complete();
        let (state, retry_in_ms, session_expired) = match &status.connection {
            core::ConnectionState::Live if status.trusted && complete => {
                (ConnectionState::Live, None, false)
            }
            core::ConnectionState::Live if status.last_snapshot.is_some() && !status.resyncing => {
                (ConnectionState::Loading, None, false)
            }
            core::ConnectionState::Live
            | core::ConnectionState::Connecting
            | core::ConnectionState::Subscribing => (waiting, None, false),
            core::ConnectionState::BackingOff { retry_in_ms, .. } => {
                (ConnectionState::Reconnecting, Some(*retry_in_ms), false)
            }
            core::ConnectionState::Closed { message, .. } => {
                detail = Some(message.clone());
                (
                    ConnectionState::Closed,
                    None,
                    status.connection.is_session_expired(),
                )
            }
        };
        Self {
            state,
            stale_since_ms: if state == ConnectionState::Live {
                None
            } else {
                status.stale_since.map(ms)
            },
            retry_in_ms,
            detail: if state == ConnectionState::Live {
                None
            } else {
                detail
            },
            session_expired,
            completeness: BoardCompleteness::from(status),
        }
    }
}

fn party_view(party: &Party, status: LegStatus) -> PartyView {
    PartyView {
        participant_id: party.participant_id.as_str().to_owned(),
        name: party.name.clone(),
        purpose: party.purpose_text().to_owned(),
        state: party
            .state
            .as_ref()
            .map_or_else(|| "unknown".to_owned(), |s| s.as_str().to_owned()),
        muted: party.muted,
        held: party.held,
        confined: party.confined,
        status,
        actionable: status == LegStatus::Live && !party.is_acd(),
        connected_since_ms: opt_ms(party.connected_since),
        ended_at_ms: opt_ms(party.ended_at),
        user_id: party.user_id.as_ref().map(|u| u.as_str().to_owned()),
    }
}

impl From<&ConversationRecord> for ConversationView {
    fn from(record: &ConversationRecord) -> Self {
        let lists = [
            (&record.parties, LegStatus::Live),
            (&record.stale_duplicates, LegStatus::StaleDuplicate),
            (&record.ended_legs, LegStatus::Ended),
            (&record.other_legs, LegStatus::Other),
        ];
        Self {
            id: record.id.as_str().to_owned(),
            queue_ids: record
                .queues
                .iter()
                .map(|q| q.as_str().to_owned())
                .collect(),
            started_at_ms: opt_ms(record.started_at),
            is_conference: record.is_conference,
            full_detail: record.full_detail,
            watched_user_ids: record
                .watched_users
                .iter()
                .map(|u| u.as_str().to_owned())
                .collect(),
            parties: lists
                .iter()
                .flat_map(|(list, status)| list.iter().map(|p| party_view(p, *status)))
                .collect(),
        }
    }
}

impl From<&core::RosterSnapshot> for RosterSnapshot {
    fn from(snapshot: &core::RosterSnapshot) -> Self {
        Self {
            seq: snapshot.seq,
            conversations: snapshot
                .conversations
                .iter()
                .map(|c| ConversationView::from(c.as_ref()))
                .collect(),
            connection: ConnectionView::from(&snapshot.status),
        }
    }
}

impl From<&core::RosterChange> for RosterEvent {
    /// One roster change, one numbered batch: the roster numbers its changes without gaps, so a
    /// gap seen by the UI means a change was lost on the way (it then asks for a snapshot).
    fn from(change: &core::RosterChange) -> Self {
        let changes = match &change.kind {
            ChangeKind::Upserted { conversation } if conversation.ended => {
                vec![RosterChange::Remove {
                    conversation_id: conversation.id.as_str().to_owned(),
                }]
            }
            ChangeKind::Upserted { conversation } => vec![RosterChange::Upsert {
                conversation: ConversationView::from(conversation.as_ref()),
            }],
            ChangeKind::Removed { id, .. } => vec![RosterChange::Remove {
                conversation_id: id.as_str().to_owned(),
            }],
            // The conversations a snapshot changed arrive as their own upserts and removals; its
            // effect on trust arrives as a status change.
            ChangeKind::Resynced { .. } => Vec::new(),
            ChangeKind::Status { status } => vec![RosterChange::Connection {
                connection: ConnectionView::from(status),
            }],
        };
        Self {
            seq: change.seq,
            changes,
        }
    }
}

/// One change to the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum RosterChange {
    /// A conversation appeared or changed: replace it by id.
    Upsert {
        /// The whole conversation as it is now.
        conversation: ConversationView,
    },
    /// A conversation ended or left the watched queues: remove it.
    Remove {
        /// Its id.
        conversation_id: String,
    },
    /// Everything was re-read (after a reconnect or a queue change): replace the whole board.
    Reset {
        /// Every conversation now on the board.
        conversations: Vec<ConversationView>,
    },
    /// The connection status changed.
    Connection {
        /// The new status.
        connection: ConnectionView,
    },
}

/// A numbered batch of changes on the `roster_subscribe` channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RosterEvent {
    /// One more than the previous batch's; a gap means batches were lost: ask for a snapshot.
    #[ts(type = "number")]
    pub seq: u64,
    /// Changes in the order they happened.
    pub changes: Vec<RosterChange>,
}

/// `roster_snapshot` / `roster_subscribe`: the whole board at `seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RosterSnapshot {
    /// The sequence number of the last batch this snapshot includes.
    #[ts(type = "number")]
    pub seq: u64,
    /// Every conversation on the watched queues.
    pub conversations: Vec<ConversationView>,
    /// The connection status.
    pub connection: ConnectionView,
}

/// `connection_status`: the status alone (what the status bar polls when no channel is open).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionStatusResponse {
    /// The status.
    pub connection: ConnectionView,
    /// When the board was last re-read in full (ms since the Unix epoch).
    #[ts(type = "number | null")]
    pub last_snapshot_ms: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_are_tagged_by_kind_with_camel_case_fields() {
        let event = RosterEvent {
            seq: 7,
            changes: vec![
                RosterChange::Remove {
                    conversation_id: "c1".into(),
                },
                RosterChange::Connection {
                    connection: ConnectionView::idle(),
                },
            ],
        };
        assert_eq!(
            serde_json::to_value(event).expect("json"),
            json!({"seq": 7, "changes": [
                {"kind": "remove", "conversationId": "c1"},
                {"kind": "connection", "connection": {
                    "state": "idle", "staleSinceMs": null, "retryInMs": null, "detail": null,
                    "sessionExpired": false, "completeness": {"discovered": 0, "held": 0,
                    "fullDetail": 0, "unread": 0, "retryInMs": null, "complete": false,
                    "missingPermissions": [], "notices": []}}}
            ]})
        );
    }
}
