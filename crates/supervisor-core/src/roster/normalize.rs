//! Turns the three wire shapes of a conversation (queue event, `CallConversation`, generic
//! `Conversation`) into one list of legs, so the merge rule never cares where data came from.

use genesys_model::{
    CallConversation, ConversationCallEventTopicCallConversation, ConversationId, Participant,
    ParticipantView, QueueId, Timestamp,
};

use super::record::Party;

/// Where a leg stands, before duplicate detection (which needs the whole conversation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LegClass {
    Live,
    Ended,
    Other,
}

/// One normalised leg.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Leg {
    pub party: Party,
    pub class: LegClass,
}

/// A full conversation observation from any source, ready to be merged.
#[derive(Clone, Debug)]
pub(crate) struct Observation {
    pub id: ConversationId,
    pub legs: Vec<Leg>,
    /// Queues it was seen on (the event's topic, the observation group); legs add their own.
    pub queues: Vec<QueueId>,
    /// The platform said the conversation is over (generic `Conversation.endTime`).
    pub ended: bool,
}

fn class_of<P: ParticipantView>(p: &P) -> LegClass {
    if p.is_live() {
        LegClass::Live
    } else if p.ended() {
        LegClass::Ended
    } else {
        LegClass::Other
    }
}

fn leg_of<P: ParticipantView>(
    p: &P,
    started_at: Option<Timestamp>,
    communication_id: Option<genesys_model::CommunicationId>,
) -> Leg {
    Leg {
        class: class_of(p),
        party: Party {
            participant_id: p.participant_id().clone(),
            name: p.display_name().to_owned(),
            purpose: p.purpose().cloned(),
            state: p.effective_state().cloned(),
            muted: p.is_muted(),
            held: p.is_held(),
            confined: p.is_confined(),
            connected_since: p.connected_time(),
            started_at,
            ended_at: p.end_time(),
            user_id: p.user_id().cloned(),
            queue_id: p.queue_id().cloned(),
            communication_id,
        },
    }
}

/// A queue event body (`v2.routing.queues.{id}.conversations.calls`): flat participants.
pub(crate) fn from_event(
    conversation: ConversationCallEventTopicCallConversation,
    queue: QueueId,
) -> Observation {
    let legs = conversation
        .participants
        .iter()
        .map(|p| leg_of(p, p.start_time, None))
        .collect();
    Observation {
        id: conversation.id,
        legs,
        queues: vec![queue],
        ended: false,
    }
}

/// `GET /api/v2/conversations/calls/{id}`: flat participants.
pub(crate) fn from_call(conversation: CallConversation, queues: Vec<QueueId>) -> Observation {
    let legs = conversation
        .participants
        .iter()
        .map(|p| leg_of(p, p.start_time.or(p.start_alerting_time), None))
        .collect();
    Observation {
        id: conversation.id,
        legs,
        queues,
        ended: false,
    }
}

fn generic_leg(p: &Participant) -> Leg {
    let communication = p.effective_call().map(|c| c.id.clone());
    leg_of(p, p.start_time, communication)
}

/// `GET /api/v2/conversations/{id}`: participants carry `calls[]` and the conversation an `endTime`.
pub(crate) fn from_conversation(
    conversation: genesys_model::Conversation,
    queues: Vec<QueueId>,
) -> Observation {
    let legs = conversation.participants.iter().map(generic_leg).collect();
    Observation {
        id: conversation.id,
        legs,
        queues,
        ended: conversation.end_time.is_some(),
    }
}
