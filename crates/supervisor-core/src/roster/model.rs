//! The roster's state and its merge rule, free of I/O so it can be tested and benchmarked directly.
//!
//! # Ordering rule
//!
//! Genesys events carry no sequence number and a REST read can race an event, so every
//! observation (event or GET) is a full conversation snapshot merged by these rules:
//!
//! 1. **Legs only move forward.** A participant is never removed (the platform keeps ended legs in
//!    `participants[]`), and a leg seen ended never becomes live again: an observation that shows
//!    it live is stale for that leg, and the ended leg is kept. A new live leg always has a new id.
//! 2. **Ended conversations stay ended.** When every leg has ended the conversation leaves the
//!    board and is remembered (a tombstone, for `tombstone_ttl`); a late event or read that shows it
//!    live again is ignored.
//! 3. **Newest observation wins for the rest.** Each observation carries the instant it was made
//!    (an event: when it was received; a GET: when the request was sent). An observation older
//!    than what the record already reflects only contributes forward facts (new legs, newly ended
//!    legs); its volatile fields (state of live legs, muted, held, confined, names) are ignored.
//! 4. **Duplicates are free.** An observation that changes nothing keeps the record's identity and
//!    emits no change.
//!
//! 5. **Analytics data is weak.** A details-query observation (which lags the platform and carries
//!    no state, mute or confinement) counts as *older* than a record observed since the current
//!    socket went live (that record's flags are current: every change since came as an event), so
//!    it only adds forward facts. A record from before the current connection takes its legs, with
//!    the fields analytics lacks set to unknown, and is read in full later.
//!
//! Limit: two events with the same legs in the same states but different mute/hold flags, delivered
//! out of order by the platform, cannot be told apart; the next event corrects the flags.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use genesys_model::{ConversationId, QueueId, UserId};
use genesys_notify::ConversationEvent;
use tokio::sync::broadcast;

use super::change::{
    ChangeKind, Completeness, RemovalReason, RosterChange, RosterSnapshot, RosterStatus,
};
use super::merge::{build_record, merge_legs, watched_users_of};
use super::normalize::{self, Detail, LegClass, Observation};
use super::record::ConversationRecord;

/// What applying one observation did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// The conversation appeared or changed (change `seq`).
    Upserted(u64),
    /// The conversation ended and left the board (change `seq`).
    Removed(u64),
    /// Nothing changed (a duplicate, or an older observation with nothing new).
    Unchanged,
    /// Not on a watched queue.
    Unwatched,
    /// The conversation already ended; the late observation was ignored.
    AlreadyEnded,
    /// A conversation never seen before arrived without any participant: nothing to show.
    Empty,
}

struct Entry {
    record: Arc<ConversationRecord>,
    observed_at: Instant,
}

/// The result of merging one observation: the effect, and the merged record (even when it was not
/// kept, e.g. an ended conversation, so a re-read can still be judged).
pub(crate) struct Applied {
    pub effect: Effect,
    pub record: Arc<ConversationRecord>,
}

/// What the board watches: queues, and people (for bridges that carry no queue).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Watch {
    /// Queues whose calls are on the board.
    pub queues: BTreeSet<QueueId>,
    /// People whose calls are on the board, whatever queue (or none) they came through.
    pub users: BTreeSet<UserId>,
}

impl Watch {
    /// Queues only.
    pub fn queues(queues: impl IntoIterator<Item = QueueId>) -> Self {
        Self {
            queues: queues.into_iter().collect(),
            users: BTreeSet::new(),
        }
    }

    /// True when nothing is watched.
    pub fn is_empty(&self) -> bool {
        self.queues.is_empty() && self.users.is_empty()
    }
}

/// The roster's state: conversations, tombstones, status and the change stream.
pub struct RosterModel {
    watched: Watch,
    entries: BTreeMap<ConversationId, Entry>,
    /// Live calls known to exist (from discovery) that are not on the board yet.
    unread: BTreeMap<ConversationId, Vec<QueueId>>,
    /// Records on the board that are not fully known.
    partial: usize,
    /// When the current socket went live: records observed since then have current flags.
    continuity_since: Option<Instant>,
    tombstones: HashMap<ConversationId, Instant>,
    tombstone_ttl: Duration,
    seq: u64,
    status: RosterStatus,
    changes: broadcast::Sender<RosterChange>,
}

impl std::fmt::Debug for RosterModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RosterModel")
            .field("queues", &self.watched.queues.len())
            .field("conversations", &self.entries.len())
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

