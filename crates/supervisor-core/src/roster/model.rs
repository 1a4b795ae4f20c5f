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
use genesys_model::{ConversationId, QueueId, Timestamp, UserId};
use genesys_notify::ConversationEvent;
use tokio::sync::broadcast;

use super::change::{
    ChangeKind, Completeness, RemovalReason, RosterChange, RosterSnapshot, RosterStatus,
};
use super::normalize::{self, Detail, Leg, LegClass, Observation};
use super::record::{ConversationRecord, LegStatus};

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

fn class_of(status: LegStatus) -> LegClass {
    match status {
        LegStatus::Live => LegClass::Live,
        LegStatus::Ended | LegStatus::StaleDuplicate => LegClass::Ended,
        LegStatus::Other => LegClass::Other,
    }
}

/// Rules 1, 3 and 5 of the module doc, leg by leg.
fn merge_legs(
    old: Option<&ConversationRecord>,
    incoming: Vec<Leg>,
    older: bool,
    weak: bool,
) -> Vec<Leg> {
    let mut legs: Vec<Leg> = Vec::with_capacity(incoming.len() + 1);
    for leg in incoming {
        if legs
            .iter()
            .any(|l| l.party.participant_id == leg.party.participant_id)
        {
            continue; // the same leg twice in one body: keep the first
        }
        let previous = old.and_then(|r| r.leg(&leg.party.participant_id));
        let chosen = match previous {
            Some((status, party)) => {
                let was_ended = class_of(status) == LegClass::Ended;
                let now_ended = leg.class == LegClass::Ended;
                // Keep what we had when the incoming view would resurrect the leg or is older;
                // take an older view only for the forward fact that the leg ended.
                let keep_previous = if now_ended {
                    was_ended && older
                } else {
                    was_ended || older
                };
                if keep_previous {
                    Leg {
                        party: party.clone(),
                        class: class_of(status),
                    }
                } else if weak {
                    // Analytics knows less than the record: keep who the leg is, take where it
                    // stands, and leave what analytics cannot see unknown.
                    let mut kept = party.clone();
                    kept.state = leg.party.state;
                    kept.muted = leg.party.muted;
                    kept.held = leg.party.held;
                    kept.held_since = leg.party.held_since;
                    kept.confined = leg.party.confined;
                    kept.ended_at = leg.party.ended_at.or(kept.ended_at);
                    Leg {
                        party: kept,
                        class: leg.class,
                    }
                } else {
                    let mut leg = leg;
                    // Flat event shapes carry no communication id; keep the one a REST read gave.
                    if leg.party.communication_id.is_none() {
                        leg.party.communication_id = party.communication_id.clone();
                    }
                    leg
                }
            }
            None => leg,
        };
        legs.push(chosen);
    }
    if let Some(old) = old {
        for (status, party) in old
            .parties
            .iter()
            .map(|p| (LegStatus::Live, p))
            .chain(
                old.stale_duplicates
                    .iter()
                    .map(|p| (LegStatus::StaleDuplicate, p)),
            )
            .chain(old.ended_legs.iter().map(|p| (LegStatus::Ended, p)))
            .chain(old.other_legs.iter().map(|p| (LegStatus::Other, p)))
        {
            if !legs
                .iter()
                .any(|l| l.party.participant_id == party.participant_id)
            {
                legs.push(Leg {
                    party: party.clone(),
                    class: class_of(status),
                });
            }
        }
    }
    legs
}

fn watched_users_of(record: &ConversationRecord, watched: &BTreeSet<UserId>) -> Vec<UserId> {
    let mut users: Vec<UserId> = record
        .all_legs()
        .filter_map(|p| p.user_id.clone())
        .filter(|u| watched.contains(u))
        .collect();
    users.sort_unstable();
    users.dedup();
    users
}

