//! The sweep: which live calls the watched queues and people have, read a page at a time.
//!
//! One GET per conversation does not scale (1,000 calls cost more than three minutes of a token's
//! 300 requests a minute), so a sweep costs pages, not calls (docs/genesys-api.md, "Reading many
//! calls"):
//! - queue observations (`oInteracting`, `oWaiting`, `oAlerting` with details) name the calls with a
//!   connected agent, a waiting ACD leg or a ringing agent: one request per 50 queues;
//! - the conversation details query (`conversationEnd notExists`, segments on a watched queue or
//!   with a watched user, 100 per page, interval from yesterday 00:00 to tomorrow 00:00 UTC) names
//!   every live call and carries its legs, which become board records at once; pages are
//!   de-duplicated because the result set drifts while it is read;
//! - calls the board showed that the sweep did not return are asked for by id (100 per request):
//!   analytics says which ended while nobody was listening;
//! - whatever is still unexplained (analytics has not caught up with a call a few seconds old, a
//!   call it cannot map, or no permission for the details query) is read with
//!   `GET /api/v2/conversations/{id}`, paced by the session's request budget.
//!
//! Analytics lags the platform by seconds, so each page counts as observed `lag` before it was
//! requested, and the merge rule treats it as weak (see the model's ordering rule 5).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chrono::{Datelike, TimeZone, Utc};
use genesys_client::{Client, Error, ErrorKind};
use genesys_model::{
    AnalyticsConversation, ConversationId, ConversationQuery, PagingSpec, QueueId,
    QueueObservationQuery, UserId,
};

use super::model::Watch;
use super::normalize::{self, Observation};

/// Which REST read gives a conversation's parties.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SnapshotRead {
    /// `GET /api/v2/conversations/{id}` (documented for `conversation:communication:view`; carries
    /// `calls[]` with communication ids and the conversation's `endTime`).
    #[default]
    Conversation,
    /// `GET /api/v2/conversations/calls/{id}` (flat participants, same shape as events).
    Call,
}

/// Queues per observation query: keeps one request's filter a reasonable size.
const QUEUES_PER_QUERY: usize = 50;
/// Queue and user predicates per details query.
const PREDICATES_PER_QUERY: usize = 100;
/// The details query's largest page.
pub(crate) const PAGE_SIZE: u32 = 100;
/// The platform refuses paging deeper than this many results.
const MAX_DEPTH: u32 = 100_000;
/// The permission the details query needs.
pub const DETAILS_PERMISSION: &str = "analytics:conversationDetail:view";
/// The permission queue observations need.
pub const OBSERVATIONS_PERMISSION: &str = "analytics:queueObservation:view";

/// One conversation read.
pub(crate) enum ReadResult {
    /// The platform's view, observed at the instant the request was sent.
    Found(Box<Observation>, Instant),
    /// 404: the platform does not know it (any more).
    NotFound,
    /// Any other failure; the board keeps what it had.
    Failed(Error),
}

/// What one sweep found.
pub(crate) struct Sweep {
    /// Mapped analytics conversations, with the instant each counts as observed.
    pub observations: Vec<(Observation, Instant)>,
    /// Calls the board showed that analytics reports ended.
    pub ended: Vec<ConversationId>,
    /// Calls known to exist that must be read one by one.
    pub to_read: Vec<(ConversationId, Vec<QueueId>)>,
    /// Permissions the sweep found missing (it fell back to slower reads).
    pub missing_permissions: Vec<String>,
    /// Plain sentences for the board.
    pub notices: Vec<String>,
    /// Requests the sweep sent.
    pub requests: u32,
}

/// Reads one conversation with the configured read, falling back to the other on 403.
pub(crate) async fn read_one(
    client: &Client,
    read: SnapshotRead,
    id: &ConversationId,
    queues: Vec<QueueId>,
) -> ReadResult {
    let sent = Instant::now();
    let first = match read {
        SnapshotRead::Conversation => client
            .conversation(id)
            .await
            .map(|c| normalize::from_conversation(c, queues.clone())),
        SnapshotRead::Call => client
            .call_conversation(id)
            .await
            .map(|c| normalize::from_call(c, queues.clone())),
    };
    let result = match first {
        Err(e) if e.kind() == ErrorKind::Forbidden => {
            let sent = Instant::now();
            let second = match read {
                SnapshotRead::Conversation => client
                    .call_conversation(id)
                    .await
                    .map(|c| normalize::from_call(c, queues)),
                SnapshotRead::Call => client
                    .conversation(id)
                    .await
                    .map(|c| normalize::from_conversation(c, queues)),
            };
            return classify(second, sent);
        }
        other => other,
    };
    classify(result, sent)
}

