//! One view over the four participant shapes, so the roster treats REST snapshots and events alike.
//!
//! Flat shapes (`CallMediaParticipant`, the `…calls` event participant) carry their own `state`.
//! `calls[]` shapes (`Participant`, the `…conversations` event participant) have no state of their
//! own: a participant is live when any of its calls is, and its mute/hold flags come from the
//! "effective" call (the first live one, else the last one, as Genesys' WebRTC SDK does).

use crate::common::{Address, EntityRef};
use crate::conversation::{
    Call, CallConversation, CallMediaParticipant, Conversation, Participant,
};
use crate::enums::{ParticipantState, Purpose};
use crate::events::{
    ConversationCallEventTopicCallConversation, ConversationCallEventTopicCallMediaParticipant,
    ConversationEventTopicCall, ConversationEventTopicConversation,
    ConversationEventTopicParticipant,
};
use crate::ids::{ParticipantId, QueueId, UserId};
use crate::time::Timestamp;

/// Read access the roster and the pre-checks need, whatever shape the participant arrived in.
pub trait ParticipantView {
    /// The leg id: the only safe drop target.
    fn participant_id(&self) -> &ParticipantId;
    /// Role of the party.
    fn purpose(&self) -> Option<&Purpose>;
    /// The leg's own state, or for `calls[]` shapes the effective call's state.
    fn effective_state(&self) -> Option<&ParticipantState>;
    /// On the call now: its state (or any `calls[]` state) is in the active set. Only live legs may be acted on.
    fn is_live(&self) -> bool;
    /// Explicitly gone (`disconnected`/`terminated`, or an end time with no live call). A leg with no state
    /// at all is neither live nor ended.
    fn ended(&self) -> bool;
    /// The best name to show: name, then user name, then address, then the purpose.
    fn display_name(&self) -> &str;
    /// The user on the leg, if any (used to spot duplicate legs of one user).
    fn user_id(&self) -> Option<&UserId>;
    /// The queue the leg came through, if known.
    fn queue_id(&self) -> Option<&QueueId>;
    /// Muted now.
    fn is_muted(&self) -> bool;
    /// On hold now.
    fn is_held(&self) -> bool;
    /// Confined now.
    fn is_confined(&self) -> bool;
    /// When the leg connected: the base of "time on the call".
    fn connected_time(&self) -> Option<Timestamp>;
    /// When the leg ended.
    fn end_time(&self) -> Option<Timestamp>;
    /// When the current hold started (`startHoldTime`, a server timestamp), while held: the base
    /// of "held for N" that needs no local observation.
    fn hold_start(&self) -> Option<Timestamp>;
}

fn non_blank(text: Option<&String>) -> Option<&str> {
    text.map(|s| s.as_str()).filter(|s| !s.trim().is_empty())
}

fn purpose_fallback(purpose: Option<&Purpose>) -> &str {
    match purpose {
        Some(p) if !p.as_str().trim().is_empty() => p.as_str(),
        _ => "unknown party",
    }
}

fn address_name(address: Option<&Address>) -> Option<&str> {
    let a = address?;
    non_blank(a.name.as_ref())
        .or_else(|| non_blank(a.address_displayable.as_ref()))
        .or_else(|| non_blank(a.address_normalized.as_ref()))
}

fn entity_name<I>(entity: Option<&EntityRef<I>>) -> Option<&str> {
    entity.and_then(|e| non_blank(e.name.as_ref()))
}