fn build_record(
    id: ConversationId,
    queues: Vec<QueueId>,
    legs: Vec<Leg>,
    ended: bool,
    watched: &BTreeSet<UserId>,
) -> ConversationRecord {
    let started_at: Option<Timestamp> = legs
        .iter()
        .filter_map(|l| l.party.started_at.or(l.party.connected_since))
        .min();
    let live_users: Vec<_> = legs
        .iter()
        .filter(|l| l.class == LegClass::Live)
        .filter_map(|l| l.party.user_id.clone())
        .collect();
    let mut record = ConversationRecord {
        id,
        queues,
        started_at,
        is_conference: false,
        ended,
        full_detail: false,
        watched_users: Vec::new(),
        parties: Vec::new(),
        ended_legs: Vec::new(),
        stale_duplicates: Vec::new(),
        other_legs: Vec::new(),
    };
    for Leg { party, class } in legs {
        let list = match class {
            LegClass::Live => &mut record.parties,
            LegClass::Other => &mut record.other_legs,
            LegClass::Ended
                if party
                    .user_id
                    .as_ref()
                    .is_some_and(|u| live_users.contains(u)) =>
            {
                &mut record.stale_duplicates
            }
            LegClass::Ended => &mut record.ended_legs,
        };
        list.push(party);
    }
    record.is_conference = record.live_people_count() > 2;
    record.full_detail = record.parties.iter().all(|p| p.is_fully_known());
    record.watched_users = watched_users_of(&record, watched);
    record
}

#[cfg(test)]
mod tests {
    use super::*;
    use genesys_model::ConversationCallEventTopicCallConversation;
    use serde_json::json;
    use std::time::Duration;

    const Q: &str = "q1";

    fn event(body: serde_json::Value) -> ConversationEvent {
        let conversation: ConversationCallEventTopicCallConversation =
            serde_json::from_value(body).expect("event body");
        ConversationEvent {
            topic: Arc::from(format!("v2.routing.queues.{Q}.conversations.calls")),
            source: genesys_notify::WatchTarget::Queue(QueueId::new(Q)),
            conversation: Box::new(conversation),
            correlation_id: None,
        }
    }

    fn leg(id: &str, purpose: &str, state: &str) -> serde_json::Value {
        json!({"id": id, "purpose": purpose, "state": state, "name": id,
               "startTime": "2024-05-01T10:00:00.000Z", "queue": {"id": Q}})
    }

    fn conv(id: &str, legs: Vec<serde_json::Value>) -> ConversationEvent {
        event(json!({"id": id, "participants": legs}))
    }

    fn model() -> RosterModel {
        RosterModel::new([QueueId::new(Q)], 64)
    }

    fn three_party(agent_state: &str) -> ConversationEvent {
        conv(
            "c1",
            vec![
                leg("cust", "customer", "connected"),
                leg("acd", "acd", "disconnected"),
                leg("ag", "agent", agent_state),
                leg("ext", "external", "connected"),
            ],
        )
    }

    #[test]
    fn an_event_creates_a_record_with_live_and_ended_legs_apart() {
        let mut m = model();
        assert_eq!(m.apply_event(three_party("connected")), Effect::Upserted(1));
        let r = m.conversation(&ConversationId::new("c1")).expect("record");
        assert!(r.is_conference);
        assert_eq!(r.parties.len(), 3);
        assert_eq!(r.ended_legs.len(), 1);
        assert_eq!(r.queues, vec![QueueId::new(Q)]);
    }

    #[test]
    fn duplicates_keep_identity_and_emit_nothing() {
        let mut m = model();
        m.apply_event(three_party("connected"));
        let first = m.conversation(&ConversationId::new("c1")).expect("record");
        assert_eq!(m.apply_event(three_party("connected")), Effect::Unchanged);
        let second = m.conversation(&ConversationId::new("c1")).expect("record");
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(m.seq(), 1);
    }

    #[test]
    fn an_ended_leg_is_never_resurrected_by_a_late_event() {
        let mut m = model();
        m.apply_event(three_party("connected"));
        m.apply_event(three_party("disconnected"));
        let effect = m.apply_event(three_party("connected"));
        assert_eq!(effect, Effect::Unchanged);
        let r = m.conversation(&ConversationId::new("c1")).expect("record");
        assert!(r.live_party(&"ag".into()).is_none());
        assert!(!r.is_conference);
    }