const TOMBSTONE_SOFT_CAP: usize = 20_000;

impl RosterModel {
    /// An empty roster for these queues; `change_capacity` bounds how far a slow consumer may lag
    /// before it must take a fresh snapshot.
    pub fn new(queues: impl IntoIterator<Item = QueueId>, change_capacity: usize) -> Self {
        Self::watching(Watch::queues(queues), change_capacity)
    }

    /// An empty roster for queues and people.
    pub fn watching(watch: Watch, change_capacity: usize) -> Self {
        let (changes, _) = broadcast::channel(change_capacity.max(16));
        Self {
            watched: watch,
            entries: BTreeMap::new(),
            unread: BTreeMap::new(),
            partial: 0,
            continuity_since: None,
            tombstones: HashMap::new(),
            tombstone_ttl: Duration::from_secs(30 * 60),
            seq: 0,
            status: RosterStatus::starting(Utc::now()),
            changes,
        }
    }

    /// How long an ended conversation is remembered so late events cannot resurrect it.
    pub fn set_tombstone_ttl(&mut self, ttl: Duration) {
        self.tombstone_ttl = ttl;
    }

    /// Number of conversations on the board.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no conversation is on the board.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The last change number.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The watched queues.
    pub fn queues(&self) -> Vec<QueueId> {
        self.watched.queues.iter().cloned().collect()
    }

    /// What is watched.
    pub fn watch(&self) -> &Watch {
        &self.watched
    }

    /// Marks the instant the current socket went live (events are complete from then on).
    pub(crate) fn set_continuity_since(&mut self, at: Option<Instant>) {
        self.continuity_since = at;
    }

    /// Records calls discovery found but the board does not hold yet (they will be read).
    pub(crate) fn mark_unread(
        &mut self,
        ids: impl IntoIterator<Item = (ConversationId, Vec<QueueId>)>,
    ) {
        for (id, queues) in ids {
            if !self.entries.contains_key(&id) && !self.tombstones.contains_key(&id) {
                self.unread.insert(id, queues);
            }
        }
    }

    /// A call discovery named turned out not to be watched: it is not missing.
    pub(crate) fn forget_unread(&mut self, id: &ConversationId) {
        self.unread.remove(id);
    }

