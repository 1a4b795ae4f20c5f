//! The detector: from the board, the observations and `now`, the legs each rule finds.
//!
//! A pure function ([`detect`]) of (board, observations, now), so every rule is tested with fixed
//! times. Each [`Finding`] names the call and the leg, the rule, since when, and what resolving it
//! would do (who remains). A rule that cannot be evaluated says so ([`Unavailable`]) instead of
//! finding nothing silently or, worse, finding a leg "silent" without transcription.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use genesys_model::{
    CommunicationId, ConversationId, ParticipantId, ParticipantState, Purpose, UserId,
};
use serde::Serialize;

use super::file::{Policy, Rule, RuleKind, format_duration};
use super::observe::{AcceptedDrops, Directory, FlagTracker, Transcription, TranscriptionAccess};
use crate::roster::{ConversationRecord, Party};

/// The rule id of the built-in stale-duplicate marking (not a policy rule: never acted on).
pub const STALE_DUPLICATE: &str = "stale_duplicate";

/// What found a leg.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "when")]
pub enum FindingKind {
    /// A rule of the policy.
    Rule(RuleKind),
    /// An ended copy of a person who has a live leg (marked on the board; nothing to drop).
    StaleDuplicate,
}

/// What resolving a finding would do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Resolution {
    /// The verified drop of the leg.
    DropLeg,
    /// The leg outlived an accepted drop: disconnect its communication.
    DisconnectCommunication {
        /// The communication, when the board knows it (else it is read first).
        communication_id: Option<CommunicationId>,
    },
    /// Nothing to do (the leg has already ended; it is only shown).
    None,
}

/// One leg a rule found.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The call.
    pub conversation_id: ConversationId,
    /// The leg.
    pub participant_id: ParticipantId,
    /// Who the leg is, as the board shows it.
    pub party_name: String,
    /// The leg's purpose, if known.
    pub purpose: Option<Purpose>,
    /// The user on the leg, if any (for exclusions).
    pub user_id: Option<UserId>,
    /// The rule's id ([`STALE_DUPLICATE`] for the built-in marking).
    pub rule: String,
    /// What found it.
    pub kind: FindingKind,
    /// Since when the condition holds (for a mute seen already set: since it was first seen).
    pub since: DateTime<Utc>,
    /// False when the real start is earlier and unknown (a mute present when watching started).
    pub since_known: bool,
    /// Why, in words ("on hold for 12 min").
    pub reason: String,
    /// What resolving it does.
    pub resolution: Resolution,
    /// Who would remain on the call (names), when it is resolved.
    pub remaining: Vec<String>,
}

/// A rule that could not be evaluated (for one call, or for all).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Unavailable {
    /// The rule's id.
    pub rule: String,
    /// The call, or `None` when the rule is unavailable everywhere.
    pub conversation_id: Option<ConversationId>,
    /// Why, in words (names the permission or licence).
    pub reason: String,
}

/// Everything the detector needs besides the board and the time.
#[derive(Clone, Copy, Debug)]
pub struct Observations<'a> {
    /// When mutes (and holds without `startHoldTime`) were first seen.
    pub flags: &'a FlagTracker,
    /// Drops the platform accepted.
    pub accepted_drops: &'a AcceptedDrops,
    /// The transcription topic's state.
    pub transcription: &'a Transcription,
    /// Queue names and user emails.
    pub directory: &'a Directory,
}

/// What one evaluation found.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Detection {
    /// Findings, by call then rule then leg.
    pub findings: Vec<Finding>,
    /// Rules that could not be evaluated, and why.
    pub unavailable: Vec<Unavailable>,
}

/// Evaluates every rule of the policy on the board at `now` (plus the stale-duplicate marking).
pub fn detect(
    board: &[Arc<ConversationRecord>],
    policy: &Policy,
    obs: &Observations<'_>,
    now: DateTime<Utc>,
) -> Detection {
    let mut out = Detection::default();
    for rule in &policy.rules {
        if rule.when == RuleKind::Silent {
            if let TranscriptionAccess::Unavailable(reason) = &obs.transcription.access {
                out.unavailable.push(Unavailable {
                    rule: rule.id.clone(),
                    conversation_id: None,
                    reason: reason.clone(),
                });
            }
        }
    }
    for record in board {
        detect_record_into(record, policy, obs, now, &mut out);
    }
    out
}

