//! The drop plan: which leg will be dropped and what happens to the call, computed from a record
//! before anything is sent, shown in the confirm dialog, then handed back to execute.

use std::time::Instant;

use chrono::{DateTime, Utc};
use genesys_model::{ConversationId, ParticipantId, UserId};
use serde::Serialize;
use uuid::Uuid;

use super::outcome::PartySummary;
use crate::present;
use crate::roster::{ConversationRecord, LegStatus, Party};

/// A consequence the confirm dialog must state (its words: [`present::plan::warning`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DropWarning {
    /// One party or none would remain: the call ends for everyone.
    CallWillEnd,
    /// The leg is the last agent (or user) on the call.
    LastAgent,
    /// A customer would remain with no agent on the call (and the call goes on).
    CustomerAlone,
}

/// Whether the plan can be executed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PlanVerdict {
    /// The leg is live: executing sends one PATCH.
    Ready,
    /// The leg (or the call) has already ended: executing sends nothing and reports `AlreadyGone`.
    AlreadyGone,
}

/// Options of a plan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Send even when the local permission check fails, so the platform decides (support and tests
    /// use it to obtain the platform's refusal with its correlation id).
    pub skip_permission_check: bool,
}

/// A reviewed drop: target, what remains, warnings. Execute it with `Actions::execute_drop`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DropPlan {
    /// Identifies the plan (the IPC layer keeps plans by id).
    pub id: Uuid,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// After this, executing it answers `PlanExpired` (the call may have changed).
    pub expires_at: DateTime<Utc>,
    #[serde(skip)]
    pub(crate) created: Instant,
    /// The conversation.
    pub conversation_id: ConversationId,
    /// The leg the supervisor picked.
    pub requested_participant_id: ParticipantId,
    /// The leg that will be dropped.
    pub target: PartySummary,
    /// Set when the picked leg was a stale duplicate and the person's live leg is targeted instead.
    pub resolution: Option<String>,
    /// Ready, or already gone.
    pub verdict: PlanVerdict,
    /// Live parties (ACD leg excluded) that would remain.
    pub remaining: Vec<PartySummary>,
    /// Consequences to state.
    pub warnings: Vec<DropWarning>,
    /// One party or none would remain.
    pub call_will_end: bool,
    /// The leg is the signed-in user's own (no special permission needed).
    pub own_leg: bool,
    /// The signed-in user may act on this leg (own leg, or holds the disconnect permission).
    pub permitted: bool,
    /// Send even if not permitted (see [`PlanOptions`]).
    pub skip_permission_check: bool,
    /// One sentence for the confirm dialog ([`present::plan::summary`]).
    pub summary: String,
}

/// The leg an action will target, after resolving stale duplicates.
pub(crate) enum Target<'a> {
    /// A live leg (with a note when it replaced a stale duplicate).
    Live(&'a Party, Option<String>),
    /// The leg has ended (or the call is over).
    Gone(&'a Party),
    /// No such leg on the conversation.
    Unknown,
    /// The leg is in a state no action applies to.
    NotActionable(&'a Party),
}

/// Finds the leg to act on: a live leg as is; a stale duplicate resolves to the same person's live
/// leg (newest first); an ended leg is gone.
pub(crate) fn resolve<'a>(record: &'a ConversationRecord, requested: &ParticipantId) -> Target<'a> {
    match record.leg(requested) {
        None => Target::Unknown,
        Some((_, party)) if record.ended => Target::Gone(party),
        Some((LegStatus::Live, party)) => Target::Live(party, None),
        Some((LegStatus::StaleDuplicate, stale)) => {
            let live = stale
                .user_id
                .as_ref()
                .and_then(|u| record.live_legs_of(u).into_iter().next());
            match live {
                Some(live) => Target::Live(
                    live,
                    Some(present::plan::stale_duplicate_resolved(
                        &stale.name,
                        &stale.participant_id,
                        &live.participant_id,
                    )),
                ),
                None => Target::Gone(stale),
            }
        }
        Some((LegStatus::Ended, party)) => Target::Gone(party),
        Some((LegStatus::Other, party)) => Target::NotActionable(party),
    }
}

/// The consequences of dropping `target` from `record`.
pub(crate) fn consequences(
    record: &ConversationRecord,
    target: &ParticipantId,
) -> (Vec<PartySummary>, Vec<DropWarning>, bool) {
    let target_party = record.live_party(target);
    let remaining: Vec<&Party> = record
        .live_people()
        .filter(|p| &p.participant_id != target)
        .collect();
    let call_will_end = remaining.len() <= 1;
    let mut warnings = Vec::new();
    if call_will_end {
        warnings.push(DropWarning::CallWillEnd);
    }
    let agent_remains = remaining.iter().any(|p| p.is_agent_like());
    if target_party.is_some_and(Party::is_agent_like) && !agent_remains {
        warnings.push(DropWarning::LastAgent);
    }
    if !call_will_end && !agent_remains && remaining.iter().any(|p| p.is_customer()) {
        warnings.push(DropWarning::CustomerAlone);
    }
    (
        remaining.into_iter().map(PartySummary::from).collect(),
        warnings,
        call_will_end,
    )
}