    #[test]
    fn an_older_observation_only_adds_forward_facts() {
        let mut m = model();
        let t0 = Instant::now();
        let t1 = t0 + Duration::from_millis(10);
        let mut muted = leg("ext", "external", "connected");
        muted["muted"] = true.into();
        m.apply_event_at(
            conv(
                "c1",
                vec![leg("cust", "customer", "connected"), muted.clone()],
            ),
            t1,
        );
        // An older view: ext not muted, and a new leg joined.
        let effect = m.apply_event_at(
            conv(
                "c1",
                vec![
                    leg("cust", "customer", "connected"),
                    leg("ext", "external", "connected"),
                    leg("ag", "agent", "connected"),
                ],
            ),
            t0,
        );
        assert!(matches!(effect, Effect::Upserted(_)));
        let r = m.conversation(&ConversationId::new("c1")).expect("record");
        assert!(
            r.live_party(&"ext".into()).expect("ext").is_muted(),
            "stale flag ignored"
        );
        assert!(r.live_party(&"ag".into()).is_some(), "new leg added");
    }

    #[test]
    fn legs_missing_from_an_event_are_kept() {
        let mut m = model();
        m.apply_event(three_party("connected"));
        m.apply_event(conv("c1", vec![leg("cust", "customer", "connected")]));
        let r = m.conversation(&ConversationId::new("c1")).expect("record");
        assert_eq!(r.all_legs().count(), 4);
    }

    #[test]
    fn an_ended_conversation_leaves_and_stays_gone() {
        let mut m = model();
        let mut rx = m.subscribe();
        m.apply_event(three_party("connected"));
        let all_ended = conv(
            "c1",
            vec![
                leg("cust", "customer", "disconnected"),
                leg("acd", "acd", "terminated"),
                leg("ag", "agent", "disconnected"),
                leg("ext", "external", "disconnected"),
            ],
        );
        assert_eq!(m.apply_event(all_ended), Effect::Removed(2));
        assert!(m.is_empty());
        assert_eq!(
            m.apply_event(three_party("connected")),
            Effect::AlreadyEnded
        );
        assert!(m.is_empty());
        let first = rx.try_recv().expect("upsert");
        assert_eq!(first.seq, 1);
        let second = rx.try_recv().expect("removal");
        assert!(matches!(
            second.kind,
            ChangeKind::Removed {
                reason: RemovalReason::Ended,
                ..
            }
        ));
    }

    #[test]
    fn stale_duplicates_are_kept_apart() {
        let mut m = model();
        let mut old = leg("old", "agent", "terminated");
        old["user"] = json!({"id": "u12", "name": "Agent Twelve"});
        let mut new = leg("new", "agent", "connected");
        new["user"] = json!({"id": "u12", "name": "Agent Twelve"});
        m.apply_event(conv(
            "c1",
            vec![leg("cust", "customer", "connected"), old, new],
        ));
        let r = m.conversation(&ConversationId::new("c1")).expect("record");
        assert_eq!(r.stale_duplicates.len(), 1);
        assert_eq!(r.stale_duplicates[0].participant_id, "old");
        assert!(r.ended_legs.is_empty());
        assert_eq!(r.live_legs_of(&"u12".into()).len(), 1);
        assert!(matches!(
            r.leg(&"old".into()),
            Some((LegStatus::StaleDuplicate, _))
        ));
    }

    #[test]
    fn unknown_states_and_purposes_are_tolerated() {
        let mut m = model();
        m.apply_event(conv(
            "c1",
            vec![
                leg("cust", "customer", "connected"),
                leg("x", "hologram", "teleporting"),
                leg("ag", "agent", "connected"),
            ],
        ));
        let r = m.conversation(&ConversationId::new("c1")).expect("record");
        assert_eq!(r.other_legs.len(), 1);
        assert_eq!(r.parties.len(), 2);
    }

    #[test]
    fn unwatched_conversations_are_ignored_and_unwatching_removes() {
        let mut m = RosterModel::new([QueueId::new("other")], 64);
        assert_eq!(m.apply_event(three_party("connected")), Effect::Unwatched);
        let mut m = model();
        m.apply_event(three_party("connected"));
        m.set_watch(Watch::queues([QueueId::new("other")]));
        assert!(m.is_empty());
    }