macro_rules! flat_view {
    ($ty:ty) => {
        impl ParticipantView for $ty {
            fn participant_id(&self) -> &ParticipantId {
                &self.id
            }
            fn purpose(&self) -> Option<&Purpose> {
                self.purpose.as_ref()
            }
            fn effective_state(&self) -> Option<&ParticipantState> {
                self.state.as_ref()
            }
            fn is_live(&self) -> bool {
                self.state.as_ref().is_some_and(ParticipantState::is_active)
            }
            fn ended(&self) -> bool {
                match &self.state {
                    Some(state) => state.is_ended(),
                    None => self.end_time.is_some(),
                }
            }
            fn display_name(&self) -> &str {
                non_blank(self.name.as_ref())
                    .or_else(|| entity_name(self.user.as_ref()))
                    .or_else(|| non_blank(self.address.as_ref()))
                    .or_else(|| non_blank(self.ani.as_ref()))
                    .unwrap_or_else(|| purpose_fallback(self.purpose.as_ref()))
            }
            fn user_id(&self) -> Option<&UserId> {
                self.user.as_ref().and_then(|u| u.id.as_ref())
            }
            fn queue_id(&self) -> Option<&QueueId> {
                self.queue.as_ref().and_then(|q| q.id.as_ref())
            }
            fn is_muted(&self) -> bool {
                self.muted.unwrap_or(false)
            }
            fn is_held(&self) -> bool {
                self.held.unwrap_or(false)
            }
            fn is_confined(&self) -> bool {
                self.confined.unwrap_or(false)
            }
            fn connected_time(&self) -> Option<Timestamp> {
                self.connected_time
            }
            fn end_time(&self) -> Option<Timestamp> {
                self.end_time
            }
            fn hold_start(&self) -> Option<Timestamp> {
                self.start_hold_time.filter(|_| self.is_held())
            }
        }
    };
}

flat_view!(CallMediaParticipant);
flat_view!(ConversationCallEventTopicCallMediaParticipant);

macro_rules! calls_view {
    ($ty:ty, $call:ty, $user:ident, $queue:ident) => {
        impl $ty {
            /// The call that describes this participant now: the first live one, else the last one.
            pub fn effective_call(&self) -> Option<&$call> {
                self.calls
                    .iter()
                    .find(|c| c.state.as_ref().is_some_and(ParticipantState::is_active))
                    .or_else(|| self.calls.last())
            }
        }

        impl ParticipantView for $ty {
            fn participant_id(&self) -> &ParticipantId {
                &self.id
            }
            fn purpose(&self) -> Option<&Purpose> {
                self.purpose.as_ref()
            }
            fn effective_state(&self) -> Option<&ParticipantState> {
                self.effective_call().and_then(|c| c.state.as_ref())
            }
            fn is_live(&self) -> bool {
                self.calls
                    .iter()
                    .any(|c| c.state.as_ref().is_some_and(ParticipantState::is_active))
            }
            fn ended(&self) -> bool {
                if self.is_live() {
                    return false;
                }
                if self.calls.is_empty() {
                    return self.end_time.is_some();
                }
                self.calls
                    .iter()
                    .all(|c| c.state.as_ref().is_some_and(ParticipantState::is_ended))
                    || self.end_time.is_some()
            }
            fn display_name(&self) -> &str {
                non_blank(self.name.as_ref())
                    .or_else(|| {
                        address_name(self.effective_call().and_then(|c| c.self_address.as_ref()))
                    })
                    .or_else(|| non_blank(self.address.as_ref()))
                    .unwrap_or_else(|| purpose_fallback(self.purpose.as_ref()))
            }
            fn user_id(&self) -> Option<&UserId> {
                self.$user.as_ref()
            }
            fn queue_id(&self) -> Option<&QueueId> {
                self.$queue.as_ref()
            }
            fn is_muted(&self) -> bool {
                self.effective_call().and_then(|c| c.muted).unwrap_or(false)
            }
            fn is_held(&self) -> bool {
                self.effective_call().and_then(|c| c.held).unwrap_or(false)
            }
            fn is_confined(&self) -> bool {
                self.effective_call()
                    .and_then(|c| c.confined)
                    .unwrap_or(false)
            }
            fn connected_time(&self) -> Option<Timestamp> {
                self.connected_time
                    .or_else(|| self.effective_call().and_then(|c| c.connected_time))
            }
            fn end_time(&self) -> Option<Timestamp> {
                self.end_time
            }
            fn hold_start(&self) -> Option<Timestamp> {
                self.effective_call()
                    .filter(|c| c.held == Some(true))
                    .and_then(|c| c.start_hold_time)
            }
        }
    };
}