/// The findings of one call (what the engine uses to check, after a fresh read, that a finding
/// still holds).
pub fn detect_record(
    record: &ConversationRecord,
    policy: &Policy,
    obs: &Observations<'_>,
    now: DateTime<Utc>,
) -> Detection {
    let mut out = Detection::default();
    detect_record_into(record, policy, obs, now, &mut out);
    out
}

fn detect_record_into(
    record: &ConversationRecord,
    policy: &Policy,
    obs: &Observations<'_>,
    now: DateTime<Utc>,
    out: &mut Detection,
) {
    if record.ended {
        return;
    }
    for stale in &record.stale_duplicates {
        let live = stale.user_id.as_ref().and_then(|u| {
            record
                .live_legs_of(u)
                .first()
                .map(|p| p.participant_id.clone())
        });
        out.findings.push(Finding {
            conversation_id: record.id.clone(),
            participant_id: stale.participant_id.clone(),
            party_name: stale.name.clone(),
            purpose: stale.purpose.clone(),
            user_id: stale.user_id.clone(),
            rule: STALE_DUPLICATE.to_owned(),
            kind: FindingKind::StaleDuplicate,
            since: stale.ended_at.map_or(now, |t| t.instant()),
            since_known: stale.ended_at.is_some(),
            reason: match live {
                Some(p) => format!(
                    "an ended copy of {}, who is on the call as participant {p}",
                    stale.name
                ),
                None => format!("an ended copy of {}", stale.name),
            },
            resolution: Resolution::None,
            remaining: people(record, None),
        });
    }
    for rule in &policy.rules {
        if !in_scope(rule, record, obs.directory) {
            continue;
        }
        let threshold =
            chrono::Duration::from_std(rule.threshold).unwrap_or(chrono::TimeDelta::MAX);
        // `until`: how far the condition is known (now, or for silence now minus the delay).
        let mut found = |party: &Party,
                         since: DateTime<Utc>,
                         since_known: bool,
                         reason: String,
                         until: DateTime<Utc>| {
            if until - since < threshold || !may_find(rule, party, obs.directory) {
                return;
            }
            let resolution = if rule.when == RuleKind::Phantom {
                Resolution::DisconnectCommunication {
                    communication_id: party.communication_id.clone(),
                }
            } else {
                Resolution::DropLeg
            };
            out.findings.push(Finding {
                conversation_id: record.id.clone(),
                participant_id: party.participant_id.clone(),
                party_name: party.name.clone(),
                purpose: party.purpose.clone(),
                user_id: party.user_id.clone(),
                rule: rule.id.clone(),
                kind: FindingKind::Rule(rule.when),
                since,
                since_known,
                reason,
                resolution,
                remaining: people(record, Some(&party.participant_id)),
            });
        };
        let took =
            |since: DateTime<Utc>| format_duration((now - since).to_std().unwrap_or_default());
        match rule.when {
            RuleKind::Held => {
                for p in record.live_people().filter(|p| p.is_held()) {
                    let (since, known) = match p.held_since {
                        Some(t) => (t.instant(), true),
                        None => match obs.flags.held(&record.id, &p.participant_id) {
                            Some(seen) => (seen.since, seen.start_known),
                            None => continue,
                        },
                    };
                    let reason = format!(
                        "on hold for {}{}",
                        took(since),
                        if known {
                            ""
                        } else {
                            " at least (seen held since then)"
                        }
                    );
                    found(p, since, known, reason, now);
                }
            }
            RuleKind::Muted => {
                for p in record.live_people().filter(|p| p.is_muted()) {
                    let Some(seen) = obs.flags.muted(&record.id, &p.participant_id) else {
                        continue;
                    };
                    let reason = if seen.start_known {
                        format!("muted for {}", took(seen.since))
                    } else {
                        format!(
                            "muted for at least {} (already muted when first seen)",
                            took(seen.since)
                        )
                    };
                    found(p, seen.since, seen.start_known, reason, now);
                }
            }
            RuleKind::Alone => {
                let routing = record.parties.iter().any(Party::is_acd);
                let people: Vec<&Party> = record.live_people().collect();
                if let ([only], false) = (people.as_slice(), routing) {
                    if only.state == Some(ParticipantState::Connected) {
                        let others_left = record
                            .ended_legs
                            .iter()
                            .chain(&record.stale_duplicates)
                            .filter(|l| !l.is_acd())
                            .filter_map(|l| l.ended_at)
                            .max();
                        let since = others_left.or(only.connected_since).map(|t| t.instant());
                        if let Some(since) = since {
                            let reason = format!("the only party on the call for {}", took(since));
                            found(only, since, true, reason, now);
                        }
                    }
                }
            }
            RuleKind::NoOutsideParty => {
                let outside = |p: &Party| {
                    matches!(p.purpose, Some(Purpose::Customer) | Some(Purpose::External))
                };
                let people: Vec<&Party> = record.live_people().collect();
                if !people.is_empty() && !people.iter().any(|p| outside(p)) {
                    let outside_left = record
                        .ended_legs
                        .iter()
                        .chain(&record.stale_duplicates)
                        .filter(|l| outside(l))
                        .filter_map(|l| l.ended_at)
                        .max();
                    if let Some(since) = outside_left.or(record.started_at).map(|t| t.instant()) {
                        let reason = format!(
                            "no customer or external party on the call for {}",
                            took(since)
                        );
                        for p in people {
                            found(p, since, true, reason.clone(), now);
                        }
                    }
                }
            }
            RuleKind::OnCall => {
                for p in record.live_people() {
                    if let Some(since) = p.connected_since.map(|t| t.instant()) {
                        found(
                            p,
                            since,
                            true,
                            format!("on the call for {}", took(since)),
                            now,
                        );
                    }
                }
            }
            RuleKind::Phantom => {
                for p in &record.parties {
                    if let Some(at) = obs.accepted_drops.get(&record.id, &p.participant_id) {
                        let reason = format!(
                            "still on the call {} after a drop the platform accepted",
                            took(at)
                        );
                        found(p, at, true, reason, now);
                    }
                }
            }
            RuleKind::Silent => {
                if obs.transcription.access != TranscriptionAccess::Available {
                    continue; // reported once for all calls
                }
                let unavailable = |reason: String| Unavailable {
                    rule: rule.id.clone(),
                    conversation_id: Some(record.id.clone()),
                    reason,
                };
                let Some(call) = obs.transcription.call(&record.id) else {
                    out.unavailable.push(unavailable(
                        "unavailable: no transcription for this call (not switched on for its queue, \
                         or no session yet)"
                            .to_owned(),
                    ));
                    continue;
                };
                if let Some(reason) = &call.unavailable {
                    out.unavailable.push(unavailable(reason.clone()));
                    continue;
                }
                let heartbeat = chrono::Duration::from_std(obs.transcription.heartbeat_timeout)
                    .unwrap_or(chrono::TimeDelta::MAX);
                let alive = !call.ended && call.last_message.is_some_and(|m| now - m <= heartbeat);
                if !alive {
                    out.unavailable.push(unavailable(
                        "unavailable: transcription heartbeats stopped for this call".to_owned(),
                    ));
                    continue;
                }
                let Some(since) = call.last_external_speech.or(call.started) else {
                    continue;
                };
                // Speech is known only up to now minus the delivery delay.
                let delay = chrono::Duration::from_std(obs.transcription.delivery_delay)
                    .unwrap_or_default();
                let known_until = now - delay;
                if known_until - since < threshold {
                    continue;
                }
                let silent_for =
                    format_duration((known_until - since).to_std().unwrap_or_default());
                for p in record.live_people().filter(|p| outside_side(p)) {
                    let reason = if call.last_external_speech.is_some() {
                        format!("the outside side has said nothing for {silent_for}")
                    } else {
                        format!(
                            "the outside side has said nothing since transcription started ({silent_for})"
                        )
                    };
                    found(p, since, true, reason, known_until);
                }
            }
        }
    }
}