/// Builds a plan for a resolved target.
#[allow(clippy::too_many_arguments)] // a plain constructor: every input is named at the call site
pub(crate) fn build(
    record: &ConversationRecord,
    requested: &ParticipantId,
    target: &Party,
    resolution: Option<String>,
    verdict: PlanVerdict,
    actor: &UserId,
    can_disconnect_others: bool,
    options: PlanOptions,
    ttl: std::time::Duration,
) -> DropPlan {
    let (remaining, warnings, call_will_end) = match verdict {
        PlanVerdict::Ready => consequences(record, &target.participant_id),
        PlanVerdict::AlreadyGone => (Vec::new(), Vec::new(), false),
    };
    let own_leg = target.user_id.as_ref() == Some(actor);
    let target = PartySummary::from(target);
    let summary = present::plan::summary(&target, verdict, &remaining, &warnings);
    let created_at = Utc::now();
    DropPlan {
        id: Uuid::new_v4(),
        created_at,
        expires_at: created_at + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX),
        created: Instant::now(),
        conversation_id: record.id.clone(),
        requested_participant_id: requested.clone(),
        target,
        resolution,
        verdict,
        remaining,
        warnings,
        call_will_end,
        own_leg,
        permitted: own_leg || can_disconnect_others,
        skip_permission_check: options.skip_permission_check,
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roster::{ConversationRecord, Party};
    use genesys_model::{ParticipantState, Purpose};

    fn party(id: &str, purpose: &str, user: Option<&str>) -> Party {
        Party {
            participant_id: id.into(),
            name: format!("{id} name"),
            purpose: Some(Purpose::from_wire(purpose)),
            state: Some(ParticipantState::Connected),
            muted: Some(false),
            held: Some(false),
            confined: Some(false),
            connected_since: None,
            started_at: None,
            ended_at: None,
            held_since: None,
            user_id: user.map(UserId::new),
            queue_id: None,
            communication_id: None,
        }
    }

    fn record(parties: Vec<Party>, stale: Vec<Party>) -> ConversationRecord {
        ConversationRecord {
            id: "c".into(),
            queues: vec![],
            started_at: None,
            is_conference: parties.len() > 2,
            ended: false,
            full_detail: true,
            watched_users: vec![],
            parties,
            ended_legs: vec![],
            stale_duplicates: stale,
            other_legs: vec![],
        }
    }

    #[test]
    fn three_party_conference_continues() {
        let r = record(
            vec![
                party("cust", "customer", None),
                party("ag", "agent", Some("u1")),
                party("ext", "external", None),
            ],
            vec![],
        );
        let (remaining, warnings, ends) = consequences(&r, &"ext".into());
        assert_eq!(remaining.len(), 2);
        assert!(warnings.is_empty());
        assert!(!ends);
    }

    #[test]
    fn two_party_call_ends_and_last_agent_is_warned() {
        let r = record(
            vec![
                party("cust", "customer", None),
                party("ag", "agent", Some("u1")),
            ],
            vec![],
        );
        let (_, warnings, ends) = consequences(&r, &"ag".into());
        assert!(ends);
        assert_eq!(
            warnings,
            vec![DropWarning::CallWillEnd, DropWarning::LastAgent]
        );
    }

    #[test]
    fn customer_left_with_an_external_only_is_warned() {
        let r = record(
            vec![
                party("cust", "customer", None),
                party("ag", "agent", Some("u1")),
                party("ext", "external", None),
            ],
            vec![],
        );
        let (_, warnings, ends) = consequences(&r, &"ag".into());
        assert!(!ends);
        assert_eq!(
            warnings,
            vec![DropWarning::LastAgent, DropWarning::CustomerAlone]
        );
    }

    #[test]
    fn a_stale_duplicate_resolves_to_the_live_leg() {
        let mut old = party("old", "agent", Some("u12"));
        old.state = Some(ParticipantState::Terminated);
        let r = record(
            vec![
                party("cust", "customer", None),
                party("new", "agent", Some("u12")),
            ],
            vec![old],
        );
        match resolve(&r, &"old".into()) {
            Target::Live(p, Some(note)) => {
                assert_eq!(p.participant_id, "new");
                assert!(note.contains("stale duplicate"), "{note}");
            }
            _ => panic!("expected the live leg"),
        }
        assert!(matches!(resolve(&r, &"nobody".into()), Target::Unknown));
    }

    #[test]
    fn the_summary_names_who_remains() {
        let r = record(
            vec![
                party("cust", "customer", None),
                party("ag", "agent", Some("u1")),
                party("ext", "external", None),
            ],
            vec![],
        );
        let target = r.live_party(&"ext".into()).expect("ext").clone();
        let plan = build(
            &r,
            &"ext".into(),
            &target,
            None,
            PlanVerdict::Ready,
            &UserId::new("sup"),
            true,
            PlanOptions::default(),
            std::time::Duration::from_secs(60),
        );
        assert!(
            plan.summary.starts_with("Drop ext name (external)."),
            "{}",
            plan.summary
        );
        assert!(
            plan.summary.contains("cust name (customer)"),
            "{}",
            plan.summary
        );
        assert!(plan.permitted && !plan.own_leg);
    }
}