fn classify(result: Result<Observation, Error>, sent: Instant) -> ReadResult {
    match result {
        Ok(observation) => ReadResult::Found(Box::new(observation), sent),
        Err(e) if e.kind() == ErrorKind::NotFound => ReadResult::NotFound,
        Err(e) => ReadResult::Failed(e),
    }
}

/// The details query's interval: yesterday 00:00 to tomorrow 00:00 UTC, so a call that crossed
/// midnight is still found (results only hold conversations that started on a day it touches).
pub(crate) fn details_interval(now: chrono::DateTime<Utc>) -> String {
    let today = Utc
        .with_ymd_and_hms(now.year(), now.month(), now.day(), 0, 0, 0)
        .single()
        .unwrap_or(now);
    let from = today - chrono::Duration::days(1);
    let to = today + chrono::Duration::days(1);
    format!(
        "{}/{}",
        from.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
        to.format("%Y-%m-%dT%H:%M:%S%.3fZ")
    )
}

/// Options of one sweep.
pub(crate) struct SweepOptions {
    /// Use the details query (off once it answered 403 this session).
    pub details: bool,
    /// How far analytics lags the platform.
    pub lag: Duration,
}

fn is_session_error(e: &Error) -> bool {
    matches!(e.kind(), ErrorKind::Unauthorized | ErrorKind::NotSignedIn)
}

/// Sweeps everything watched; `known` are the ids the board holds or waits to read.
///
/// Fails only when discovery itself fails for a reason other than a permission (the board then
/// stays as it was and the sweep is retried).
pub(crate) async fn sweep(
    client: Client,
    watch: Watch,
    known: Vec<ConversationId>,
    options: SweepOptions,
) -> Result<Sweep, Error> {
    let started = Instant::now();
    let mut out = Sweep {
        observations: Vec::new(),
        ended: Vec::new(),
        to_read: Vec::new(),
        missing_permissions: Vec::new(),
        notices: Vec::new(),
        requests: 0,
    };
    // conversation -> queues the observations found it on
    let mut observed: BTreeMap<ConversationId, Vec<QueueId>> = BTreeMap::new();
    let queues: Vec<QueueId> = watch.queues.iter().cloned().collect();
    let users: Vec<UserId> = watch.users.iter().cloned().collect();
    for chunk in queues.chunks(QUEUES_PER_QUERY) {
        let query = QueueObservationQuery::active_voice_conversations(chunk);
        out.requests += 1;
        let response = match client.queue_observations(&query).await {
            Ok(r) => r,
            Err(e) if e.kind() == ErrorKind::Forbidden => {
                out.missing_permissions
                    .push(OBSERVATIONS_PERMISSION.to_owned());
                break;
            }
            Err(e) => return Err(e),
        };
        for group in &response.results {
            let queue = group.queue_id().map(QueueId::new);
            for id in group
                .data
                .iter()
                .flat_map(|d| &d.observations)
                .filter_map(|o| o.conversation_id.clone())
            {
                let entry = observed.entry(id).or_default();
                if let Some(q) = &queue {
                    if !entry.contains(q) {
                        entry.push(q.clone());
                    }
                }
            }
        }
    }

    let mut seen: BTreeSet<ConversationId> = BTreeSet::new();
    let mut details = options.details;
    if details {
        let interval = details_interval(Utc::now());
        let targets: Vec<Target<'_>> = queues
            .iter()
            .map(Target::Queue)
            .chain(users.iter().map(Target::User))
            .collect();
        'chunks: for chunk in targets.chunks(PREDICATES_PER_QUERY) {
            let (qs, us) = split(chunk);
            let mut page = 1;
            while page * PAGE_SIZE <= MAX_DEPTH {
                let query = ConversationQuery::active_on(
                    interval.clone(),
                    &qs,
                    &us,
                    PagingSpec {
                        page_size: PAGE_SIZE,
                        page_number: page,
                    },
                );
                let sent = Instant::now();
                out.requests += 1;
                let response = match client.conversation_details(&query).await {
                    Ok(r) => r,
                    Err(e) if e.kind() == ErrorKind::Forbidden => {
                        out.missing_permissions.push(DETAILS_PERMISSION.to_owned());
                        details = false;
                        break 'chunks;
                    }
                    Err(e) if e.status() == Some(400) => {
                        // A refused interval or a page too deep: keep what the pages gave, read
                        // the rest one by one, and say so.
                        tracing::warn!(error = %e, page, "details query refused");
                        out.notices.push(format!(
                            "The analytics query was refused ({}); the remaining calls are read one by one.",
                            e.vendor_message().unwrap_or_else(|| "bad request".to_owned())
                        ));
                        break;
                    }
                    Err(e) => return Err(e),
                };
                let at = sent.checked_sub(options.lag).unwrap_or(sent);
                let count = response.conversations.len();
                for conversation in response.conversations {
                    take(&mut out, &mut seen, conversation, at, &observed);
                }
                if count < PAGE_SIZE as usize {
                    break;
                }
                page += 1;
            }
        }
    }
    for (id, queues) in &observed {
        if !seen.contains(id) {
            out.to_read.push((id.clone(), queues.clone()));
        }
    }
    // Calls the board held that this sweep did not explain.
    let missing: Vec<ConversationId> = known
        .into_iter()
        .filter(|id| !seen.contains(id) && !observed.contains_key(id))
        .collect();
    if details {
        let interval = details_interval(Utc::now());
        for chunk in missing.chunks(PAGE_SIZE as usize) {
            let query = ConversationQuery::by_ids(
                interval.clone(),
                chunk,
                PagingSpec {
                    page_size: PAGE_SIZE,
                    page_number: 1,
                },
            );
            let sent = Instant::now();
            out.requests += 1;
            let answered: BTreeSet<ConversationId> = match client.conversation_details(&query).await
            {
                Ok(response) => {
                    let at = sent.checked_sub(options.lag).unwrap_or(sent);
                    let mut answered = BTreeSet::new();
                    for conversation in response.conversations {
                        answered.insert(conversation.conversation_id.clone());
                        if conversation.conversation_end.is_some() {
                            seen.insert(conversation.conversation_id.clone());
                            out.ended.push(conversation.conversation_id);
                        } else {
                            take(&mut out, &mut seen, conversation, at, &observed);
                        }
                    }
                    answered
                }
                Err(e) if is_session_error(&e) => return Err(e),
                Err(e) => {
                    tracing::warn!(error = %e, "details query by id failed; reading those calls");
                    BTreeSet::new()
                }
            };
            for id in chunk.iter().filter(|id| !answered.contains(*id)) {
                out.to_read.push((id.clone(), Vec::new()));
            }
        }
    } else {
        out.to_read
            .extend(missing.into_iter().map(|id| (id, Vec::new())));
    }
    tracing::info!(
        queues = queues.len(),
        users = users.len(),
        mapped = out.observations.len(),
        ended = out.ended.len(),
        to_read = out.to_read.len(),
        requests = out.requests,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "roster sweep done"
    );
    Ok(out)
}

