//! What the detector needs beyond the board: when the roster saw a mute (or a hold without
//! `startHoldTime`), which drops the platform accepted, what transcription says, and the names
//! behind ids. Each is plain data the caller feeds, so the detector stays a pure function.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use genesys_model::{ConversationId, ParticipantId, QueueId, UserId};

use crate::audit::{AuditAction, AuditOutcome, AuditRecord, PolicyDecision};
use crate::roster::ConversationRecord;

type LegKey = (ConversationId, ParticipantId);

/// When a flag the platform gives no start time for was first seen set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlagSeen {
    /// The moment the roster saw the flag set (the rule counts from here).
    pub since: DateTime<Utc>,
    /// True when the roster saw the change itself (the leg was seen without the flag before); false
    /// when the flag was already set the first time the leg was seen: the real start is earlier
    /// and unknown.
    pub start_known: bool,
}

#[derive(Default, Debug, Clone)]
struct Flag {
    /// Legs last seen with the flag cleared (a later set is a transition seen).
    seen_clear: HashSet<LegKey>,
    set: HashMap<LegKey, FlagSeen>,
}

impl Flag {
    fn observe(&mut self, key: &LegKey, value: Option<bool>, now: DateTime<Utc>) {
        match value {
            Some(true) => {
                if !self.set.contains_key(key) {
                    let start_known = self.seen_clear.remove(key);
                    self.set.insert(
                        key.clone(),
                        FlagSeen {
                            since: now,
                            start_known,
                        },
                    );
                }
            }
            Some(false) => {
                self.set.remove(key);
                self.seen_clear.insert(key.clone());
            }
            // Not known any more (analytics data after a reconnect): never guess it stayed set.
            None => {
                self.set.remove(key);
                self.seen_clear.remove(key);
            }
        }
    }

    fn retain(&mut self, live: &HashSet<LegKey>) {
        self.set.retain(|k, _| live.contains(k));
        self.seen_clear.retain(|k| live.contains(k));
    }
}

/// Per-leg first-seen times of `muted` (and of `held` when the platform sent no `startHoldTime`).
///
/// Feed it every board change ([`FlagTracker::observe_record`]) or the board now and then
/// ([`FlagTracker::observe`]); a mute counts from the observation that first showed it.
#[derive(Default, Debug, Clone)]
pub struct FlagTracker {
    muted: Flag,
    held: Flag,
}

impl FlagTracker {
    /// An empty tracker: every flag already set on the first board it sees has an unknown start.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one conversation's record as seen at `now`.
    pub fn observe_record(&mut self, record: &ConversationRecord, now: DateTime<Utc>) {
        for party in &record.parties {
            let key = (record.id.clone(), party.participant_id.clone());
            self.muted.observe(&key, party.muted, now);
            self.held.observe(&key, party.held, now);
        }
        for party in record
            .ended_legs
            .iter()
            .chain(&record.stale_duplicates)
            .chain(&record.other_legs)
        {
            let key = (record.id.clone(), party.participant_id.clone());
            self.muted.observe(&key, None, now);
            self.held.observe(&key, None, now);
        }
    }

    /// Takes the whole board as seen at `now` and forgets legs no longer on it.
    pub fn observe(&mut self, board: &[Arc<ConversationRecord>], now: DateTime<Utc>) {
        let mut live = HashSet::new();
        for record in board {
            self.observe_record(record, now);
            live.extend(
                record
                    .parties
                    .iter()
                    .map(|p| (record.id.clone(), p.participant_id.clone())),
            );
        }
        self.muted.retain(&live);
        self.held.retain(&live);
    }

    /// When this leg's mute was first seen, while it is muted.
    pub fn muted(
        &self,
        conversation: &ConversationId,
        participant: &ParticipantId,
    ) -> Option<FlagSeen> {
        self.muted
            .set
            .get(&(conversation.clone(), participant.clone()))
            .copied()
    }

    /// When this leg's hold was first seen, while it is held (used when `startHoldTime` is absent).
    pub fn held(
        &self,
        conversation: &ConversationId,
        participant: &ParticipantId,
    ) -> Option<FlagSeen> {
        self.held
            .set
            .get(&(conversation.clone(), participant.clone()))
            .copied()
    }

    /// Legs tracked (for the cost figures).
    pub fn len(&self) -> usize {
        self.muted.set.len()
            + self.muted.seen_clear.len()
            + self.held.set.len()
            + self.held.seen_clear.len()
    }

