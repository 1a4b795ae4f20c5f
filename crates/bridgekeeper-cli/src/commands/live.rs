//! The live roster as the CLI uses it: started for some queues, awaited, and shut down, plus the
//! JSON/human view of a conversation shared by `calls` and `watch`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use genesys_client::Client;
use genesys_model::UserId;
use genesys_model::{ConversationId, QueueId};
use genesys_notify::NotifyConfig;
use serde::Serialize;
use supervisor_core::app;
use supervisor_core::auth::Session;
use supervisor_core::roster::{
    ChangeKind, ConnectionState, ConversationRecord, LegStatus, Party, Roster, RosterConfig,
    RosterStatus, Watch, WatchRequest,
};
use tokio::sync::broadcast::error::RecvError;

use crate::cli::QueueSelection;
use crate::commands::queues::QueueView;
use crate::context::Context;
use crate::error::CliError;

/// How long `calls` waits for a complete board (every call read; at the platform's rate limit a
/// board without the analytics permission reads a few calls a second).
pub const TRUST_TIMEOUT: Duration = Duration::from_secs(120);
/// How long an action waits for the notification socket before relying on re-reads.
pub const LIVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Starts the roster (notification channel, subscriptions, sweep) for `queues`.
pub fn start(session: &Session, api: &Client, queues: Vec<QueueId>) -> Roster {
    start_watching(session, api, queues, Vec::new())
}

/// Starts the roster for queues and people.
pub fn start_watching(
    session: &Session,
    api: &Client,
    queues: Vec<QueueId>,
    users: Vec<UserId>,
) -> Roster {
    app::board::start_roster(
        session,
        api,
        WatchRequest {
            watch: Watch {
                queues: queues.into_iter().collect(),
                users: users.into_iter().collect(),
            },
            queue_people: false,
        },
        NotifyConfig::default(),
        RosterConfig::default(),
    )
}

/// Resolves `--queue` and `--user` for the signed-in session and starts the roster on them;
/// returns the resolved queues (for names) and the roster.
pub async fn start_selection(
    ctx: &Context,
    args: &QueueSelection,
) -> Result<(Vec<QueueView>, Roster), CliError> {
    let session = ctx.session().await?;
    start_selection_for(&session, args).await
}

/// [`start_selection`] on a session the command already holds: one session per process, so a
/// refresh (which replaces the refresh token) serves the roster and the actions alike.
pub async fn start_selection_for(
    session: &Session,
    args: &QueueSelection,
) -> Result<(Vec<QueueView>, Roster), CliError> {
    let api = session.api_client()?;
    let queues = if args.queues.is_empty() {
        Vec::new()
    } else {
        crate::commands::queues::resolve(&api, &args.queues).await?
    };
    let users = resolve_users(&args.users, &session.user().id)?;
    let roster = start_watching(session, &api, queue_ids(&queues), users);
    Ok((queues, roster))
}

/// Resolves `--user` values: `me` is the signed-in user; anything else must pass the one id rule.
pub fn resolve_users(values: &[String], me: &str) -> Result<Vec<UserId>, CliError> {
    let ids = values.iter().map(|v| {
        if v.trim().eq_ignore_ascii_case("me") {
            me
        } else {
            v.as_str()
        }
    });
    let ids = app::ids::valid_ids(ids, "user").map_err(|e| CliError::new(e.to_string()))?;
    Ok(ids.into_iter().map(UserId::new).collect())
}

/// True when the board holds every call it knows of and events flow.
fn ready(status: &RosterStatus) -> bool {
    status.trusted && status.completeness.is_complete()
}

/// "640 of 1,000 calls read" and what is missing, for messages.
pub fn completeness_text(status: &RosterStatus) -> String {
    let c = &status.completeness;
    let mut text = format!("{} of {} calls read", c.held, c.discovered);
    if !c.missing_permissions.is_empty() {
        text.push_str(&format!(
            "; missing permission {} (reading call by call instead)",
            c.missing_permissions.join(", ")
        ));
    }
    text
}

