//! What the engine needs from the audit log, kept in memory and brought up to date by reading only
//! what was appended since the last look ([`AuditLog::read_since`]), instead of reading the whole
//! file before every action.
//!
//! Why the safety rules still hold with it (engine header, rules 4 and 5):
//! - The index is seeded from the whole file the first time it is read (offset 0): a restarted
//!   process knows every `dropping` intent and drop written before it, so the cap and "already
//!   acted on" hold across restarts exactly as with a full read.
//! - Before each action the engine brings the index up to date *under the lock file*: every
//!   record another copy wrote before releasing the lock is complete on disk (fsynced before the
//!   lock is released) and therefore in the tail read, so "two copies never drop a leg twice" is
//!   decided on the same facts a full read would give.
//! - The engine's own records come in through the same tail read (they are appended to the same
//!   file), so nothing is counted twice and nothing is missed; a file that got shorter (replaced)
//!   is read again from the start and the index rebuilt.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::observe::AcceptedDrops;
use crate::audit::{AuditError, AuditLog, AuditRecord, PolicyDecision};

/// A leg and whether the intent was the communication disconnect (an escalation) or the drop.
type IntentKey = (String, String, bool);

/// `dropping` intents older than this are not kept for the cap (it counts the last 60 s); the
/// per-leg "already acted on" entries are kept for the whole run.
const CAP_MEMORY: chrono::Duration = chrono::Duration::hours(1);

/// The audit log as the engine reads it: intents by leg, intent times for the cap, accepted drops.
#[derive(Debug, Default)]
pub(super) struct History {
    /// Byte offset just after the last complete line read.
    offset: u64,
    /// The latest `dropping` intent per leg and kind.
    acted: HashMap<IntentKey, DateTime<Utc>>,
    /// Times of `dropping` intents (for the cap), pruned to [`CAP_MEMORY`].
    intents: Vec<DateTime<Utc>>,
    /// Drops the platform accepted (for the `phantom` rule).
    accepted: AcceptedDrops,
    /// Records read since the index was built (for tests and the cost figure).
    read: u64,
}

impl History {
    /// Reads what was appended since the last call (the whole file the first time) and adds it.
    pub(super) fn catch_up(&mut self, log: &AuditLog) -> Result<(), AuditError> {
        let tail = log.read_since(self.offset)?;
        if tail.restarted {
            *self = Self::default();
        }
        self.add(&tail.report.records);
        self.offset = tail.offset;
        Ok(())
    }

    fn add(&mut self, records: &[AuditRecord]) {
        for r in records {
            self.read += 1;
            let Some(note) = &r.policy else { continue };
            if note.decision != PolicyDecision::Dropping {
                continue;
            }
            self.intents.push(r.time);
            let key = (
                r.conversation_id.clone(),
                r.participant_id.clone(),
                r.request.path.contains("/communications/"),
            );
            let at = self.acted.entry(key).or_insert(r.time);
            *at = (*at).max(r.time);
        }
        self.accepted.add_from_audit(records);
    }

    /// `dropping` intents in the 60 s up to `now` (the cap), forgetting ones long past.
    pub(super) fn recent_intents(&mut self, now: DateTime<Utc>) -> u32 {
        let window_start = now - chrono::Duration::seconds(60);
        self.intents.retain(|t| *t > now - CAP_MEMORY);
        let n = self
            .intents
            .iter()
            .filter(|t| **t > window_start && **t <= now)
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// When this policy last recorded the intent to act on this leg (this kind of action).
    pub(super) fn acted_on(
        &self,
        conversation: &str,
        participant: &str,
        escalation: bool,
    ) -> Option<DateTime<Utc>> {
        self.acted
            .get(&(conversation.to_owned(), participant.to_owned(), escalation))
            .copied()
    }

    /// Drops the platform accepted, as read so far.
    pub(super) fn accepted(&self) -> &AcceptedDrops {
        &self.accepted
    }

    /// Records read since the index was built.
    pub(super) fn records_read(&self) -> u64 {
        self.read
    }
}
