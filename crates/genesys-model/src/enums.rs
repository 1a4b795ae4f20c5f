//! Open enums: known values get a variant, anything new is kept verbatim in `Unknown(String)`.
//!
//! Genesys adds enum values without notice and spells some differently in events than in REST
//! (`endpoint.dnd` vs `endpoint.donotdisturb`), so a closed enum would turn a harmless change into a
//! lost event. Decoding borrows the string and only allocates for unknown values.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this build does not know yet, kept exactly as received so it round-trips.
            Unknown(String),
        }

        impl $name {
            /// Maps wire text (canonical spelling or a known alias) to a variant, keeping unknown text.
            pub fn from_wire(text: &str) -> Self {
                match text {
                    $( $wire $(| $alias)* => Self::$variant, )+
                    other => Self::Unknown(other.to_owned()),
                }
            }

            fn from_owned_wire(text: String) -> Self {
                match Self::from_wire_known(&text) {
                    Some(known) => known,
                    None => Self::Unknown(text),
                }
            }

            fn from_wire_known(text: &str) -> Option<Self> {
                match text {
                    $( $wire $(| $alias)* => Some(Self::$variant), )+
                    _ => None,
                }
            }

            /// The canonical (REST) spelling, or the unknown text as received.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Unknown(text) => text,
                }
            }

            /// True when this build did not recognise the value: the UI shows it raw.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $( Self::$variant => f.write_str(stringify!($variant)), )+
                    Self::Unknown(text) => write!(f, "Unknown({text:?})"),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Ok(Self::from_wire(text))
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                Self::from_wire(text)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str(concat!("a string (", stringify!($name), ")"))
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$name, E> {
                        Ok($name::from_wire(v))
                    }
                    fn visit_string<E: de::Error>(self, v: String) -> Result<$name, E> {
                        Ok($name::from_owned_wire(v))
                    }
                }
                deserializer.deserialize_str(V)
            }
        }
    };
}

open_enum! {
    /// State of a participant or of one of its calls; drives "live", "ended" and what may be acted on.
    pub enum ParticipantState {
        /// Ringing at the party.
        Alerting = "alerting",
        /// Outbound dial in progress.
        Dialing = "dialing",
        /// Contacting the far end.
        Contacting = "contacting",
        /// Offered to an agent.
        Offering = "offering",
        /// Talking.
        Connected = "connected",
        /// The other side went away; no media path left (ACD legs sit here after an agent answers).
        Disconnected = "disconnected",
        /// This side fully released the call.
        Terminated = "terminated",
        /// Media conversion in progress.
        Converting = "converting",
        /// Media upload in progress.
        Uploading = "uploading",
        /// Fax or media transmission in progress.
        Transmitting = "transmitting",
        /// Only on call event topics: a scheduled (callback) leg that is not on the call yet.
        Scheduled = "scheduled",
        /// Parked: on the call but set aside.
        Parked = "parked",
        /// Explicit "no state".
        None = "none",
    }
}

impl ParticipantState {
    /// The active set (docs/genesys-api.md, "Participant states and roles"): a leg in one of these states is on the call and can be acted on.
    pub fn is_active(&self) -> bool {
        matches!(
            self,
            Self::Alerting
                | Self::Dialing
                | Self::Contacting
                | Self::Offering
                | Self::Connected
                | Self::Parked
                | Self::Converting
                | Self::Uploading
                | Self::Transmitting
        )
    }

    /// Both `disconnected` and `terminated` mean "no longer talking" (docs/genesys-api.md, "Participant states and roles").
    pub fn is_ended(&self) -> bool {
        matches!(self, Self::Disconnected | Self::Terminated)
    }
}