/// Waits until the board is complete; a closed connection (say an expired session) fails at once,
/// and a board still incomplete at the deadline fails saying how many calls could not be read.
pub async fn wait_trusted(roster: &Roster, within: Duration) -> Result<(), CliError> {
    let mut changes = roster.changes();
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let status = roster.status();
        if ready(&status) {
            return Ok(());
        }
        if let Some(e) = closed_error(&status.connection) {
            return Err(e);
        }
        match tokio::time::timeout_at(deadline, changes.recv()).await {
            Ok(Ok(_)) | Ok(Err(RecvError::Lagged(_))) => {}
            Ok(Err(RecvError::Closed)) | Err(_) => {
                let status = roster.status();
                if ready(&status) {
                    return Ok(());
                }
                let c = &status.completeness;
                if status.trusted && c.unread > 0 {
                    return Err(CliError::new(format!(
                        "{} of {} calls could not be read within {} s ({}{})",
                        c.unread,
                        c.discovered,
                        within.as_secs(),
                        completeness_text(&status),
                        status
                            .last_error
                            .as_deref()
                            .map(|e| format!("; {e}"))
                            .unwrap_or_default()
                    )));
                }
                let why = status
                    .last_error
                    .clone()
                    .unwrap_or_else(|| connection_text(&status.connection));
                return Err(CliError::new(format!(
                    "the call list could not be read within {} s ({why})",
                    within.as_secs()
                )));
            }
        }
    }
}

/// How long `calls` waits, once the listing is complete, for the paced detail reads (mute, hold,
/// exact state) to finish; what is still unknown then prints as unknown.
pub const DETAIL_TIMEOUT: Duration = Duration::from_secs(10);

/// Waits (bounded) until every call on the board is fully known; false if some are not.
pub async fn wait_full_detail(roster: &Roster, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let c = roster.status().completeness;
        if c.full_detail >= c.held {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits (bounded) until events flow, so a confirming event cannot be missed; returns whether
/// they do (if not, actions confirm by re-reading).
pub async fn wait_live(roster: &Roster, within: Duration) -> bool {
    let mut changes = roster.changes();
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if roster.status().connection.is_live() {
            return true;
        }
        match tokio::time::timeout_at(deadline, changes.recv()).await {
            Ok(Ok(_)) | Ok(Err(RecvError::Lagged(_))) => {}
            Ok(Err(RecvError::Closed)) | Err(_) => return roster.status().connection.is_live(),
        }
    }
}

/// The roster for one conversation's queues, so the action's confirming event arrives.
pub async fn for_conversation(
    session: &Session,
    api: &Client,
    conversation: &ConversationId,
) -> Roster {
    let roster = start(session, api, Vec::new());
    // The queues come from the conversation itself; a failed read leaves the roster without
    // queues and the action then confirms by re-reading (it reports the read error itself).
    if let Ok(record) = roster.reread(conversation).await {
        if !record.queues.is_empty() && roster.set_queues(record.queues.clone()).await.is_ok() {
            wait_live(&roster, LIVE_TIMEOUT).await;
        }
    }
    roster
}

/// A closed connection as a CLI error (sign in again, or the platform's refusal).
pub fn closed_error(connection: &ConnectionState) -> Option<CliError> {
    match connection {
        c if c.is_session_expired() => Some(CliError::session_expired()),
        ConnectionState::Closed { message, .. } => Some(CliError::new(format!(
            "the notification connection closed: {message}"
        ))),
        _ => None,
    }
}

/// The connection in words.
pub fn connection_text(connection: &ConnectionState) -> String {
    match connection {
        ConnectionState::Connecting => "connecting".into(),
        ConnectionState::Subscribing => "subscribing".into(),
        ConnectionState::Live => "live".into(),
        ConnectionState::BackingOff {
            attempt,
            retry_in_ms,
        } => format!("reconnecting (attempt {attempt}, next in {retry_in_ms} ms)"),
        ConnectionState::Closed { code, message } => format!("closed ({code}): {message}"),
    }
}

/// One leg as the CLI prints it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PartyView {
    /// Participant id: what `drop`/`mute`/`hold` take.
    pub participant_id: String,
    /// Display name.
    pub name: String,
    /// Purpose (`agent`, `customer`, ...).
    pub purpose: String,
    /// Leg state (`connected`, `disconnected`, ...).
    pub state: Option<String>,
    /// `live`, `ended`, `stale_duplicate` or `other`.
    pub leg: &'static str,
    /// Only live legs can be acted on.
    pub actionable: bool,
    /// Muted (`null`: not known yet, the board rests on analytics data for this call).
    pub muted: Option<bool>,
    /// On hold (`null`: not known yet).
    pub held: Option<bool>,
    /// Confined (`null`: not known yet).
    pub confined: Option<bool>,
    /// Seconds on the call (since connected) for live legs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_call_secs: Option<i64>,
    /// User id, when a user is on the leg.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

impl PartyView {
    fn new(p: &Party, leg: LegStatus, now: DateTime<Utc>) -> Self {
        let live = leg == LegStatus::Live;
        Self {
            participant_id: p.participant_id.as_str().to_owned(),
            name: p.name.clone(),
            purpose: p.purpose_text().to_owned(),
            state: p.state.as_ref().map(|s| s.as_str().to_owned()),
            leg: leg_name(leg),
            actionable: live,
            muted: p.muted,
            held: p.held,
            confined: p.confined,
            on_call_secs: if live {
                p.connected_since
                    .as_ref()
                    .map(|t| (now - t.instant()).num_seconds().max(0))
            } else {
                None
            },
            user_id: p.user_id.as_ref().map(|u| u.as_str().to_owned()),
        }
    }

    /// "muted, held" (or empty).
    pub fn flags(&self) -> String {
        let mut flags = Vec::new();
        for (value, name, unknown) in [
            (self.muted, "muted", "muted?"),
            (self.held, "held", "held?"),
            (self.confined, "confined", "confined?"),
        ] {
            match value {
                Some(true) => flags.push(name),
                // Only live legs can be muted or held now; say when that is not known yet.
                None if self.actionable => flags.push(unknown),
                _ => {}
            }
        }
        flags.join(",")
    }
}

/// The wire name of a leg status.
pub fn leg_name(leg: LegStatus) -> &'static str {
    match leg {
        LegStatus::Live => "live",
        LegStatus::Ended => "ended",
        LegStatus::StaleDuplicate => "stale_duplicate",
        LegStatus::Other => "other",
    }
}

