//! The immutable conversation record the board shows and the actions check against.
//!
//! Records are built once per change and shared as `Arc<ConversationRecord>`: a snapshot or a change
//! hands out the same allocation, and a conversation that did not change keeps its identity, so the
//! UI can skip rows by pointer and the actions can hold a record without copying it.

use genesys_model::{
    CommunicationId, ConversationId, ParticipantId, ParticipantState, Purpose, QueueId, Timestamp,
    UserId,
};
use serde::Serialize;

/// One leg of a call as the supervisor sees it, whatever wire shape it arrived in.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Party {
    /// The leg id: the only safe target of an action (never the user id).
    pub participant_id: ParticipantId,
    /// Best display name (name, user name, address, or the purpose).
    pub name: String,
    /// Role on the call (agent, customer, external, acd, ...); unknown values are kept verbatim.
    pub purpose: Option<Purpose>,
    /// The leg's state (for `calls[]` shapes, the effective call's state).
    pub state: Option<ParticipantState>,
    /// Muted now; `None` until an event or a read says (analytics data does not carry it).
    pub muted: Option<bool>,
    /// On hold now; `None` until known.
    pub held: Option<bool>,
    /// Confined now (ad-hoc conferences); `None` until known.
    pub confined: Option<bool>,
    /// When the leg connected: the base of "time on the call".
    pub connected_since: Option<Timestamp>,
    /// When the leg started (ringing or dialling included).
    pub started_at: Option<Timestamp>,
    /// When the leg ended, for ended legs.
    pub ended_at: Option<Timestamp>,
    /// When the current hold started (the platform's `startHoldTime`, or an open analytics hold
    /// segment's start), while held: what the `held` policy rule counts from.
    pub held_since: Option<Timestamp>,
    /// The user on the leg, if any: how duplicate legs of one person are spotted.
    pub user_id: Option<UserId>,
    /// The queue the leg came through, if known.
    pub queue_id: Option<QueueId>,
    /// The live (else last) communication id, when the wire shape carried one: the target of the
    /// per-communication disconnect offered when a drop is not confirmed.
    pub communication_id: Option<CommunicationId>,
}

impl Party {
    /// True for the routing (ACD) leg, which is not a party of the conversation for the end-game rule.
    pub fn is_acd(&self) -> bool {
        matches!(self.purpose, Some(Purpose::Acd))
    }

    /// True for agent-like parties (agent, user): dropping the last one leaves the customer unattended.
    pub fn is_agent_like(&self) -> bool {
        self.purpose.as_ref().is_some_and(Purpose::is_agent_like)
    }

    /// True for the customer leg, whose fate the drop plan warns about.
    pub fn is_customer(&self) -> bool {
        matches!(self.purpose, Some(Purpose::Customer))
    }

    /// True when every field the board shows is known (an event or a REST read supplied it).
    pub fn is_fully_known(&self) -> bool {
        self.state.is_some()
            && self.muted.is_some()
            && self.held.is_some()
            && self.confined.is_some()
    }

    /// Muted, with "not known" read as not muted (for rules that must not act on a guess, check
    /// [`Party::muted`] itself).
    pub fn is_muted(&self) -> bool {
        self.muted == Some(true)
    }

    /// Held, with "not known" read as not held.
    pub fn is_held(&self) -> bool {
        self.held == Some(true)
    }

    /// The purpose as text ("unknown" when absent), for logs, the audit log and messages.
    pub fn purpose_text(&self) -> &str {
        self.purpose.as_ref().map_or("unknown", Purpose::as_str)
    }
}

/// Which list of a record a leg is in; only [`LegStatus::Live`] legs may be acted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum LegStatus {
    /// On the call now.
    Live,
    /// Gone (`disconnected` or `terminated`).
    Ended,
    /// Ended, and the same user has a live leg on the call: an older copy of that person.
    StaleDuplicate,
    /// Neither live nor ended (an unknown or `none`/`scheduled` state): shown, never acted on.
    Other,
}

/// A call conversation on the watched queues, split into what may be acted on and what may not.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationRecord {
    /// Conversation id.
    pub id: ConversationId,
    /// Every queue seen on the conversation (topic, observation or a leg's queue), sorted.
    pub queues: Vec<QueueId>,
    /// The earliest leg start: when the call began as far as the platform says.
    pub started_at: Option<Timestamp>,
    /// More than two live non-ACD parties: a conference.
    pub is_conference: bool,
    /// Every leg has ended: the call is over (the roster never holds such records; re-reads can).
    pub ended: bool,
    /// Every live leg is fully known; false while the record rests on analytics data alone (the
    /// roster then reads it in full, paced, and events complete it).
    pub full_detail: bool,
    /// Watched people on the call (how a bridge without a queue came onto the board), sorted.
    pub watched_users: Vec<UserId>,
    /// Live legs, in wire order: the only actionable ones.
    pub parties: Vec<Party>,
    /// Ended legs, kept apart so they are visible but never actionable.
    pub ended_legs: Vec<Party>,
    /// Ended legs of a user who also has a live leg (a retried transfer, say): never actionable.
    pub stale_duplicates: Vec<Party>,
    /// Legs in a state that is neither live nor ended: visible, never actionable.
    pub other_legs: Vec<Party>,
}

impl ConversationRecord {
    /// Finds a leg by id in any list, with the list it is in.
    pub fn leg(&self, participant_id: &ParticipantId) -> Option<(LegStatus, &Party)> {
        let find = |list: &'_ [Party]| {
            list.iter()
                .position(|p| &p.participant_id == participant_id)
        };
        if let Some(i) = find(&self.parties) {
            return Some((LegStatus::Live, &self.parties[i]));
        }
        if let Some(i) = find(&self.stale_duplicates) {
            return Some((LegStatus::StaleDuplicate, &self.stale_duplicates[i]));
        }
        if let Some(i) = find(&self.ended_legs) {
            return Some((LegStatus::Ended, &self.ended_legs[i]));
        }
        find(&self.other_legs).map(|i| (LegStatus::Other, &self.other_legs[i]))
    }

    /// A live leg by id: what an action may target.
    pub fn live_party(&self, participant_id: &ParticipantId) -> Option<&Party> {
        self.parties
            .iter()
            .find(|p| &p.participant_id == participant_id)
    }

    /// Live legs of a user, newest first (the resolution target for a stale duplicate).
    pub fn live_legs_of(&self, user_id: &UserId) -> Vec<&Party> {
        let mut legs: Vec<&Party> = self
            .parties
            .iter()
            .filter(|p| p.user_id.as_ref() == Some(user_id))
            .collect();
        legs.sort_by_key(|p| std::cmp::Reverse(p.started_at));
        legs
    }

    /// Live parties that are not the ACD leg: the people on the call.
    pub fn live_people(&self) -> impl Iterator<Item = &Party> {
        self.parties.iter().filter(|p| !p.is_acd())
    }

    /// Number of live non-ACD parties.
    pub fn live_people_count(&self) -> usize {
        self.live_people().count()
    }

    /// Every leg in every list (wire order within each list).
    pub fn all_legs(&self) -> impl Iterator<Item = &Party> {
        self.parties
            .iter()
            .chain(&self.stale_duplicates)
            .chain(&self.ended_legs)
            .chain(&self.other_legs)
    }

    /// Whether the conversation touches one of these queues.
    pub fn on_any_queue<'a>(&self, queues: impl IntoIterator<Item = &'a QueueId>) -> bool {
        queues
            .into_iter()
            .any(|q| self.queues.binary_search(q).is_ok())
    }
}
