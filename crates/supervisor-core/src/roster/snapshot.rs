//! The REST snapshot: which conversations are on the queues, then a read of each.
//!
//! Discovery combines three sources, because each misses something:
//! - queue observations (`oInteracting`, `oWaiting`, `oAlerting` with details) list calls with a
//!   connected agent, a waiting ACD leg or a ringing agent on the queue;
//! - the conversation detail query (`conversationEnd notExists`, segment `queueId`) also lists calls
//!   left without an agent (say customer + external after the agent dropped), which observations
//!   do not show; it is optional (permission `analytics:conversationDetail:view`) and best effort;
//! - every conversation the roster already shows on those queues, so a call that ended while the
//!   socket was down is read once more and leaves the board.
//!
//! Each conversation is then read (`GET /api/v2/conversations/{id}`, or the `calls/{id}` variant)
//! with bounded concurrency; the instant each request is sent is its observation time.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use genesys_client::{Client, Error, ErrorKind};
use genesys_model::{
    ConversationId, ConversationQuery, PagingSpec, QueueId, QueueObservationQuery,
};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

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
/// Detail query pages read at most (100 conversations each).
const MAX_DETAIL_PAGES: u32 = 50;

/// One conversation read.
pub(crate) enum ReadResult {
    /// The platform's view, observed at the instant the request was sent.
    Found(Box<Observation>, Instant),
    /// 404: the platform does not know it (any more).
    NotFound,
    /// Any other failure; the board keeps what it had.
    Failed(Error),
}

/// A finished snapshot of some queues.
pub(crate) struct Snapshot {
    pub queues: BTreeSet<QueueId>,
    pub reads: Vec<(ConversationId, ReadResult)>,
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

/// Discovers and reads every conversation on `queues`; `known` are the ids the board already shows.
///
/// Fails only when discovery itself fails (the board then stays as it was and the snapshot is
/// retried); individual read failures are reported per conversation.
pub(crate) async fn take(
    client: Client,
    queues: BTreeSet<QueueId>,
    known: Vec<ConversationId>,
    read: SnapshotRead,
    concurrency: usize,
    details_query: bool,
) -> Result<Snapshot, Error> {
    let started = Instant::now();
    // conversation -> queues it was found on
    let mut found: BTreeMap<ConversationId, Vec<QueueId>> = BTreeMap::new();
    let queue_list: Vec<QueueId> = queues.iter().cloned().collect();
    for chunk in queue_list.chunks(QUEUES_PER_QUERY) {
        let query = QueueObservationQuery::active_voice_conversations(chunk);
        let response = client.queue_observations(&query).await?;
        for group in &response.results {
            let queue = group.queue_id().map(QueueId::new);
            for id in group
                .data
                .iter()
                .flat_map(|d| &d.observations)
                .filter_map(|o| o.conversation_id.clone())
            {
                let entry = found.entry(id).or_default();
                if let Some(q) = &queue {
                    if !entry.contains(q) {
                        entry.push(q.clone());
                    }
                }
            }
        }
    }
    if details_query {
        match discover_with_details(&client, &queue_list).await {
            Ok(ids) => {
                for id in ids {
                    found.entry(id).or_default();
                }
            }
            Err(e) if e.kind() == ErrorKind::Unauthorized => return Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "conversation detail query failed; using observations only")
            }
        }
    }
    for id in known {
        found.entry(id).or_default();
    }

    let limit = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for (id, seen_on) in found {
        let client = client.clone();
        let limit = Arc::clone(&limit);
        tasks.spawn(async move {
            // The semaphore is never closed, so acquiring cannot fail; a failure would only mean
            // reading without the bound.
            let _permit = limit.acquire_owned().await.ok();
            let result = read_one(&client, read, &id, seen_on).await;
            (id, result)
        });
    }
    let mut reads = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(pair) => reads.push(pair),
            Err(e) => tracing::error!(error = %e, "a snapshot read task failed"),
        }
    }
    // A 401 on any read means the session is over: the snapshot as a whole fails with it.
    if let Some(pos) = reads.iter().position(
        |(_, r)| matches!(r, ReadResult::Failed(e) if e.kind() == ErrorKind::Unauthorized),
    ) {
        if let (_, ReadResult::Failed(e)) = reads.swap_remove(pos) {
            return Err(e);
        }
    }
    tracing::info!(
        queues = queues.len(),
        conversations = reads.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "roster snapshot taken"
    );
    Ok(Snapshot { queues, reads })
}

async fn discover_with_details(
    client: &Client,
    queues: &[QueueId],
) -> Result<Vec<ConversationId>, Error> {
    let now = Utc::now();
    let interval = format!(
        "{}/{}",
        (now - chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M:%S%.3fZ"),
        (now + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%S%.3fZ")
    );
    let mut ids = Vec::new();
    for chunk in queues.chunks(QUEUES_PER_QUERY) {
        for page in 1..=MAX_DETAIL_PAGES {
            let query = ConversationQuery::active_on_queues(
                interval.clone(),
                chunk,
                PagingSpec {
                    page_size: 100,
                    page_number: page,
                },
            );
            let response = client.conversation_details(&query).await?;
            let count = response.conversations.len();
            ids.extend(
                response
                    .conversations
                    .into_iter()
                    .filter(|c| c.is_active())
                    .map(|c| c.conversation_id),
            );
            if count < 100 {
                break;
            }
        }
    }
    Ok(ids)
}

/// Backoff between failed snapshot attempts: 0.5 s doubling to 30 s.
pub(crate) fn retry_delay(attempt: u32) -> Duration {
    let step = Duration::from_millis(500).saturating_mul(2u32.saturating_pow(attempt.min(16)));
    step.min(Duration::from_secs(30))
}
