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
//! Limit: two events with the same legs in the same states but different mute/hold flags, delivered
//! out of order by the platform, cannot be told apart; the next event corrects the flags.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use genesys_model::{ConversationId, QueueId, Timestamp};
use genesys_notify::ConversationEvent;
use tokio::sync::broadcast;

use super::change::{ChangeKind, RemovalReason, RosterChange, RosterSnapshot, RosterStatus};
use super::normalize::{self, Leg, LegClass, Observation};
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

/// The roster's state: conversations, tombstones, status and the change stream.
pub struct RosterModel {
    watched: BTreeSet<QueueId>,
    entries: BTreeMap<ConversationId, Entry>,
    tombstones: HashMap<ConversationId, Instant>,
    tombstone_ttl: Duration,
    seq: u64,
    status: RosterStatus,
    changes: broadcast::Sender<RosterChange>,
}

impl std::fmt::Debug for RosterModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RosterModel")
            .field("queues", &self.watched.len())
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
        let (changes, _) = broadcast::channel(change_capacity.max(16));
        Self {
            watched: queues.into_iter().collect(),
            entries: BTreeMap::new(),
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
        self.watched.iter().cloned().collect()
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
        let observation = normalize::from_event(*event.conversation, event.queue_id);
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
        } = observation;
        let old = self.entries.get(&id);
        let tombstoned = self.tombstones.contains_key(&id);
        let older = old.is_some_and(|e| observed_at < e.observed_at);
        let legs = merge_legs(old.map(|e| e.record.as_ref()), incoming, older);
        let mut all_queues: Vec<QueueId> = old.map(|e| e.record.queues.clone()).unwrap_or_default();
        all_queues.extend(queues);
        all_queues.extend(legs.iter().filter_map(|l| l.party.queue_id.clone()));
        all_queues.sort_unstable();
        all_queues.dedup();
        let over = ended || (!legs.is_empty() && legs.iter().all(|l| l.class == LegClass::Ended));
        let record = build_record(id, all_queues, legs, over || tombstoned);

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
            let effect = if self.entries.remove(&record.id).is_some() {
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
                if entry.observed_at < observed_at {
                    entry.observed_at = observed_at;
                }
                if *entry.record == record {
                    return Applied {
                        effect: Effect::Unchanged,
                        record: Arc::clone(&entry.record),
                    };
                }
                let record = Arc::new(record);
                entry.record = Arc::clone(&record);
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
                if !record.on_any_queue(self.watched.iter()) {
                    return Applied {
                        effect: Effect::Unwatched,
                        record,
                    };
                }
                self.entries.insert(
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
        self.entries.remove(id).map(|_| {
            self.emit(ChangeKind::Removed {
                id: id.clone(),
                reason: RemovalReason::NotFound,
            })
        })
    }

    /// Replaces the watched queues; conversations on none of them leave the board.
    pub(crate) fn set_queues(&mut self, queues: BTreeSet<QueueId>) {
        self.watched = queues;
        let gone: Vec<ConversationId> = self
            .entries
            .values()
            .filter(|e| !e.record.on_any_queue(self.watched.iter()))
            .map(|e| e.record.id.clone())
            .collect();
        for id in gone {
            self.entries.remove(&id);
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

/// Rules 1 and 3 of the module doc, leg by leg.
fn merge_legs(old: Option<&ConversationRecord>, incoming: Vec<Leg>, older: bool) -> Vec<Leg> {
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

fn build_record(
    id: ConversationId,
    queues: Vec<QueueId>,
    legs: Vec<Leg>,
    ended: bool,
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
            queue_id: QueueId::new(Q),
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
            r.live_party(&"ext".into()).expect("ext").muted,
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
        m.set_queues(BTreeSet::from([QueueId::new("other")]));
        assert!(m.is_empty());
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
