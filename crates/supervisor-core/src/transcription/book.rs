//! The feed's bookkeeping, without I/O (times are passed in), so every rule is unit-tested: which
//! calls are followed (the live calls on the board, up to a cap), what each topic said, and whether
//! transcription can be used at all (permission, licence, the channel's connection).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use genesys_model::ConversationId;
use genesys_model::enums::{TranscriptChannel, TranscriptionSessionStatus};
use genesys_model::transcription::TranscriptionTopicTranscriptionMessage;
use genesys_notify::ConnectionStatus;

use crate::policy::file::format_duration;
use crate::policy::observe::TRANSCRIPTION_PERMISSION_MISSING;
use crate::policy::{Channel, TranscriptEvent, Transcription, TranscriptionAccess};

/// The permission the topic needs (docs/genesys-api.md, "Idle and silent legs").
pub const PERMISSION: &str = "conversation:transcription:view";

/// The timings the feed assumes, and its limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedTimings {
    /// How late transcripts arrive after the speech (the platform: usually within about 35 s).
    pub delivery_delay: Duration,
    /// How often a status-only `SESSION_ONGOING` message comes (the platform: every 5 minutes).
    pub heartbeat_interval: Duration,
    /// How late a heartbeat may be before the call's topic counts as not running.
    pub heartbeat_slack: Duration,
    /// The most calls followed at once (one topic each; 1,000 topics per channel).
    pub max_calls: usize,
}

impl Default for FeedTimings {
    fn default() -> Self {
        Self {
            delivery_delay: Duration::from_secs(35),
            heartbeat_interval: Duration::from_secs(5 * 60),
            heartbeat_slack: Duration::from_secs(60),
            max_calls: 2_000,
        }
    }
}

impl FeedTimings {
    /// No message for this long: the topic is not running.
    pub fn heartbeat_timeout(&self) -> Duration {
        self.heartbeat_interval.saturating_add(self.heartbeat_slack)
    }
}

/// The feed's own channel, as the policy needs to know it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Link {
    /// Not connected yet (or the permission check is under way).
    Starting,
    /// Subscribed and delivering.
    Live,
    /// Lost for now (reconnecting): whatever was said meanwhile is lost.
    Down(String),
    /// Closed for good.
    Closed(String),
}

/// What the feed counted, for logs, tests and the cost figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeedStats {
    /// Calls whose topic is (to be) subscribed.
    pub followed: usize,
    /// Live calls beyond the cap (not followed).
    pub over_cap: usize,
    /// Transcription messages taken.
    pub messages: u64,
    /// Transcription frames that could not be decoded (skipped).
    pub malformed: u64,
}

/// The feed's state.
#[derive(Debug)]
pub(crate) struct Book {
    timings: FeedTimings,
    transcription: Transcription,
    /// Live calls on the board.
    board: BTreeSet<ConversationId>,
    /// The calls whose topic is wanted (at most `max_calls`, a subset of `board`).
    followed: BTreeSet<ConversationId>,
    /// Topics the platform refused, by call, with its reason.
    rejected: BTreeMap<ConversationId, String>,
    permission_missing: bool,
    link: Link,
    messages: u64,
    malformed: u64,
}

impl Book {
    /// Nothing followed yet.
    pub(crate) fn new(timings: FeedTimings) -> Self {
        let mut transcription = Transcription::new(TranscriptionAccess::Available);
        transcription.delivery_delay = timings.delivery_delay;
        transcription.heartbeat_timeout = timings.heartbeat_timeout();
        Self {
            timings,
            transcription,
            board: BTreeSet::new(),
            followed: BTreeSet::new(),
            rejected: BTreeMap::new(),
            permission_missing: false,
            link: Link::Starting,
            messages: 0,
            malformed: 0,
        }
    }

    /// A live call is on the board: followed while there is room.
    pub(crate) fn add_call(&mut self, id: &ConversationId) {
        self.board.insert(id.clone());
        if self.followed.len() < self.timings.max_calls {
            self.followed.insert(id.clone());
        }
    }

