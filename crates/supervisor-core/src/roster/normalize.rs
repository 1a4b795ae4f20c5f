//! Turns the three wire shapes of a conversation (queue event, `CallConversation`, generic
//! `Conversation`) into one list of legs, so the merge rule never cares where data came from.

use genesys_model::{
    AnalyticsConversation, CallConversation, ConversationCallEventTopicCallConversation,
    ConversationId, Participant, ParticipantView, QueueId, Timestamp,
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

/// How much an observation says about the legs it lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Detail {
    /// An event or a REST read: every field is the platform's current view.
    Full,
    /// The analytics details query: which legs exist and which ended, names and purposes, but no
    /// state, mute or confinement, and it lags the platform by seconds.
    Analytics,
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
    /// What kind of source it came from.
    pub detail: Detail,
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
            muted: Some(p.is_muted()),
            held: Some(p.is_held()),
            confined: Some(p.is_confined()),
            connected_since: p.connected_time(),
            started_at,
            ended_at: p.end_time(),
            held_since: p.hold_start(),
            user_id: p.user_id().cloned(),
            queue_id: p.queue_id().cloned(),
            communication_id,
        },
    }
}

/// A queue event body (`v2.routing.queues.{id}.conversations.calls`): flat participants.
pub(crate) fn from_event(
    conversation: ConversationCallEventTopicCallConversation,
    queue: Option<QueueId>,
) -> Observation {
    let legs = conversation
        .participants
        .iter()
        .map(|p| leg_of(p, p.start_time, None))
        .collect();
    Observation {
        id: conversation.id,
        legs,
        queues: queue.into_iter().collect(),
        ended: false,
        detail: Detail::Full,
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
        detail: Detail::Full,
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
        detail: Detail::Full,
    }
}

/// A details-query conversation (`POST /api/v2/analytics/conversations/details/query`), or `None`
/// when it cannot be mapped to legs (no participants, a participant without an id): the roster
/// then reads that call over REST instead.
///
/// Mapping (docs/genesys-api.md, "Reading many calls"): the analytics `participantId` is the
/// Conversations API participant id; a participant with an open segment (no `segmentEnd`) is on
/// the call, one whose segments all ended has left; held is an open `hold` segment. State, mute and
/// confinement are not in the data and stay unknown.
pub(crate) fn from_analytics(conversation: &AnalyticsConversation) -> Option<Observation> {
    if conversation.participants.is_empty() {
        return None;
    }
    let mut legs = Vec::with_capacity(conversation.participants.len());
    let mut queues: Vec<QueueId> = Vec::new();
    for p in &conversation.participants {
        let participant_id = p.participant_id.clone()?;
        let segments: Vec<_> = p.sessions.iter().flat_map(|s| &s.segments).collect();
        let open: Vec<_> = segments
            .iter()
            .filter(|s| s.segment_end.is_none())
            .collect();
        let class = if !open.is_empty() {
            LegClass::Live
        } else if !segments.is_empty() {
            LegClass::Ended
        } else {
            LegClass::Other
        };
        let queue_id = segments.iter().find_map(|s| s.queue_id.clone());
        if let Some(q) = &queue_id {
            if !queues.contains(q) {
                queues.push(q.clone());
            }
        }
        let started_at = segments.iter().filter_map(|s| s.segment_start).min();
        let connected_since = segments
            .iter()
            .filter(|s| s.segment_type.as_deref() == Some("interact"))
            .filter_map(|s| s.segment_start)
            .min();
        let ended_at = (class == LegClass::Ended)
            .then(|| segments.iter().filter_map(|s| s.segment_end).max())
            .flatten();
        let hold_segment = open
            .iter()
            .find(|s| s.segment_type.as_deref() == Some("hold"));
        let held = (class == LegClass::Live).then_some(hold_segment.is_some());
        let held_since = hold_segment
            .filter(|_| class == LegClass::Live)
            .and_then(|s| s.segment_start);
        let name = p
            .participant_name
            .clone()
            .filter(|n| !n.is_empty())
            .or_else(|| p.purpose.as_ref().map(|x| x.as_str().to_owned()))
            .unwrap_or_default();
        legs.push(Leg {
            class,
            party: Party {
                participant_id,
                name,
                purpose: p.purpose.clone(),
                state: None,
                muted: if class == LegClass::Live {
                    None
                } else {
                    Some(false)
                },
                held: if class == LegClass::Live {
                    held
                } else {
                    Some(false)
                },
                confined: if class == LegClass::Live {
                    None
                } else {
                    Some(false)
                },
                connected_since,
                started_at,
                ended_at,
                held_since,
                user_id: p.user_id.clone(),
                queue_id,
                communication_id: None,
            },
        });
    }
    Some(Observation {
        id: conversation.conversation_id.clone(),
        legs,
        queues,
        ended: conversation.conversation_end.is_some(),
        detail: Detail::Analytics,
    })
}