open_enum! {
    /// Why a leg ended; REST and event topics spell the do-not-disturb values differently.
    pub enum DisconnectType {
        /// The phone hung up.
        Endpoint = "endpoint",
        /// Do-not-disturb at the endpoint (events say `endpoint.dnd`).
        EndpointDoNotDisturb = "endpoint.donotdisturb" | "endpoint.dnd",
        /// Someone clicked End (UI or API): what a drop produces.
        Client = "client",
        /// The platform ended it.
        System = "system",
        /// Timed out.
        Timeout = "timeout",
        /// Transferred away.
        Transfer = "transfer",
        /// Transferred into a conference.
        TransferConference = "transfer.conference",
        /// Consult transfer.
        TransferConsult = "transfer.consult",
        /// Transfer refused by do-not-disturb (events say `transfer.dnd`).
        TransferDoNotDisturb = "transfer.donotdisturb" | "transfer.dnd",
        /// Forwarded.
        TransferForward = "transfer.forward",
        /// Transfer target did not answer.
        TransferNoAnswer = "transfer.noanswer",
        /// Transfer target not available.
        TransferNotAvailable = "transfer.notavailable",
        /// Network or media failure.
        TransportFailure = "transport.failure",
        /// An error ended the leg.
        Error = "error",
        /// Another participant ended it (e.g. the rest of the call went away).
        Peer = "peer",
        /// Anything else.
        Other = "other",
        /// Marked as spam.
        Spam = "spam",
        /// The number could not be called.
        Uncallable = "uncallable",
        /// Ended for inactivity.
        Inactivity = "inactivity",
        /// The session expired.
        SessionExpired = "session.expired",
        /// Taken over by another party.
        Takeover = "takeover",
    }
}

impl DisconnectType {
    /// The notification-topic spelling (`endpoint.dnd`, `transfer.dnd`), so event models round-trip.
    pub fn as_event_str(&self) -> &str {
        match self {
            Self::EndpointDoNotDisturb => "endpoint.dnd",
            Self::TransferDoNotDisturb => "transfer.dnd",
            other => other.as_str(),
        }
    }

    /// Serde helper for event models: writes the event spelling.
    pub fn serialize_event_spelling<S: Serializer>(
        value: &Option<Self>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => serializer.serialize_str(v.as_event_str()),
            None => serializer.serialize_none(),
        }
    }
}

open_enum! {
    /// The role of a party on a call; an open set (docs/genesys-api.md, "Participant states and roles"), shown to the supervisor and used by pre-checks.
    pub enum Purpose {
        /// The ACD (queue) leg.
        Acd = "acd",
        /// A routed agent.
        Agent = "agent",
        /// Created through the API.
        Api = "api",
        /// A bot flow.
        Botflow = "botflow",
        /// Outbound campaign.
        Campaign = "campaign",
        /// The customer.
        Customer = "customer",
        /// The dialer.
        Dialer = "dialer",
        /// An external party (e.g. a consultant on a phone number).
        External = "external",
        /// Fax.
        Fax = "fax",
        /// A group.
        Group = "group",
        /// Inbound.
        Inbound = "inbound",
        /// An IVR flow.
        Ivr = "ivr",
        /// Manual.
        Manual = "manual",
        /// Outbound.
        Outbound = "outbound",
        /// A station.
        Station = "station",
        /// A user who is not acting as a routed agent (e.g. a supervisor or consultant user).
        User = "user",
        /// Voicemail.
        Voicemail = "voicemail",
        /// Voice survey flow.
        Voicesurveyflow = "voicesurveyflow",
        /// Workflow.
        Workflow = "workflow",
    }
}

impl Purpose {
    /// Parties that are a person or an outside line rather than platform machinery (ACD, IVR, flows).
    pub fn is_human_party(&self) -> bool {
        matches!(
            self,
            Self::Agent
                | Self::Customer
                | Self::External
                | Self::User
                | Self::Inbound
                | Self::Outbound
        )
    }

    /// Agent-like parties: dropping the last one is warned about.
    pub fn is_agent_like(&self) -> bool {
        matches!(self, Self::Agent | Self::User)
    }
}

open_enum! {
    /// Call direction from the platform's point of view.
    pub enum Direction {
        /// Came in to the contact center.
        Inbound = "inbound",
        /// Placed by the contact center.
        Outbound = "outbound",
    }
}

open_enum! {
    /// Recording state; `CallConversation` writes lower case, `Conversation` upper case.
    pub enum RecordingState {
        /// Not recording.
        None = "none" | "NONE",
        /// Recording.
        Active = "active" | "ACTIVE",
        /// Recording paused.
        Paused = "paused" | "PAUSED",
    }
}

impl RecordingState {
    /// Serde helper for `Conversation.recordingState`, which the API spells in upper case.
    pub fn serialize_upper<S: Serializer>(
        value: &Option<Self>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(Self::None) => serializer.serialize_str("NONE"),
            Some(Self::Active) => serializer.serialize_str("ACTIVE"),
            Some(Self::Paused) => serializer.serialize_str("PAUSED"),
            Some(Self::Unknown(text)) => serializer.serialize_str(text),
            None => serializer.serialize_none(),
        }
    }
}