    fn analytics(id: &str, legs: &[(&str, &str, bool)]) -> Observation {
        let body = json!({
            "conversationId": id,
            "participants": legs.iter().map(|(pid, purpose, open)| {
                let mut segment = json!({"segmentType": "interact",
                    "segmentStart": "2024-05-01T10:00:00.000Z", "queueId": Q});
                if !open {
                    segment["segmentEnd"] = "2024-05-01T10:05:00.000Z".into();
                }
                json!({"participantId": pid, "purpose": purpose, "participantName": pid,
                       "sessions": [{"sessionId": format!("s-{pid}"), "segments": [segment]}]})
            }).collect::<Vec<_>>(),
        });
        let conversation: genesys_model::AnalyticsConversation =
            serde_json::from_value(body).expect("analytics body");
        normalize::from_analytics(&conversation).expect("mappable")
    }

    #[test]
    fn analytics_data_never_overrides_flags_seen_on_the_current_connection() {
        let mut m = model();
        let live_since = Instant::now();
        m.set_continuity_since(Some(live_since));
        let mut muted = leg("ext", "external", "connected");
        muted["muted"] = true.into();
        m.apply_event_at(
            conv("c1", vec![leg("cust", "customer", "connected"), muted]),
            live_since + Duration::from_millis(5),
        );
        // A later sweep (lagging, no mute data) lists the same legs and one that left.
        let later = live_since + Duration::from_millis(50);
        m.apply(
            analytics(
                "c1",
                &[
                    ("cust", "customer", true),
                    ("ext", "external", true),
                    ("gone", "agent", false),
                ],
            ),
            later,
        );
        let r = m.conversation(&ConversationId::new("c1")).expect("record");
        let ext = r.live_party(&"ext".into()).expect("ext");
        assert_eq!(ext.muted, Some(true), "the event's mute stands");
        assert!(r.full_detail);
        assert!(r.leg(&"gone".into()).is_some(), "the forward fact is taken");
    }

    #[test]
    fn analytics_data_makes_flags_from_before_the_connection_unknown() {
        let mut m = model();
        let before = Instant::now();
        let mut muted = leg("ext", "external", "connected");
        muted["muted"] = true.into();
        m.apply_event_at(
            conv("c1", vec![leg("cust", "customer", "connected"), muted]),
            before,
        );
        // The socket was lost and came back: what it said before may have changed unseen.
        let live_since = before + Duration::from_millis(10);
        m.set_continuity_since(Some(live_since));
        m.apply(
            analytics(
                "c1",
                &[("cust", "customer", true), ("ext", "external", true)],
            ),
            live_since + Duration::from_millis(5),
        );
        let r = m.conversation(&ConversationId::new("c1")).expect("record");
        let ext = r.live_party(&"ext".into()).expect("ext");
        assert_eq!(ext.muted, None, "not known any more, never guessed");
        assert_eq!(ext.state, None);
        assert_eq!(ext.name, "ext", "who the leg is stays");
        assert!(!r.full_detail);
        let (discovered, held, full) = m.completeness_counts();
        assert_eq!((discovered, held, full), (1, 1, 0));
        // The next event completes it again.
        m.apply_event_at(
            conv(
                "c1",
                vec![
                    leg("cust", "customer", "connected"),
                    leg("ext", "external", "connected"),
                ],
            ),
            live_since + Duration::from_millis(20),
        );
        assert_eq!(m.completeness_counts(), (1, 1, 1));
    }

    #[test]
    fn unread_calls_count_as_discovered_until_they_are_on_the_board_or_gone() {
        let mut m = model();
        m.mark_unread([
            (ConversationId::new("c1"), vec![QueueId::new(Q)]),
            (ConversationId::new("c2"), vec![QueueId::new(Q)]),
        ]);
        assert_eq!(m.completeness_counts(), (2, 0, 0));
        m.apply_event(three_party("connected"));
        assert_eq!(m.completeness_counts(), (2, 1, 1));
        m.forget(&ConversationId::new("c2"));
        assert_eq!(m.completeness_counts(), (1, 1, 1));
        assert!(m.unread().is_empty());
    }

    #[test]
    fn status_trust_follows_connection_and_snapshot() {
        let mut m = model();
        assert!(!m.status().trusted);
        m.update_status(|s| s.connection = super::super::change::ConnectionState::Live);
        assert!(!m.status().trusted, "no snapshot yet");
        m.update_status(|s| s.last_snapshot = Some(Utc::now()));
        assert!(m.status().trusted);
        assert!(m.status().stale_since.is_none());
        m.update_status(|s| s.resyncing = true);
        assert!(!m.status().trusted);
        assert!(m.status().stale_since.is_some());
    }
}
