//! The leg-by-leg half of the roster's merge rule (rules 1, 3 and 5 of `model.rs`' module doc), and
//! building a record from merged legs. Pure functions, kept apart so `model.rs` holds the state.

use std::collections::BTreeSet;

use genesys_model::{ConversationId, QueueId, Timestamp, UserId};

use super::normalize::{Leg, LegClass};
use super::record::{ConversationRecord, LegStatus};

pub(super) fn class_of(status: LegStatus) -> LegClass {
    match status {
        LegStatus::Live => LegClass::Live,
        LegStatus::Ended | LegStatus::StaleDuplicate => LegClass::Ended,
        LegStatus::Other => LegClass::Other,
    }
}

/// Rules 1, 3 and 5 of the module doc, leg by leg.
pub(super) fn merge_legs(
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

pub(super) fn watched_users_of(
    record: &ConversationRecord,
    watched: &BTreeSet<UserId>,
) -> Vec<UserId> {
    let mut users: Vec<UserId> = record
        .all_legs()
        .filter_map(|p| p.user_id.clone())
        .filter(|u| watched.contains(u))
        .collect();
    users.sort_unstable();
    users.dedup();
    users
}

pub(super) fn build_record(
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