/// The EXTERNAL channel: the customer side of the call.
fn outside_side(p: &Party) -> bool {
    matches!(p.purpose, Some(Purpose::Customer) | Some(Purpose::External))
}

/// The call is one the rule looks at: on one of its queues, or with one of its people on it.
fn in_scope(rule: &Rule, record: &ConversationRecord, directory: &Directory) -> bool {
    if rule.queues.is_empty() && rule.users.is_empty() {
        return true;
    }
    let on_queue = rule
        .queues
        .iter()
        .any(|name| record.queues.iter().any(|q| directory.names_queue(name, q)));
    let with_user = rule.users.iter().any(|name| {
        record
            .all_legs()
            .filter_map(|p| p.user_id.as_ref())
            .any(|u| directory.names_user(name, u))
    });
    on_queue || with_user
}

/// The rule may report this leg: its purpose is covered, it is not excluded, and it is not the
/// routing leg (unless the rule names `acd`).
fn may_find(rule: &Rule, party: &Party, directory: &Directory) -> bool {
    if party.is_acd() && !(rule.purposes_listed && rule.covers_purpose(party.purpose.as_ref())) {
        return false;
    }
    rule.covers_purpose(party.purpose.as_ref())
        && !is_excluded(rule, party.user_id.as_ref(), directory)
}