/// One conversation as the CLI prints it: live parties first, then the legs that are not
/// actionable, each marked.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationView {
    /// Conversation id.
    pub conversation_id: String,
    /// Queue ids on the conversation.
    pub queue_ids: Vec<String>,
    /// Queue names, where known.
    pub queue_names: Vec<String>,
    /// When the call began.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// More than two live parties.
    pub conference: bool,
    /// Every leg ended.
    pub ended: bool,
    /// Live people (ACD leg excluded).
    pub live_parties: usize,
    /// False while some fields rest on analytics data and are not known yet.
    pub full_detail: bool,
    /// Watched people on the call (why a bridge without a queue is listed).
    pub watched_user_ids: Vec<String>,
    /// Every leg, live first.
    pub parties: Vec<PartyView>,
}

impl ConversationView {
    /// Builds the view; `queues` names the queue ids it knows.
    pub fn new(record: &ConversationRecord, queues: &[QueueView], now: DateTime<Utc>) -> Self {
        let mut parties = Vec::new();
        for (list, leg) in [
            (&record.parties, LegStatus::Live),
            (&record.stale_duplicates, LegStatus::StaleDuplicate),
            (&record.ended_legs, LegStatus::Ended),
            (&record.other_legs, LegStatus::Other),
        ] {
            parties.extend(list.iter().map(|p| PartyView::new(p, leg, now)));
        }
        let queue_ids: Vec<String> = record
            .queues
            .iter()
            .map(|q| q.as_str().to_owned())
            .collect();
        let queue_names = queue_ids
            .iter()
            .filter_map(|id| queues.iter().find(|q| &q.id == id).map(|q| q.name.clone()))
            .collect();
        Self {
            conversation_id: record.id.as_str().to_owned(),
            queue_ids,
            queue_names,
            started_at: record.started_at.as_ref().map(|t| {
                t.instant()
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            }),
            conference: record.is_conference,
            ended: record.ended,
            live_parties: record.live_people_count(),
            full_detail: record.full_detail,
            watched_user_ids: record
                .watched_users
                .iter()
                .map(|u| u.as_str().to_owned())
                .collect(),
            parties,
        }
    }
}

/// Ids of queues, for the roster.
pub fn queue_ids(queues: &[QueueView]) -> Vec<QueueId> {
    queues.iter().map(|q| QueueId::new(q.id.clone())).collect()
}

/// The kind of a change, for `watch`.
pub fn change_type(kind: &ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Upserted { .. } => "upserted",
        ChangeKind::Removed { .. } => "removed",
        ChangeKind::Resynced { .. } => "resynced",
        ChangeKind::Status { .. } => "status",
    }
}
