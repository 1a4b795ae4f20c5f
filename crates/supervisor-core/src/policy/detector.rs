//! The detector: from the board, the observations and `now`, the legs each rule finds.
//!
//! A pure function ([`detect`]) of (board, observations, now), so every rule is tested with fixed
//! times. Each [`Finding`] names the call and the leg, the rule, since when, and what resolving it
//! would do (who remains). A rule that cannot be evaluated says so ([`Unavailable`]) instead of
//! finding nothing silently or, worse, finding a leg "silent" without transcription.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use genesys_model::{
    CommunicationId, ConversationId, ParticipantId, ParticipantState, Purpose, Timestamp, UserId,
};
use serde::Serialize;

use super::file::{Policy, Rule, RuleKind, format_duration};
use super::observe::{AcceptedDrops, Directory, FlagTracker, Transcription, TranscriptionAccess};
use crate::roster::{ConversationRecord, Party};

/// The rule id of the built-in stale-duplicate marking (not a policy rule: never acted on).
pub const STALE_DUPLICATE: &str = "stale_duplicate";

/// The rule id of the built-in "nobody left" marking: a call that still shows with no person on it
/// (only its routing leg, or legs in no known state). Not a policy rule: the engine never acts on
/// it; a supervisor resolves it with the whole-conversation disconnect, after a confirmation.
pub const NO_LIVE_PARTY: &str = "no_live_party";

/// How long a call must show with nobody on it before it is marked: the platform ends a call within
/// seconds of its last party leaving, so a minute means it is stuck (docs/genesys-api.md, "Cleaning
/// up stuck interactions").
pub const NO_LIVE_PARTY_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

/// What found a leg.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "when")]
pub enum FindingKind {
    /// A rule of the policy.
    Rule(RuleKind),
    /// An ended copy of a person who has a live leg (marked on the board; nothing to drop).
    StaleDuplicate,
    /// A call that still shows with no live person on it ([`NO_LIVE_PARTY`]).
    NoLiveParty,
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
    /// Nobody is left on a call that still shows: the whole-conversation disconnect
    /// (`POST /api/v2/conversations/{id}/disconnect`), which ends it for everyone and applies a
    /// system wrap-up code.
    DisconnectConversation,
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
    if let Some(finding) = no_live_party(record, now) {
        out.findings.push(finding);
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
                        let others_left = last_person_left(record);
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
                    let reason = if call.last_message.is_none() && !call.ended {
                        "unavailable: no transcription heartbeat for this call yet (the first \
                         can take one heartbeat interval; none at all means the call is not \
                         transcribed)"
                            .to_owned()
                    } else {
                        "unavailable: transcription heartbeats stopped for this call".to_owned()
                    };
                    out.unavailable.push(unavailable(reason));
                    continue;
                }
                // Silence counts from the last outside speech, never from before the topic was
                // followed (speech then is unknown); without either, from the first message.
                let since = match (call.last_external_speech, call.listening_since) {
                    (Some(spoke), Some(listening)) => Some(spoke.max(listening)),
                    (spoke, listening) => spoke.or(listening).or(call.started),
                };
                let Some(since) = since else {
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

/// When the last person (not the routing leg) left the call, for "alone since" and "empty since".
fn last_person_left(record: &ConversationRecord) -> Option<Timestamp> {
    record
        .ended_legs
        .iter()
        .chain(&record.stale_duplicates)
        .filter(|l| !l.is_acd())
        .filter_map(|l| l.ended_at)
        .max()
}

/// A call still on the board with no live person on it for [`NO_LIVE_PARTY_AFTER`]: since the last
/// person left (else since it started). The finding names the leg that keeps it open (the routing
/// leg, else a leg in no known state).
fn no_live_party(record: &ConversationRecord, now: DateTime<Utc>) -> Option<Finding> {
    if record.live_people_count() > 0 {
        return None;
    }
    let last_left = last_person_left(record);
    let since = last_left.or(record.started_at)?.instant();
    let threshold =
        chrono::Duration::from_std(NO_LIVE_PARTY_AFTER).unwrap_or(chrono::TimeDelta::MAX);
    if now - since < threshold {
        return None;
    }
    let leg = record
        .parties
        .first()
        .or(record.other_legs.first())
        .or(record.ended_legs.last())?;
    let took = format_duration((now - since).to_std().unwrap_or_default());
    Some(Finding {
        conversation_id: record.id.clone(),
        participant_id: leg.participant_id.clone(),
        party_name: leg.name.clone(),
        purpose: leg.purpose.clone(),
        user_id: leg.user_id.clone(),
        rule: NO_LIVE_PARTY.to_owned(),
        kind: FindingKind::NoLiveParty,
        since,
        since_known: last_left.is_some(),
        reason: if last_left.is_some() {
            format!("nobody has been on the call for {took}, yet it still shows")
        } else {
            format!("nobody is on the call, which started {took} ago, yet it still shows")
        },
        resolution: Resolution::DisconnectConversation,
        remaining: Vec::new(),
    })
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
mod tests;