    /// A call discovery named could not be read (yet) but is not known to be gone either.
    pub(crate) fn unread(&self) -> Vec<(ConversationId, Vec<QueueId>)> {
        self.unread
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Records that rest on analytics data, oldest observation first, at most `n`.
    pub(crate) fn partial_records(&self, n: usize) -> Vec<Arc<ConversationRecord>> {
        if self.partial == 0 {
            return Vec::new();
        }
        let mut partial: Vec<&Entry> = self
            .entries
            .values()
            .filter(|e| !e.record.full_detail)
            .collect();
        partial.sort_by_key(|e| e.observed_at);
        partial
            .into_iter()
            .take(n)
            .map(|e| Arc::clone(&e.record))
            .collect()
    }

    /// The completeness counts now (the status carries a copy refreshed by the roster task).
    pub fn completeness_counts(&self) -> (usize, usize, usize) {
        let held = self.entries.len();
        (held + self.unread.len(), held, held - self.partial)
    }

    /// Copies the counts into the status (announcing it when something changed).
    pub(crate) fn refresh_completeness(&mut self, f: impl FnOnce(&mut Completeness)) {
        let (discovered, held, full) = self.completeness_counts();
        let unread = self.unread.len();
        self.update_status(|s| {
            let c = &mut s.completeness;
            c.discovered = discovered;
            c.held = held;
            c.full_detail = full;
            c.unread = unread;
            f(c);
            if unread == 0 {
                c.next_retry = None;
            }
        });
    }

    fn insert_entry(&mut self, id: ConversationId, entry: Entry) {
        if !entry.record.full_detail {
            self.partial += 1;
        }
        self.unread.remove(&id);
        if let Some(old) = self.entries.insert(id, entry) {
            if !old.record.full_detail {
                self.partial -= 1;
            }
        }
    }

    fn remove_entry(&mut self, id: &ConversationId) -> Option<Entry> {
        self.unread.remove(id);
        let old = self.entries.remove(id)?;
        if !old.record.full_detail {
            self.partial -= 1;
        }
        Some(old)
    }

    fn on_watch(&self, record: &ConversationRecord) -> bool {
        record.on_any_queue(self.watched.queues.iter()) || !record.watched_users.is_empty()
    }

    /// One conversation's current record.
    pub fn conversation(&self, id: &ConversationId) -> Option<Arc<ConversationRecord>> {
        self.entries.get(id).map(|e| Arc::clone(&e.record))
    }

    /// Ids of conversations touching any of these queues (what a resync of them must re-read).
    pub fn conversations_on(&self, queues: &BTreeSet<QueueId>) -> Vec<ConversationId> {
        self.entries
            .values()
            .filter(|e| e.record.on_any_queue(queues.iter()))
            .map(|e| e.record.id.clone())
            .collect()
    }

    /// Ids of every conversation on the board or known to be unread (what a full resync checks).
    pub fn known_ids(&self) -> Vec<ConversationId> {
        self.entries
            .keys()
            .chain(self.unread.keys())
            .cloned()
            .collect()
    }

    /// The current status.
    pub fn status(&self) -> &RosterStatus {
        &self.status
    }

    /// A consistent view (records shared, not copied).
    pub fn snapshot(&self) -> RosterSnapshot {
        RosterSnapshot {
            seq: self.seq,
            queues: self.queues(),
            conversations: self
                .entries
                .values()
                .map(|e| Arc::clone(&e.record))
                .collect(),
            status: self.status.clone(),
        }
    }

    /// A receiver of changes after the current `seq`.
    pub fn subscribe(&self) -> broadcast::Receiver<RosterChange> {
        self.changes.subscribe()
    }

    /// Applies a queue event (full conversation snapshot) received now.
    pub fn apply_event(&mut self, event: ConversationEvent) -> Effect {
        self.apply_event_at(event, Instant::now())
    }

    /// Applies a queue event observed at `at` (tests replay out-of-order deliveries with it).
    pub fn apply_event_at(&mut self, event: ConversationEvent, at: Instant) -> Effect {
        let queue = event.queue_id().cloned();
        let observation = normalize::from_event(*event.conversation, queue);
        self.apply(observation, at).effect
    }

    fn emit(&mut self, kind: ChangeKind) -> u64 {
        self.seq += 1;
        // No receiver is not an error: the board may have no window open.
        let _ = self.changes.send(RosterChange {
            seq: self.seq,
            at: Instant::now(),
            kind,
        });
        self.seq
    }

    /// Merges one observation made at `observed_at` (see the module's ordering rule).
    pub(crate) fn apply(&mut self, observation: Observation, observed_at: Instant) -> Applied {
        let Observation {
            id,
            legs: incoming,
            queues,
            ended,
            detail,
        } = observation;
        let old = self.entries.get(&id);
        let tombstoned = self.tombstones.contains_key(&id);
        let weak = detail == Detail::Analytics;
        let current = |e: &Entry| {
            self.continuity_since
                .is_some_and(|since| e.observed_at >= since)
        };
        let older = old.is_some_and(|e| observed_at < e.observed_at || (weak && current(e)));
        let legs = merge_legs(old.map(|e| e.record.as_ref()), incoming, older, weak);
        let mut all_queues: Vec<QueueId> = old.map(|e| e.record.queues.clone()).unwrap_or_default();
        all_queues.extend(queues);
        all_queues.extend(legs.iter().filter_map(|l| l.party.queue_id.clone()));
        all_queues.sort_unstable();
        all_queues.dedup();
        let over = ended || (!legs.is_empty() && legs.iter().all(|l| l.class == LegClass::Ended));
        let record = build_record(
            id,
            all_queues,
            legs,
            over || tombstoned,
            &self.watched.users,
        );

        if tombstoned {
            return Applied {
                effect: Effect::AlreadyEnded,
                record: Arc::new(record),
            };
        }
        if over {
            let record = Arc::new(record);
            self.tombstones.insert(record.id.clone(), observed_at);
            self.prune_tombstones(false);
            let effect = if self.remove_entry(&record.id).is_some() {
                Effect::Removed(self.emit(ChangeKind::Removed {
                    id: record.id.clone(),
                    reason: RemovalReason::Ended,
                }))
            } else {
                Effect::AlreadyEnded
            };
            return Applied { effect, record };
        }
        match self.entries.get_mut(&record.id) {
            Some(entry) => {
                if entry.observed_at < observed_at && !older {
                    entry.observed_at = observed_at;
                }
                if *entry.record == record {
                    return Applied {
                        effect: Effect::Unchanged,
                        record: Arc::clone(&entry.record),
                    };
                }
                let record = Arc::new(record);
                let was_full = entry.record.full_detail;
                entry.record = Arc::clone(&record);
                match (was_full, record.full_detail) {
                    (true, false) => self.partial += 1,
                    (false, true) => self.partial -= 1,
                    _ => {}
                }
                let seq = self.emit(ChangeKind::Upserted {
                    conversation: Arc::clone(&record),
                });
                Applied {
                    effect: Effect::Upserted(seq),
                    record,
                }
            }
            None => {
                let record = Arc::new(record);
                if record.all_legs().next().is_none() {
                    return Applied {
                        effect: Effect::Empty,
                        record,
                    };
                }
                if !self.on_watch(&record) {
                    return Applied {
                        effect: Effect::Unwatched,
                        record,
                    };
                }
                self.insert_entry(
                    record.id.clone(),
                    Entry {
                        record: Arc::clone(&record),
                        observed_at,
                    },
                );
                let seq = self.emit(ChangeKind::Upserted {
                    conversation: Arc::clone(&record),
                });
                Applied {
                    effect: Effect::Upserted(seq),
                    record,
                }
            }
        }
    }

    /// A re-read answered 404: the conversation is gone for good.
    pub(crate) fn forget(&mut self, id: &ConversationId) -> Option<u64> {
        self.tombstones.insert(id.clone(), Instant::now());
        self.unread.remove(id);
        self.remove_entry(id).map(|_| {
            self.emit(ChangeKind::Removed {
                id: id.clone(),
                reason: RemovalReason::NotFound,
            })
        })
    }

    /// A call analytics reports as ended (a resync learnt it without reading it): it leaves.
    pub(crate) fn ended(&mut self, id: &ConversationId) -> Option<u64> {
        self.tombstones.insert(id.clone(), Instant::now());
        self.unread.remove(id);
        self.remove_entry(id).map(|_| {
            self.emit(ChangeKind::Removed {
                id: id.clone(),
                reason: RemovalReason::Ended,
            })
        })
    }

    /// Replaces what is watched; conversations no longer watched leave the board.
    pub(crate) fn set_watch(&mut self, watch: Watch) {
        let users_changed = watch.users != self.watched.users;
        self.watched = watch;
        if users_changed {
            // Recompute which watched people each record carries.
            let ids: Vec<ConversationId> = self.entries.keys().cloned().collect();
            for id in ids {
                let Some(entry) = self.entries.get_mut(&id) else {
                    continue;
                };
                let users = watched_users_of(&entry.record, &self.watched.users);
                if users != entry.record.watched_users {
                    let mut record = (*entry.record).clone();
                    record.watched_users = users;
                    let record = Arc::new(record);
                    entry.record = Arc::clone(&record);
                    self.emit(ChangeKind::Upserted {
                        conversation: record,
                    });
                }
            }
        }
        let gone: Vec<ConversationId> = self
            .entries
            .values()
            .filter(|e| !self.on_watch(&e.record))
            .map(|e| e.record.id.clone())
            .collect();
        self.unread.clear();
        for id in gone {
            self.remove_entry(&id);
            self.emit(ChangeKind::Removed {
                id,
                reason: RemovalReason::Unwatched,
            });
        }
    }

    /// Changes the status and announces it when something the UI shows changed.
    pub(crate) fn update_status(&mut self, f: impl FnOnce(&mut RosterStatus)) {
        let before = self.status.clone();
        f(&mut self.status);
        let status = &mut self.status;
        let trusted =
            status.connection.is_live() && !status.resyncing && status.last_snapshot.is_some();
        status.trusted = trusted;
        if trusted {
            status.stale_since = None;
        } else if status.stale_since.is_none() {
            status.stale_since = Some(Utc::now());
        }
        // The malformed counter alone does not deserve a change.
        let mut compare = before;
        compare.malformed_events = self.status.malformed_events;
        if compare != self.status {
            let status = self.status.clone();
            self.emit(ChangeKind::Status { status });
        }
    }

    /// Announces a landed snapshot.
    pub(crate) fn resynced(&mut self, queues: Vec<QueueId>) {
        let conversations = self.entries.len();
        self.emit(ChangeKind::Resynced {
            queues,
            conversations,
        });
        self.prune_tombstones(true);
    }

    fn prune_tombstones(&mut self, always: bool) {
        if !always && self.tombstones.len() < TOMBSTONE_SOFT_CAP {
            return;
        }
        let ttl = self.tombstone_ttl;
        let now = Instant::now();
        self.tombstones
            .retain(|_, at| now.saturating_duration_since(*at) < ttl);
    }
}

#[cfg(test)]
mod tests;