    /// True when nothing is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Drops the platform accepted (a 2xx), by leg: the base of the `phantom` rule.
#[derive(Default, Debug, Clone)]
pub struct AcceptedDrops {
    at: HashMap<LegKey, DateTime<Utc>>,
}

impl AcceptedDrops {
    /// None yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an accepted drop of a leg (the earliest one counts).
    pub fn record(
        &mut self,
        conversation: ConversationId,
        participant: ParticipantId,
        at: DateTime<Utc>,
    ) {
        self.at
            .entry((conversation, participant))
            .and_modify(|t| *t = (*t).min(at))
            .or_insert(at);
    }

    /// When a drop of this leg was accepted, if one was.
    pub fn get(
        &self,
        conversation: &ConversationId,
        participant: &ParticipantId,
    ) -> Option<DateTime<Utc>> {
        self.at
            .get(&(conversation.clone(), participant.clone()))
            .copied()
    }

    /// Every drop in the audit log the platform accepted: confirmed or not confirmed (a 2xx whose
    /// effect was not seen), whoever sent it: a supervisor's own drop or a policy's.
    pub fn from_audit<'a>(records: impl IntoIterator<Item = &'a AuditRecord>) -> Self {
        let mut drops = Self::new();
        drops.add_from_audit(records);
        drops
    }

    /// [`AcceptedDrops::from_audit`] for records read later (the tail a long run reads).
    pub fn add_from_audit<'a>(&mut self, records: impl IntoIterator<Item = &'a AuditRecord>) {
        for r in records {
            let policy_intent = r
                .policy
                .as_ref()
                .is_some_and(|p| p.decision != PolicyDecision::Dropped);
            if r.action == AuditAction::Drop
                && !policy_intent
                && matches!(
                    r.outcome,
                    AuditOutcome::Confirmed | AuditOutcome::NotConfirmed
                )
            {
                self.record(
                    ConversationId::new(r.conversation_id.clone()),
                    ParticipantId::new(r.participant_id.clone()),
                    r.time,
                );
            }
        }
    }
}

/// Which side of the call an utterance came from (the topic separates only two).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// The customer side.
    External,
    /// IVR, ACD, agents, conference parties, voicemail.
    Internal,
    /// Both or unknown: it may be the outside side, so a final utterance on it counts as the outside
    /// speaking (a channel the platform could not tell never makes a call look silent).
    Other,
}

/// One observation from `v2.conversations.{id}.transcription`.
#[derive(Clone, Debug, PartialEq)]
pub enum TranscriptEvent {
    /// The topic is subscribed (again) from `at`: every utterance spoken from then on will be seen.
    /// What was known before is forgotten, because a channel replays nothing after a reconnect: an
    /// utterance lost in the gap must never make the call look silent.
    Subscribed {
        /// When the subscription took effect.
        at: DateTime<Utc>,
    },
    /// A `SESSION_ONGOING` message without transcripts (at session start and every 5 minutes).
    Heartbeat {
        /// When it arrived.
        at: DateTime<Utc>,
    },
    /// A transcript.
    Utterance {
        /// When it was spoken (the message's time plus the utterance's offset).
        at: DateTime<Utc>,
        /// Which side.
        channel: Channel,
        /// Only final utterances count as speech.
        is_final: bool,
    },
    /// `SESSION_ENDED`.
    Ended {
        /// When it arrived.
        at: DateTime<Utc>,
    },
    /// The topic cannot be used for this call (the subscription was refused, say).
    Unavailable {
        /// In words.
        reason: String,
    },
}

/// What transcription says about one call.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CallTranscript {
    /// Since when the topic has been followed without a gap (`None` when fed without a
    /// subscription, as in the detector's tests): silence is counted from here at the earliest.
    pub listening_since: Option<DateTime<Utc>>,
    /// First message of the session.
    pub started: Option<DateTime<Utc>>,
    /// Last message of any kind (heartbeat or transcript): the topic is alive while this is recent.
    pub last_message: Option<DateTime<Utc>>,
    /// Last final utterance on the EXTERNAL channel (or on a channel that may be it: BOTH, UNKNOWN).
    pub last_external_speech: Option<DateTime<Utc>>,
    /// The session ended.
    pub ended: bool,
    /// Why this call's transcription cannot be used, if it cannot.
    pub unavailable: Option<String>,
}

/// Whether transcription can be used at all in this org, for this user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TranscriptionAccess {
    /// The user holds `conversation:transcription:view` and the org is licensed.
    Available,
    /// It cannot: the reason names the missing permission or licence.
    Unavailable(String),
}

/// The transcription input of the `silent` rule.
#[derive(Clone, Debug)]
pub struct Transcription {
    /// Org-wide access.
    pub access: TranscriptionAccess,
    /// How late transcripts arrive (about 35 s on the platform): silence is only known up to now
    /// minus this.
    pub delivery_delay: Duration,
    /// How long without any message before the topic counts as not running (heartbeats come every
    /// 5 minutes; a minute of slack).
    pub heartbeat_timeout: Duration,
    calls: HashMap<ConversationId, CallTranscript>,
}