    /// A call ended or left the board: its topic is no longer wanted, its data forgotten, and the
    /// room goes to a call over the cap.
    pub(crate) fn remove_call(&mut self, id: &ConversationId) {
        self.board.remove(id);
        self.rejected.remove(id);
        self.transcription.forget(id);
        if self.followed.remove(id) {
            let waiting = self
                .board
                .iter()
                .find(|c| !self.followed.contains(*c))
                .cloned();
            if let Some(next) = waiting {
                self.followed.insert(next);
            }
        }
    }

    /// The whole board now (at the start, and after missing changes).
    pub(crate) fn set_board(&mut self, live: BTreeSet<ConversationId>) {
        let gone: Vec<ConversationId> = self.board.difference(&live).cloned().collect();
        for id in &gone {
            self.remove_call(id);
        }
        for id in &live {
            self.add_call(id);
        }
    }

    /// The calls whose topic should be subscribed.
    pub(crate) fn desired(&self) -> &BTreeSet<ConversationId> {
        &self.followed
    }

    /// These calls' topics are subscribed from `now` (first connection, reconnect, handover, added).
    pub(crate) fn on_subscribed<'a>(
        &mut self,
        calls: impl IntoIterator<Item = &'a ConversationId>,
        now: DateTime<Utc>,
    ) {
        for id in calls {
            if self.followed.contains(id) {
                self.transcription
                    .observe(id, TranscriptEvent::Subscribed { at: now });
            }
        }
    }

    /// One message of a call's topic, received at `now`.
    pub(crate) fn on_message(
        &mut self,
        id: &ConversationId,
        message: &TranscriptionTopicTranscriptionMessage,
        now: DateTime<Utc>,
    ) {
        if !self.followed.contains(id) {
            return; // a late message of a call that left the board
        }
        self.messages += 1;
        let status = message.status.as_ref().and_then(|s| s.status.as_ref());
        if status == Some(&TranscriptionSessionStatus::SessionEnded) {
            self.transcription
                .observe(id, TranscriptEvent::Ended { at: now });
            return;
        }
        // Any message proves the topic delivers; utterances also say who spoke when.
        self.transcription
            .observe(id, TranscriptEvent::Heartbeat { at: now });
        for t in &message.transcripts {
            let channel = match &t.channel {
                Some(TranscriptChannel::External) => Channel::External,
                Some(TranscriptChannel::Internal) => Channel::Internal,
                _ => Channel::Other,
            };
            let spoken = message
                .transcription_start_time_ms
                .zip(t.alternatives.first().and_then(|a| a.offset_ms))
                .and_then(|(start, offset)| Utc.timestamp_millis_opt(start + offset).single())
                // Never later than its arrival (a clock ahead of ours would push speech forward).
                .map_or(now, |at| at.min(now));
            self.transcription.observe(
                id,
                TranscriptEvent::Utterance {
                    at: spoken,
                    channel,
                    // Absent: counted as final, so a missing flag never makes a call look silent.
                    is_final: t.is_final.unwrap_or(true),
                },
            );
        }
    }

    /// A transcription frame that could not be decoded (skipped).
    pub(crate) fn on_malformed(&mut self) {
        self.malformed += 1;
    }

    /// The platform refused a topic: a missing permission makes the rule unavailable everywhere,
    /// anything else only for that call.
    pub(crate) fn on_rejected(&mut self, id: Option<&ConversationId>, reason: &str) {
        if reason.contains(PERMISSION) {
            self.permission_missing = true;
        } else if let Some(id) = id.filter(|id| self.board.contains(*id)) {
            self.rejected.insert(
                id.clone(),
                format!(
                    "unavailable: the platform refused this call's transcription topic ({reason})"
                ),
            );
        }
    }

    /// The permission check found `conversation:transcription:view` missing.
    pub(crate) fn set_permission_missing(&mut self) {
        self.permission_missing = true;
    }

    /// The feed's channel changed state.
    pub(crate) fn on_status(&mut self, status: &ConnectionStatus) {
        self.link = match status {
            ConnectionStatus::Live => Link::Live,
            ConnectionStatus::Closed { reason } => Link::Closed(reason.to_string()),
            other => Link::Down(other.to_string()),
        };
    }

    /// The counters.
    pub(crate) fn stats(&self) -> FeedStats {
        FeedStats {
            followed: self.followed.len(),
            over_cap: self.board.len().saturating_sub(self.followed.len()),
            messages: self.messages,
            malformed: self.malformed,
        }
    }

    /// What the detector reads at `now`: org-wide access, and per call what its topic said or why
    /// it cannot be used.
    pub(crate) fn snapshot(&self, now: DateTime<Utc>) -> Transcription {
        let mut t = self.transcription.clone();
        t.access = self.access(now);
        if t.access != TranscriptionAccess::Available {
            return t;
        }
        let cap = self.timings.max_calls;
        for id in self.board.difference(&self.followed) {
            t.observe(
                id,
                TranscriptEvent::Unavailable {
                    reason: format!(
                        "unavailable: more than {cap} live calls; transcription is followed for \
                         {cap} of them"
                    ),
                },
            );
        }
        for id in &self.followed {
            if t.call(id).is_none() {
                t.observe(
                    id,
                    TranscriptEvent::Unavailable {
                        reason: "unavailable: this call's transcription topic is being subscribed"
                            .to_owned(),
                    },
                );
            }
        }
        for (id, reason) in &self.rejected {
            t.observe(
                id,
                TranscriptEvent::Unavailable {
                    reason: reason.clone(),
                },
            );
        }
        t
    }

    fn access(&self, now: DateTime<Utc>) -> TranscriptionAccess {
        if self.permission_missing {
            return TranscriptionAccess::Unavailable(TRANSCRIPTION_PERMISSION_MISSING.to_owned());
        }
        match &self.link {
            Link::Live => {}
            Link::Starting => {
                return TranscriptionAccess::Unavailable(
                    "unavailable: the transcription channel is still connecting".to_owned(),
                );
            }
            Link::Down(status) => {
                return TranscriptionAccess::Unavailable(format!(
                    "unavailable: the transcription channel is not connected ({status}); what \
                     was said meanwhile is lost, so silence cannot be judged"
                ));
            }
            Link::Closed(reason) => {
                return TranscriptionAccess::Unavailable(format!(
                    "unavailable: the transcription channel closed ({reason})"
                ));
            }
        }
        // The platform does not say what an unlicensed org gets (docs/genesys-api.md): the topic
        // stays silent, without heartbeats. Once a call has been followed for longer than a
        // heartbeat interval and no call's topic said anything, the org is not transcribed.
        let timeout = self.timings.heartbeat_timeout();
        let waited = chrono::Duration::from_std(timeout).unwrap_or(chrono::TimeDelta::MAX);
        let long_enough = self.transcription.calls().any(|(id, call)| {
            self.followed.contains(id) && call.listening_since.is_some_and(|s| now - s >= waited)
        });
        if self.messages == 0 && long_enough {
            return TranscriptionAccess::Unavailable(format!(
                "unavailable: no transcription message on any call in {}: voice transcription is \
                 not licensed for this organization, or not switched on for these queues",
                format_duration(timeout)
            ));
        }
        TranscriptionAccess::Available
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + s, 0)
            .single()
            .expect("time")
    }

    fn c(id: &str) -> ConversationId {
        ConversationId::new(id)
    }

    fn timings(max_calls: usize) -> FeedTimings {
        FeedTimings {
            delivery_delay: Duration::from_secs(35),
            heartbeat_interval: Duration::from_secs(300),
            heartbeat_slack: Duration::from_secs(60),
            max_calls,
        }
    }

    fn message(v: serde_json::Value) -> TranscriptionTopicTranscriptionMessage {
        serde_json::from_value(v).expect("a message")
    }

    fn heartbeat() -> TranscriptionTopicTranscriptionMessage {
        message(json!({"status": {"status": "SESSION_ONGOING"}}))
    }

    /// A message with one final utterance spoken at `spoken` (seconds from `t(0)`).
    fn utterance(channel: &str, spoken: i64) -> TranscriptionTopicTranscriptionMessage {
        message(json!({
            "transcriptionStartTimeMs": t(0).timestamp_millis(),
            "transcripts": [{"isFinal": true, "channel": channel,
                "alternatives": [{"offsetMs": spoken * 1000, "transcript": "hello"}]}]
        }))
    }

    fn live_book(max_calls: usize, calls: &[&str]) -> Book {
        let mut b = Book::new(timings(max_calls));
        b.set_board(calls.iter().map(|id| c(id)).collect());
        b.on_status(&ConnectionStatus::Live);
        let followed: Vec<ConversationId> = b.desired().iter().cloned().collect();
        b.on_subscribed(&followed, t(0));
        b
    }

    #[test]
    fn calls_are_followed_up_to_the_cap_and_the_room_goes_on() {
        let mut b = live_book(2, &["a", "b", "c"]);
        assert_eq!(
            b.desired().iter().cloned().collect::<Vec<_>>(),
            [c("a"), c("b")]
        );
        assert_eq!(b.stats().over_cap, 1);
        let snap = b.snapshot(t(1));
        let reason = snap.call(&c("c")).and_then(|x| x.unavailable.clone());
        assert!(
            reason
                .as_deref()
                .is_some_and(|r| r.contains("more than 2 live calls")),
            "{reason:?}"
        );
        b.remove_call(&c("a"));
        assert_eq!(
            b.desired().iter().cloned().collect::<Vec<_>>(),
            [c("b"), c("c")]
        );
        // Not subscribed yet: said so, never silent.
        let snap = b.snapshot(t(2));
        let reason = snap.call(&c("c")).and_then(|x| x.unavailable.clone());
        assert!(reason.is_some_and(|r| r.contains("being subscribed")));
        b.set_board([c("c")].into_iter().collect());
        assert_eq!(b.desired().iter().cloned().collect::<Vec<_>>(), [c("c")]);
        assert_eq!(
            b.stats(),
            FeedStats {
                followed: 1,
                over_cap: 0,
                messages: 0,
                malformed: 0
            }
        );
    }

    #[test]
    fn utterances_count_by_channel_and_time_of_speech() {
        let mut b = live_book(10, &["a"]);
        b.on_message(&c("a"), &heartbeat(), t(10));
        b.on_message(&c("a"), &utterance("EXTERNAL", 20), t(55));
        b.on_message(&c("a"), &utterance("INTERNAL", 100), t(135));
        let snap = b.snapshot(t(140));
        assert_eq!(snap.access, TranscriptionAccess::Available);
        let call = snap.call(&c("a")).expect("call");
        assert_eq!(call.listening_since, Some(t(0)));
        assert_eq!(
            call.last_external_speech,
            Some(t(20)),
            "INTERNAL is not the outside"
        );
        assert_eq!(call.last_message, Some(t(135)));
        // BOTH and unknown channels may be the outside: they count as speech.
        b.on_message(&c("a"), &utterance("BOTH", 150), t(185));
        b.on_message(&c("a"), &utterance("SOMETHING_NEW", 160), t(195));
        assert_eq!(
            b.snapshot(t(200))
                .call(&c("a"))
                .and_then(|x| x.last_external_speech),
            Some(t(160))
        );
        // Speech "after" its arrival (a clock ahead) is clamped to the arrival.
        b.on_message(&c("a"), &utterance("EXTERNAL", 900), t(300));
        assert_eq!(
            b.snapshot(t(301))
                .call(&c("a"))
                .and_then(|x| x.last_external_speech),
            Some(t(300))
        );
        assert_eq!(b.stats().messages, 6);
    }

    #[test]
    fn a_resubscription_forgets_what_was_known_and_late_messages_are_ignored() {
        let mut b = live_book(10, &["a"]);
        b.on_message(&c("a"), &utterance("EXTERNAL", 20), t(55));
        b.on_status(&ConnectionStatus::Connecting);
        let down = b.snapshot(t(60));
        assert!(
            matches!(&down.access, TranscriptionAccess::Unavailable(r) if r.contains("not connected")),
            "{:?}",
            down.access
        );
        b.on_status(&ConnectionStatus::Live);
        b.on_subscribed(&[c("a")], t(70));
        let call = b.snapshot(t(71)).call(&c("a")).cloned().expect("call");
        assert_eq!(call.listening_since, Some(t(70)));
        assert_eq!(
            call.last_external_speech, None,
            "a gap forgets the speech before it"
        );
        assert_eq!(call.last_message, None);
        b.remove_call(&c("a"));
        b.on_message(&c("a"), &heartbeat(), t(80));
        assert!(b.snapshot(t(81)).call(&c("a")).is_none());
        assert_eq!(b.stats().messages, 1, "the late one is not counted");
        // A message of a session that ended.
        b.add_call(&c("b"));
        b.on_subscribed(&[c("b")], t(90));
        b.on_message(
            &c("b"),
            &message(json!({"status": {"status": "SESSION_ENDED"}})),
            t(95),
        );
        assert!(b.snapshot(t(96)).call(&c("b")).is_some_and(|x| x.ended));
    }

    #[test]
    fn no_message_anywhere_after_a_heartbeat_interval_reads_as_not_licensed() {
        let mut b = live_book(10, &["a", "b"]);
        assert_eq!(b.snapshot(t(359)).access, TranscriptionAccess::Available);
        let verdict = b.snapshot(t(360)).access;
        assert!(
            matches!(&verdict, TranscriptionAccess::Unavailable(r) if r.contains("not licensed") && r.contains("6 min")),
            "{verdict:?}"
        );
        // One message anywhere: the org is transcribed; the silent call is judged per call.
        b.on_message(&c("a"), &heartbeat(), t(361));
        assert_eq!(b.snapshot(t(362)).access, TranscriptionAccess::Available);
    }

    #[test]
    fn the_permission_refusal_is_org_wide_other_refusals_per_call() {
        let mut b = live_book(10, &["a", "b"]);
        b.on_rejected(Some(&c("a")), "Topic not found");
        let snap = b.snapshot(t(1));
        assert_eq!(snap.access, TranscriptionAccess::Available);
        assert!(
            snap.call(&c("a"))
                .and_then(|x| x.unavailable.clone())
                .is_some_and(|r| r.contains("Topic not found"))
        );
        // A resubscription does not clear a refusal.
        b.on_subscribed(&[c("a")], t(2));
        assert!(
            b.snapshot(t(3))
                .call(&c("a"))
                .and_then(|x| x.unavailable.clone())
                .is_some()
        );
        b.on_rejected(
            Some(&c("b")),
            "Missing permissions (missing conversation:transcription:view)",
        );
        assert_eq!(
            b.snapshot(t(4)).access,
            TranscriptionAccess::Unavailable(TRANSCRIPTION_PERMISSION_MISSING.to_owned())
        );
        let mut closed = Book::new(timings(1));
        closed.on_status(&ConnectionStatus::Closed {
            reason: genesys_notify::CloseReason::SessionExpired,
        });
        assert!(
            matches!(closed.snapshot(t(0)).access, TranscriptionAccess::Unavailable(r) if r.contains("closed"))
        );
        let mut starting = Book::new(timings(1));
        assert!(
            matches!(starting.snapshot(t(0)).access, TranscriptionAccess::Unavailable(r) if r.contains("connecting"))
        );
        starting.set_permission_missing();
        assert_eq!(
            starting.snapshot(t(0)).access,
            TranscriptionAccess::Unavailable(TRANSCRIPTION_PERMISSION_MISSING.to_owned())
        );
        starting.on_malformed();
        assert_eq!(starting.stats().malformed, 1);
    }
}