enum Target<'a> {
    Queue(&'a QueueId),
    User(&'a UserId),
}

fn split(chunk: &[Target<'_>]) -> (Vec<QueueId>, Vec<UserId>) {
    let mut queues = Vec::new();
    let mut users = Vec::new();
    for t in chunk {
        match t {
            Target::Queue(q) => queues.push((*q).clone()),
            Target::User(u) => users.push((*u).clone()),
        }
    }
    (queues, users)
}

/// Takes one analytics conversation into the sweep (the first copy of it wins).
fn take(
    out: &mut Sweep,
    seen: &mut BTreeSet<ConversationId>,
    conversation: AnalyticsConversation,
    at: Instant,
    observed: &BTreeMap<ConversationId, Vec<QueueId>>,
) {
    if !seen.insert(conversation.conversation_id.clone()) {
        return;
    }
    match normalize::from_analytics(&conversation) {
        Some(mut observation) => {
            if let Some(queues) = observed.get(&observation.id) {
                for q in queues {
                    if !observation.queues.contains(q) {
                        observation.queues.push(q.clone());
                    }
                }
            }
            out.observations.push((observation, at));
        }
        None => out.to_read.push((
            conversation.conversation_id.clone(),
            observed
                .get(&conversation.conversation_id)
                .cloned()
                .unwrap_or_default(),
        )),
    }
}

/// Backoff between failed attempts: 0.5 s doubling to 30 s.
pub(crate) fn retry_delay(attempt: u32) -> Duration {
    let step = Duration::from_millis(500).saturating_mul(2u32.saturating_pow(attempt.min(16)));
    step.min(Duration::from_secs(30))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_spans_yesterday_to_tomorrow_midnight() {
        let now = Utc
            .with_ymd_and_hms(2026, 3, 1, 0, 30, 0)
            .single()
            .expect("time");
        assert_eq!(
            details_interval(now),
            "2026-02-28T00:00:00.000Z/2026-03-02T00:00:00.000Z"
        );
    }
}