/// The reason used when the permission is missing.
pub const TRANSCRIPTION_PERMISSION_MISSING: &str =
    "unavailable: missing permission conversation:transcription:view";
/// The reason used when the org has no transcription licence.
pub const TRANSCRIPTION_NOT_LICENSED: &str =
    "unavailable: voice transcription is not licensed for this organization";

impl Default for Transcription {
    fn default() -> Self {
        Self::new(TranscriptionAccess::Available)
    }
}

impl Transcription {
    /// Transcription with the platform's default delay (35 s) and heartbeat (5 min + 1 min slack).
    pub fn new(access: TranscriptionAccess) -> Self {
        Self {
            access,
            delivery_delay: Duration::from_secs(35),
            heartbeat_timeout: Duration::from_secs(6 * 60),
            calls: HashMap::new(),
        }
    }

    /// Access from the signed-in user's permissions (`users/me?expand=authorization`) and whether
    /// the org is licensed (unknown licence: assumed, the topic then shows nothing and the rule
    /// reports "no transcription for this call" rather than "silent").
    pub fn access_from(has_permission: bool, licensed: bool) -> TranscriptionAccess {
        if !has_permission {
            TranscriptionAccess::Unavailable(TRANSCRIPTION_PERMISSION_MISSING.to_owned())
        } else if !licensed {
            TranscriptionAccess::Unavailable(TRANSCRIPTION_NOT_LICENSED.to_owned())
        } else {
            TranscriptionAccess::Available
        }
    }

    /// Takes one observation for a call.
    pub fn observe(&mut self, conversation: &ConversationId, event: TranscriptEvent) {
        let call = self.calls.entry(conversation.clone()).or_default();
        let touch = |call: &mut CallTranscript, at: DateTime<Utc>| {
            call.started = Some(call.started.map_or(at, |s| s.min(at)));
            call.last_message = Some(call.last_message.map_or(at, |m| m.max(at)));
        };
        match event {
            TranscriptEvent::Subscribed { at } => {
                *call = CallTranscript {
                    listening_since: Some(at),
                    ..CallTranscript::default()
                };
            }
            TranscriptEvent::Heartbeat { at } => touch(call, at),
            TranscriptEvent::Utterance {
                at,
                channel,
                is_final,
            } => {
                touch(call, at);
                if is_final && channel != Channel::Internal {
                    call.last_external_speech =
                        Some(call.last_external_speech.map_or(at, |s| s.max(at)));
                }
            }
            TranscriptEvent::Ended { at } => {
                touch(call, at);
                call.ended = true;
            }
            TranscriptEvent::Unavailable { reason } => call.unavailable = Some(reason),
        }
    }

    /// What is known of one call.
    pub fn call(&self, conversation: &ConversationId) -> Option<&CallTranscript> {
        self.calls.get(conversation)
    }

    /// Forgets calls no longer on the board.
    pub fn retain(&mut self, keep: impl Fn(&ConversationId) -> bool) {
        self.calls.retain(|id, _| keep(id));
    }

    /// Forgets one call.
    pub fn forget(&mut self, conversation: &ConversationId) {
        self.calls.remove(conversation);
    }

    /// The calls known, with what is known of each.
    pub fn calls(&self) -> impl Iterator<Item = (&ConversationId, &CallTranscript)> {
        self.calls.iter()
    }
}

/// Names behind ids, so rules can say `queues = ["Support"]` and `exclude_users = ["lead@…"]`.
#[derive(Clone, Debug, Default)]
pub struct Directory {
    queue_names: HashMap<QueueId, String>,
    user_emails: HashMap<UserId, String>,
}

impl Directory {
    /// Empty: rules match ids only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a queue's name.
    pub fn queue(mut self, id: QueueId, name: impl Into<String>) -> Self {
        self.queue_names.insert(id, name.into());
        self
    }

    /// Adds a user's email.
    pub fn user(mut self, id: UserId, email: impl Into<String>) -> Self {
        self.user_emails.insert(id, email.into());
        self
    }

    /// True when `name` (id or name, case-insensitive) names this queue.
    pub fn names_queue(&self, name: &str, id: &QueueId) -> bool {
        id.as_str() == name
            || self
                .queue_names
                .get(id)
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
    }

    /// True when `name` (id or email, case-insensitive) names this user.
    pub fn names_user(&self, name: &str, id: &UserId) -> bool {
        id.as_str() == name
            || self
                .user_emails
                .get(id)
                .is_some_and(|e| e.eq_ignore_ascii_case(name))
    }
}