/// True when the rule's `exclude_users` names this user.
pub fn is_excluded(rule: &Rule, user: Option<&UserId>, directory: &Directory) -> bool {
    user.is_some_and(|u| {
        rule.exclude_users
            .iter()
            .any(|name| directory.names_user(name, u))
    })
}

/// Names of the live people other than `except`.
fn people(record: &ConversationRecord, except: Option<&ParticipantId>) -> Vec<String> {
    record
        .live_people()
        .filter(|p| Some(&p.participant_id) != except)
        .map(|p| p.name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::observe::{Channel, TranscriptEvent};
    use chrono::TimeZone;
    use genesys_model::{QueueId, Timestamp};

    pub(crate) fn t(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0)
            .single()
            .expect("time")
            + chrono::Duration::seconds(secs)
    }

    fn ts(secs: i64) -> Option<Timestamp> {
        Some(Timestamp::new(t(secs)))
    }

    pub(crate) fn party(id: &str, purpose: &str) -> Party {
        Party {
            participant_id: id.into(),
            name: format!("{id} name"),
            purpose: Some(Purpose::from_wire(purpose)),
            state: Some(ParticipantState::Connected),
            muted: Some(false),
            held: Some(false),
            confined: Some(false),
            connected_since: ts(0),
            started_at: ts(0),
            ended_at: None,
            held_since: None,
            user_id: None,
            queue_id: Some(QueueId::new("q1")),
            communication_id: None,
        }
    }

    pub(crate) fn ended(id: &str, purpose: &str, at: i64) -> Party {
        let mut p = party(id, purpose);
        p.state = Some(ParticipantState::Disconnected);
        p.ended_at = ts(at);
        p
    }

    pub(crate) fn record(
        id: &str,
        parties: Vec<Party>,
        ended_legs: Vec<Party>,
    ) -> Arc<ConversationRecord> {
        let mut r = ConversationRecord {
            id: id.into(),
            queues: vec![QueueId::new("q1")],
            started_at: ts(0),
            is_conference: false,
            ended: false,
            full_detail: true,
            watched_users: vec![],
            parties,
            ended_legs,
            stale_duplicates: vec![],
            other_legs: vec![],
        };
        r.is_conference = r.live_people_count() > 2;
        Arc::new(r)
    }

    pub(crate) fn policy(rules: &str) -> Policy {
        Policy::parse(rules).expect("valid policy")
    }

    fn rule(when: &str, dur: &str, extra: &str) -> Policy {
        policy(&format!(
            "[[rule]]\nid = \"r\"\nwhen = \"{when}\"\nfor = \"{dur}\"\n{extra}\n"
        ))
    }

    struct Obs {
        flags: FlagTracker,
        drops: AcceptedDrops,
        transcription: Transcription,
        directory: Directory,
    }

    impl Obs {
        fn new() -> Self {
            Self {
                flags: FlagTracker::new(),
                drops: AcceptedDrops::new(),
                transcription: Transcription::default(),
                directory: Directory::new(),
            }
        }
        fn view(&self) -> Observations<'_> {
            Observations {
                flags: &self.flags,
                accepted_drops: &self.drops,
                transcription: &self.transcription,
                directory: &self.directory,
            }
        }
    }

    fn found(
        board: &[Arc<ConversationRecord>],
        p: &Policy,
        obs: &Obs,
        now: i64,
    ) -> Vec<(String, String)> {
        detect(board, p, &obs.view(), t(now))
            .findings
            .into_iter()
            .map(|f| (f.participant_id.to_string(), f.rule))
            .collect()
    }

    fn ids(list: &[&str]) -> Vec<(String, String)> {
        list.iter()
            .map(|p| ((*p).to_owned(), "r".to_owned()))
            .collect()
    }

    #[test]
    fn held_counts_from_start_hold_time() {
        let mut ag = party("ag", "agent");
        ag.held = Some(true);
        ag.held_since = ts(100);
        let board = vec![record("c1", vec![party("cust", "customer"), ag], vec![])];
        let p = rule("held", "10m", "");
        let obs = Obs::new();
        assert!(found(&board, &p, &obs, 100 + 599).is_empty(), "not yet");
        assert_eq!(found(&board, &p, &obs, 100 + 600), ids(&["ag"]));
        let f = &detect(&board, &p, &obs.view(), t(800)).findings[0];
        assert_eq!(f.since, t(100));
        assert!(f.reason.contains("on hold for 11 min 40 s"), "{}", f.reason);
        assert_eq!(f.remaining, vec!["cust name"]);
        assert_eq!(f.resolution, Resolution::DropLeg);
    }

    #[test]
    fn held_without_start_hold_time_counts_from_when_it_was_seen() {
        let mut ag = party("ag", "agent");
        ag.held = Some(true);
        let board = vec![record("c1", vec![party("cust", "customer"), ag], vec![])];
        let p = rule("held", "1m", "");
        let mut obs = Obs::new();
        assert!(
            found(&board, &p, &obs, 1000).is_empty(),
            "never seen: not counted"
        );
        obs.flags.observe(&board, t(1000));
        assert!(found(&board, &p, &obs, 1059).is_empty());
        assert_eq!(found(&board, &p, &obs, 1060), ids(&["ag"]));
    }

    #[test]
    fn muted_counts_from_the_seen_mute_and_an_initial_mute_is_unknown() {
        let mut ext = party("ext", "external");
        ext.muted = Some(true);
        let muted_board = vec![record(
            "c1",
            vec![party("cust", "customer"), ext.clone()],
            vec![],
        )];
        let p = rule("muted", "5m", "");
        let mut obs = Obs::new();
        // Already muted when watching started, connected long ago: counts only from t=1000.
        obs.flags.observe(&muted_board, t(1000));
        assert!(found(&muted_board, &p, &obs, 1299).is_empty());
        let d = detect(&muted_board, &p, &obs.view(), t(1300));
        assert_eq!(d.findings.len(), 1);
        assert!(!d.findings[0].since_known);
        assert!(
            d.findings[0].reason.contains("at least 5 min"),
            "{}",
            d.findings[0].reason
        );

        // Unmuted, then muted again: a transition seen, with a known start.
        ext.muted = Some(false);
        let clear = vec![record(
            "c1",
            vec![party("cust", "customer"), ext.clone()],
            vec![],
        )];
        obs.flags.observe(&clear, t(1400));
        assert!(found(&clear, &p, &obs, 2000).is_empty());
        obs.flags.observe(&muted_board, t(1500));
        assert!(found(&muted_board, &p, &obs, 1799).is_empty());
        let d = detect(&muted_board, &p, &obs.view(), t(1800));
        assert_eq!(d.findings[0].since, t(1500));
        assert!(d.findings[0].since_known);

        // A mute that became unknown (analytics after a reconnect) is not counted any more.
        ext.muted = None;
        let unknown = vec![record("c1", vec![party("cust", "customer"), ext], vec![])];
        obs.flags.observe(&unknown, t(1900));
        assert!(obs.flags.muted(&"c1".into(), &"ext".into()).is_none());
    }

    #[test]
    fn alone_counts_from_when_the_others_left_and_ignores_a_call_in_queue() {
        let board = vec![record(
            "c1",
            vec![party("ag", "agent")],
            vec![ended("cust", "customer", 200), ended("acd", "acd", 10)],
        )];
        let p = rule("alone", "90s", "");
        let obs = Obs::new();
        assert!(found(&board, &p, &obs, 289).is_empty());
        assert_eq!(found(&board, &p, &obs, 290), ids(&["ag"]));
        let f = &detect(&board, &p, &obs.view(), t(290)).findings[0];
        assert!(f.remaining.is_empty(), "resolving it leaves no one");

        // A customer waiting in queue is alone with the ACD leg: not a finding.
        let mut acd = party("acd", "acd");
        acd.state = Some(ParticipantState::Connected);
        let queued = vec![record("c2", vec![party("cust", "customer"), acd], vec![])];
        let p = rule("alone", "90s", "purposes = [\"customer\"]");
        assert!(found(&queued, &p, &obs, 5000).is_empty());
        // Two parties: not alone.
        let two = vec![record(
            "c3",
            vec![party("a", "agent"), party("b", "external")],
            vec![],
        )];
        assert!(found(&two, &rule("alone", "1s", ""), &obs, 5000).is_empty());
    }

    #[test]
    fn no_outside_party_finds_every_internal_leg() {
        let board = vec![record(
            "c1",
            vec![party("ag1", "agent"), party("ag2", "user")],
            vec![ended("cust", "customer", 300)],
        )];
        let p = rule("no_outside_party", "2m", "");
        let obs = Obs::new();
        assert!(found(&board, &p, &obs, 419).is_empty());
        assert_eq!(found(&board, &p, &obs, 420), ids(&["ag1", "ag2"]));
        let with_customer = vec![record(
            "c2",
            vec![party("ag", "agent"), party("cust", "customer")],
            vec![],
        )];
        assert!(found(&with_customer, &p, &obs, 5000).is_empty());
        // Never had an outside party: counted from the call's start.
        let bridge = vec![record(
            "c3",
            vec![party("a", "agent"), party("b", "agent")],
            vec![],
        )];
        assert_eq!(found(&bridge, &p, &obs, 120), ids(&["a", "b"]));
    }

    #[test]
    fn on_call_and_purposes_and_exclusions() {
        let mut lead = party("lead", "agent");
        lead.user_id = Some(UserId::new("u-lead"));
        let board = vec![record(
            "c1",
            vec![
                party("cust", "customer"),
                party("ag", "agent"),
                party("ext", "external"),
                lead,
            ],
            vec![],
        )];
        let mut obs = Obs::new();
        obs.directory = Directory::new().user(UserId::new("u-lead"), "Lead@Example.com");
        let p = rule("on_call", "1h", "exclude_users = [\"lead@example.com\"]");
        assert!(found(&board, &p, &obs, 3599).is_empty());
        assert_eq!(
            found(&board, &p, &obs, 3600),
            ids(&["ag", "ext"]),
            "not the customer, not the lead"
        );
        let p = rule("on_call", "1h", "purposes = [\"external\"]");
        assert_eq!(found(&board, &p, &obs, 3600), ids(&["ext"]));
        let p = rule("on_call", "1h", "purposes = [\"customer\"]");
        assert_eq!(found(&board, &p, &obs, 3600), ids(&["cust"]));
    }

    #[test]
    fn queue_and_user_scope() {
        let mut ag = party("ag", "agent");
        ag.user_id = Some(UserId::new("u-7"));
        let board = vec![record("c1", vec![party("cust", "customer"), ag], vec![])];
        let mut obs = Obs::new();
        obs.directory = Directory::new()
            .queue(QueueId::new("q1"), "Support")
            .user(UserId::new("u-7"), "seven@example.com");
        assert_eq!(
            found(
                &board,
                &rule("on_call", "1s", "queues = [\"support\"]"),
                &obs,
                10
            ),
            ids(&["ag"])
        );
        assert_eq!(
            found(
                &board,
                &rule("on_call", "1s", "queues = [\"q1\"]"),
                &obs,
                10
            ),
            ids(&["ag"])
        );
        assert!(
            found(
                &board,
                &rule("on_call", "1s", "queues = [\"Sales\"]"),
                &obs,
                10
            )
            .is_empty()
        );
        assert_eq!(
            found(
                &board,
                &rule(
                    "on_call",
                    "1s",
                    "queues = [\"Sales\"]\nusers = [\"seven@example.com\"]"
                ),
                &obs,
                10
            ),
            ids(&["ag"])
        );
    }

    #[test]
    fn phantom_is_a_leg_live_after_an_accepted_drop() {
        let mut ext = party("ext", "external");
        ext.communication_id = Some(CommunicationId::new("m1"));
        let board = vec![record("c1", vec![party("ag", "agent"), ext], vec![])];
        let p = rule("phantom", "10s", "");
        let mut obs = Obs::new();
        assert!(found(&board, &p, &obs, 100).is_empty());
        obs.drops.record("c1".into(), "ext".into(), t(100));
        assert!(found(&board, &p, &obs, 109).is_empty());
        let d = detect(&board, &p, &obs.view(), t(110));
        assert_eq!(d.findings.len(), 1);
        assert_eq!(
            d.findings[0].resolution,
            Resolution::DisconnectCommunication {
                communication_id: Some(CommunicationId::new("m1"))
            }
        );
    }

    #[test]
    fn silent_needs_heartbeats_and_counts_the_delivery_delay() {
        let board = vec![record(
            "c1",
            vec![party("ag", "agent"), party("ext", "external")],
            vec![],
        )];
        let p = rule("silent", "2m", "");
        let mut obs = Obs::new();
        let c1: ConversationId = "c1".into();
        // No transcription for this call: unavailable, never silent.
        let d = detect(&board, &p, &obs.view(), t(1000));
        assert!(d.findings.is_empty());
        assert_eq!(d.unavailable.len(), 1);
        assert!(
            d.unavailable[0].reason.contains("no transcription"),
            "{:?}",
            d.unavailable
        );

        obs.transcription
            .observe(&c1, TranscriptEvent::Heartbeat { at: t(0) });
        obs.transcription.observe(
            &c1,
            TranscriptEvent::Utterance {
                at: t(100),
                channel: Channel::External,
                is_final: true,
            },
        );
        obs.transcription.observe(
            &c1,
            TranscriptEvent::Utterance {
                at: t(200),
                channel: Channel::Internal,
                is_final: true,
            },
        );
        obs.transcription.observe(
            &c1,
            TranscriptEvent::Utterance {
                at: t(250),
                channel: Channel::External,
                is_final: false,
            },
        );
        // Spoke at 100; silence known up to now - 35 s: found at 100 + 120 + 35.
        assert!(found(&board, &p, &obs, 254).is_empty());
        assert_eq!(
            found(&board, &p, &obs, 255),
            ids(&["ext"]),
            "only the outside side"
        );
        // Heartbeats stopped: unavailable, not silent.
        let d = detect(&board, &p, &obs.view(), t(250 + 6 * 60 + 1));
        assert!(d.findings.is_empty());
        assert!(d.unavailable[0].reason.contains("heartbeats stopped"));
    }

    #[test]
    fn silent_without_permission_or_licence_is_unavailable_not_silent() {
        let board = vec![record(
            "c1",
            vec![party("ag", "agent"), party("ext", "external")],
            vec![],
        )];
        let p = rule("silent", "1m", "");
        for (perm, lic, words) in [
            (false, true, "conversation:transcription:view"),
            (true, false, "not licensed"),
        ] {
            let mut obs = Obs::new();
            obs.transcription = Transcription::new(Transcription::access_from(perm, lic));
            obs.transcription
                .observe(&"c1".into(), TranscriptEvent::Heartbeat { at: t(0) });
            let d = detect(&board, &p, &obs.view(), t(10_000));
            assert!(d.findings.is_empty());
            assert_eq!(
                d.unavailable.len(),
                1,
                "once for all calls: {:?}",
                d.unavailable
            );
            assert!(
                d.unavailable[0].reason.contains(words),
                "{:?}",
                d.unavailable
            );
            assert_eq!(d.unavailable[0].conversation_id, None);
        }
        let mut obs = Obs::new();
        obs.transcription.observe(
            &"c1".into(),
            TranscriptEvent::Unavailable {
                reason: "unavailable: subscription refused".into(),
            },
        );
        let d = detect(&board, &p, &obs.view(), t(10_000));
        assert!(d.findings.is_empty());
        assert_eq!(d.unavailable[0].conversation_id, Some("c1".into()));
    }

    #[test]
    fn stale_duplicates_stay_marked_and_are_informational() {
        let mut old = ended("old", "agent", 50);
        old.user_id = Some(UserId::new("u1"));
        let mut new = party("new", "agent");
        new.user_id = Some(UserId::new("u1"));
        let mut r = (*record("c1", vec![party("cust", "customer"), new], vec![])).clone();
        r.stale_duplicates.push(old);
        let board = vec![Arc::new(r)];
        let d = detect(
            &board,
            &Policy::parse("").expect("empty"),
            &Obs::new().view(),
            t(60),
        );
        assert_eq!(d.findings.len(), 1);
        let f = &d.findings[0];
        assert_eq!(
            (f.rule.as_str(), f.kind),
            (STALE_DUPLICATE, FindingKind::StaleDuplicate)
        );
        assert_eq!(f.resolution, Resolution::None);
        assert!(f.reason.contains("participant new"), "{}", f.reason);
    }

    #[test]
    fn the_board_carries_start_hold_time_from_an_event() {
        use crate::roster::RosterModel;
        let body = serde_json::json!({"id": "c9", "participants": [
            {"id": "cust", "purpose": "customer", "state": "connected", "queue": {"id": "q1"}},
            {"id": "ag", "purpose": "agent", "state": "connected", "held": true,
             "startHoldTime": "2026-01-01T10:00:30.000Z", "queue": {"id": "q1"}},
        ]});
        let conversation: genesys_model::ConversationCallEventTopicCallConversation =
            serde_json::from_value(body).expect("event body");
        let mut model = RosterModel::new([QueueId::new("q1")], 16);
        model.apply_event(genesys_notify::ConversationEvent {
            topic: Arc::from("v2.routing.queues.q1.conversations.calls"),
            source: genesys_notify::WatchTarget::Queue(QueueId::new("q1")),
            conversation: Box::new(conversation),
            correlation_id: None,
        });
        let board = model.snapshot().conversations;
        assert_eq!(
            board[0].live_party(&"ag".into()).expect("ag").held_since,
            ts(30)
        );
        let d = detect(&board, &rule("held", "1m", ""), &Obs::new().view(), t(90));
        assert_eq!(d.findings.len(), 1, "{d:?}");
        assert_eq!(d.findings[0].since, t(30));
    }
}