open_enum! {
    /// Whether a subscription was accepted; with `ignoreErrors=true` a refusal shows up here instead of a 400.
    pub enum ChannelTopicState {
        /// Subscribed.
        Permitted = "Permitted",
        /// Refused (see `missingPermissions`).
        Rejected = "Rejected",
    }
}

open_enum! {
    /// Kind of system message on a channel.
    pub enum SystemTopicType {
        /// The channel lost a subscription.
        NoLongerSubscribed = "no_longer_subscribed",
        /// Subscriptions changed.
        SubscriptionChanged = "subscription_changed",
        /// The token behind the channel was revoked: re-authenticate.
        TokenRevoked = "token_revoked",
    }
}

open_enum! {
    /// Reason given in a system message.
    pub enum SystemMessageReason {
        /// Another channel took the subscription.
        AnotherChannelSubscribed = "another_channel_subscribed",
        /// The user's tokens were revoked.
        UserTokensRevoked = "user_tokens_revoked",
    }
}

open_enum! {
    /// Account state of a user.
    pub enum UserState {
        /// Active account.
        Active = "active",
        /// Inactive account.
        Inactive = "inactive",
        /// Deleted account.
        Deleted = "deleted",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_and_aliases_decode() {
        let a: DisconnectType = serde_json::from_str("\"endpoint.dnd\"").unwrap();
        let b: DisconnectType = serde_json::from_str("\"endpoint.donotdisturb\"").unwrap();
        assert_eq!(a, DisconnectType::EndpointDoNotDisturb);
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "endpoint.donotdisturb");
        assert_eq!(a.as_event_str(), "endpoint.dnd");
    }

    #[test]
    fn unknown_values_round_trip_verbatim() {
        let s: ParticipantState = serde_json::from_str("\"hovering\"").unwrap();
        assert_eq!(s, ParticipantState::Unknown("hovering".into()));
        assert!(s.is_unknown());
        assert!(!s.is_active());
        assert!(!s.is_ended());
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"hovering\"");
    }

    #[test]
    fn escaped_strings_decode_through_the_owned_path() {
        // An escape forces serde_json to hand over an owned String.
        let s: ParticipantState = serde_json::from_str("\"connect\\u0065d\"").unwrap();
        assert_eq!(s, ParticipantState::Connected);
        let u: Purpose = serde_json::from_str("\"bri\\u0064ge\"").unwrap();
        assert_eq!(u, Purpose::Unknown("bridge".into()));
    }

    #[test]
    fn non_strings_are_rejected_with_a_clear_message() {
        let err = serde_json::from_str::<ParticipantState>("42").unwrap_err();
        assert!(err.to_string().contains("ParticipantState"), "{err}");
    }

    #[test]
    fn active_set_matches_api_facts() {
        for s in [
            "alerting",
            "dialing",
            "contacting",
            "offering",
            "connected",
            "parked",
        ] {
            assert!(ParticipantState::from_wire(s).is_active(), "{s}");
        }
        for s in ["disconnected", "terminated", "none", "scheduled"] {
            assert!(!ParticipantState::from_wire(s).is_active(), "{s}");
        }
        assert!(ParticipantState::Terminated.is_ended());
        assert!(ParticipantState::Disconnected.is_ended());
    }

    #[test]
    fn recording_state_accepts_both_cases() {
        assert_eq!(RecordingState::from_wire("ACTIVE"), RecordingState::Active);
        assert_eq!(RecordingState::from_wire("active"), RecordingState::Active);
    }
}

open_enum! {
    /// Which side of a call a transcript is from (`TranscriptionTopicTranscriptResult.channel`).
    pub enum TranscriptChannel {
        /// The platform could not tell.
        Unspecified = "UNKNOWN",
        /// IVR, ACD, agents, conference parties, voicemail.
        Internal = "INTERNAL",
        /// The customer (outside) side.
        External = "EXTERNAL",
        /// Both sides mixed.
        Both = "BOTH",
    }
}

open_enum! {
    /// A transcription session's state (`TranscriptionTopicTranscriptionRequestStatus.status`);
    /// `SESSION_ONGOING` with no transcripts is the topic's heartbeat.
    pub enum TranscriptionSessionStatus {
        /// The platform could not tell.
        Unspecified = "UNKNOWN",
        /// Transcribing; sent at session start and as a heartbeat.
        SessionOngoing = "SESSION_ONGOING",
        /// The session is over.
        SessionEnded = "SESSION_ENDED",
    }
}