calls_view!(Participant, Call, user_id, queue_id);
calls_view!(
    ConversationEventTopicParticipant,
    ConversationEventTopicCall,
    user_id,
    queue_id
);

macro_rules! conversation_helpers {
    ($conv:ty, $part:ty) => {
        impl $conv {
            /// Finds a leg by id (never by user id: one user can have several legs).
            pub fn participant(&self, id: &str) -> Option<&$part> {
                self.participants.iter().find(|p| p.id.as_str() == id)
            }

            /// Legs on the call now, in wire order.
            pub fn live_participants(&self) -> impl Iterator<Item = &$part> {
                self.participants.iter().filter(|p| p.is_live())
            }

            /// Number of legs on the call now: "is this the last party?" checks.
            pub fn live_count(&self) -> usize {
                self.live_participants().count()
            }
        }
    };
}

conversation_helpers!(CallConversation, CallMediaParticipant);
conversation_helpers!(
    ConversationCallEventTopicCallConversation,
    ConversationCallEventTopicCallMediaParticipant
);
conversation_helpers!(Conversation, Participant);
conversation_helpers!(
    ConversationEventTopicConversation,
    ConversationEventTopicParticipant
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::CommunicationId;

    fn flat(state: Option<&str>) -> CallMediaParticipant {
        let mut json = serde_json::json!({"id": "p1", "purpose": "customer"});
        if let Some(s) = state {
            json["state"] = s.into();
        }
        serde_json::from_value(json).unwrap()
    }

    fn call(id: &str, state: &str) -> Call {
        serde_json::from_value(serde_json::json!({"id": id, "state": state})).unwrap()
    }

    #[test]
    fn flat_live_and_ended() {
        assert!(flat(Some("connected")).is_live());
        assert!(!flat(Some("connected")).ended());
        assert!(flat(Some("terminated")).ended());
        assert!(!flat(Some("terminated")).is_live());
        let unknown = flat(Some("teleporting"));
        assert!(!unknown.is_live() && !unknown.ended());
        let none = flat(None);
        assert!(!none.is_live() && !none.ended());
    }

    #[test]
    fn calls_shape_is_live_when_any_call_is() {
        let mut p: Participant = serde_json::from_value(serde_json::json!({"id": "p"})).unwrap();
        p.calls = vec![call("c1", "terminated"), call("c2", "connected")];
        assert!(p.is_live());
        assert!(!p.ended());
        assert_eq!(
            p.effective_call().map(|c| &c.id),
            Some(&CommunicationId::new("c2"))
        );
        p.calls = vec![call("c1", "terminated"), call("c2", "disconnected")];
        assert!(!p.is_live());
        assert!(p.ended());
        assert_eq!(p.effective_state(), Some(&ParticipantState::Disconnected));
    }

    #[test]
    fn display_name_falls_back() {
        let mut p = flat(Some("connected"));
        assert_eq!(p.display_name(), "customer");
        p.address = Some("tel:+15551234".into());
        assert_eq!(p.display_name(), "tel:+15551234");
        p.user = Some(EntityRef {
            id: Some(UserId::new("u")),
            name: Some("Ann Agent".into()),
            self_uri: None,
        });
        assert_eq!(p.display_name(), "Ann Agent");
        p.name = Some("  ".into());
        assert_eq!(p.display_name(), "Ann Agent");
        p.name = Some("Jane Doe".into());
        assert_eq!(p.display_name(), "Jane Doe");
        p.purpose = None;
        p.name = None;
        p.user = None;
        p.address = None;
        assert_eq!(p.display_name(), "unknown party");
    }
}
