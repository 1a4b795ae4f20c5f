//! REST conversation models: the call-specific flat shape and the generic `calls[]` shape.

use serde::{Deserialize, Serialize};

use crate::common::{
    Address, DisconnectReason, EntityListing, EntityRef, ErrorInfo, null_as_default,
};
use crate::enums::{Direction, DisconnectType, ParticipantState, Purpose, RecordingState};
use crate::ids::{CommunicationId, ConversationId, ParticipantId, QueueId, UserId};
use crate::time::Timestamp;

/// `GET /api/v2/conversations/calls`: the token user's own active calls.
pub type CallConversationEntityListing = EntityListing<CallConversation>;

/// `GET /api/v2/conversations`: the token user's own active conversations.
pub type ConversationEntityListing = EntityListing<Conversation>;

/// A call conversation from REST: the snapshot the roster starts from and re-reads to confirm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallConversation {
    /// Conversation id.
    pub id: ConversationId,
    /// Conversation name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Every leg ever on the call; ended legs stay with an end state.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub participants: Vec<CallMediaParticipant>,
    /// Other media on the same conversation.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub other_media_uris: Vec<String>,
    /// Utilisation label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utilization_label_id: Option<String>,
    /// When the conversation times out for inactivity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactivity_timeout: Option<Timestamp>,
    /// Recording state (lower case here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_state: Option<RecordingState>,
    /// Maximum parties if this is a conference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_participants: Option<u32>,
    /// Secure pause of recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secure_pause: Option<bool>,
    /// REST link to this conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
}

/// A call participant as REST returns it (`GET /conversations/calls/{id}`): one leg, call fields flattened onto it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallMediaParticipant {
    /// Participant (leg) id: the only safe drop target.
    pub id: ParticipantId,
    /// Display name of the party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Address (phone number or SIP URI) of the party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// When the leg started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Timestamp>,
    /// When the leg started ringing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_alerting_time: Option<Timestamp>,
    /// When the leg connected: the base of "time on the call".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connected_time: Option<Timestamp>,
    /// When the leg ended; set on ended legs, which are never removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<Timestamp>,
    /// When the current hold started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_hold_time: Option<Timestamp>,
    /// Role of the party (agent, customer, acd, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<Purpose>,
    /// Leg state: decides live, ended and what may be acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ParticipantState>,
    /// Call direction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// Why the leg ended (`client` after an API drop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disconnect_type: Option<DisconnectType>,
    /// On hold (hears silence or music).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<bool>,
    /// Whether wrap-up is required after the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapup_required: Option<bool>,
    /// Wrap-up prompt mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapup_prompt: Option<String>,
    /// Roles the media had (monitor, coach, ...): marks supervisor legs.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub media_roles: Vec<String>,
    /// The user on this leg, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<EntityRef<UserId>>,
    /// The queue this leg came through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<EntityRef<QueueId>>,
    /// The user's team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<EntityRef>,
    /// An error attached to the leg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_info: Option<ErrorInfo>,
    /// Wrap-up timeout in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapup_timeout_ms: Option<i64>,
    /// Whether wrap-up was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapup_skipped: Option<bool>,
    /// Ring timeout in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerting_timeout_ms: Option<i64>,
    /// Media provider (e.g. Edge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// External contact record of the party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_contact: Option<EntityRef>,
    /// External organisation of the party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_organization: Option<EntityRef>,
    /// Peer id in the media layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    /// Why the leg was flagged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flagged_reason: Option<String>,
    /// After-call work start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_acw_time: Option<Timestamp>,
    /// After-call work end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_acw_time: Option<Timestamp>,
    /// When the leg was parked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub park_time: Option<Timestamp>,
    /// When a parked leg resumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_time: Option<Timestamp>,
    /// Muted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted: Option<bool>,
    /// Confined: held and hearing hold music (ad-hoc conferences).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confined: Option<bool>,
    /// Being recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<bool>,
    /// Recording state of the leg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_state: Option<RecordingState>,
    /// Group the call was routed to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<EntityRef>,
    /// Calling number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ani: Option<String>,
    /// Called number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dnis: Option<String>,
    /// Document (fax) id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_id: Option<String>,
    /// Set on a supervisor leg that monitors another leg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitored_participant_id: Option<ParticipantId>,
    /// Set on a supervisor leg that coaches another leg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coached_participant_id: Option<ParticipantId>,
    /// Set on a supervisor leg that barged into another leg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub barged_participant_id: Option<ParticipantId>,
    /// The consult-transfer target leg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consult_participant_id: Option<ParticipantId>,
    /// User-to-user information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uui_data: Option<String>,
    /// When the supervisor barged in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub barged_time: Option<Timestamp>,
    /// Secure pause of recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secure_pause: Option<bool>,
    /// Where a transfer came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_source: Option<String>,
}

/// A media-agnostic conversation (`GET /conversations/{id}`): participants carry `calls[]` and no state of their own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    /// Conversation id.
    pub id: ConversationId,
    /// Conversation name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// External tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_tag: Option<String>,
    /// When the conversation started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Timestamp>,
    /// When it ended; absent while active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<Timestamp>,
    /// Conversation address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Every participant ever on the conversation.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub participants: Vec<Participant>,
    /// Only used in merge requests.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub conversation_ids: Vec<ConversationId>,
    /// Maximum parties if this is a conference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_participants: Option<u32>,
    /// Recording state (upper case on this model).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "RecordingState::serialize_upper"
    )]
    pub recording_state: Option<RecordingState>,
    /// Write-only on the API (only `disconnected` is valid); absent when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ParticipantState>,
    /// Secure pause of recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secure_pause: Option<bool>,
    /// Utilisation label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utilization_label_id: Option<String>,
    /// When the conversation times out for inactivity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactivity_timeout: Option<Timestamp>,
    /// REST link to this conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
}

/// A participant of a generic `Conversation`: its state lives in `calls[]` (possibly several, some ended).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    /// Participant (leg) id.
    pub id: ParticipantId,
    /// When the participant started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Timestamp>,
    /// When the participant ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<Timestamp>,
    /// When the participant connected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connected_time: Option<Timestamp>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// REST link to the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_uri: Option<String>,
    /// The user on this leg, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    /// External contact id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_contact_id: Option<String>,
    /// External organisation id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_organization_id: Option<String>,
    /// Queue the leg came through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_id: Option<QueueId>,
    /// Group id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// Team id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// Queue name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_name: Option<String>,
    /// Role of the party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<Purpose>,
    /// Participant type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_type: Option<String>,
    /// The consult-transfer target leg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consult_participant_id: Option<ParticipantId>,
    /// Address of the party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Calling number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ani: Option<String>,
    /// Calling name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ani_name: Option<String>,
    /// Called number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dnis: Option<String>,
    /// Locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Whether wrap-up is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapup_required: Option<bool>,
    /// Wrap-up prompt mode (`mandatory`, `optional`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapup_prompt: Option<String>,
    /// Wrap-up timeout in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapup_timeout_ms: Option<i64>,
    /// Whether wrap-up was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapup_skipped: Option<bool>,
    /// Roles the media had (monitor, coach, ...).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub media_roles: Vec<String>,
    /// Ring timeout in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerting_timeout_ms: Option<i64>,
    /// Set on a supervisor leg that monitors another leg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitored_participant_id: Option<ParticipantId>,
    /// Set on a supervisor leg that coaches another leg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coached_participant_id: Option<ParticipantId>,
    /// Set on a supervisor leg that barged into another leg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub barged_participant_id: Option<ParticipantId>,
    /// The call communications of this participant; state, mute and hold live here.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub calls: Vec<Call>,
    /// Screen recording state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen_recording_state: Option<String>,
    /// Why the leg was flagged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flagged_reason: Option<String>,
    /// After-call work start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_acw_time: Option<Timestamp>,
    /// After-call work end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_acw_time: Option<Timestamp>,
}

/// One call communication of a generic `Participant`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Call {
    /// Communication id: the target of the per-communication disconnect.
    pub id: CommunicationId,
    /// State of this call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ParticipantState>,
    /// State the call started in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_state: Option<ParticipantState>,
    /// Call direction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// Being recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<bool>,
    /// Recording state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_state: Option<RecordingState>,
    /// Muted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted: Option<bool>,
    /// Held and hearing hold music.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confined: Option<bool>,
    /// Held and hearing silence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<bool>,
    /// Secure pause of recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secure_pause: Option<bool>,
    /// An error on this call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_info: Option<ErrorInfo>,
    /// Why the call ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disconnect_type: Option<DisconnectType>,
    /// When the current hold started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_hold_time: Option<Timestamp>,
    /// Document (fax) id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_id: Option<String>,
    /// When the call started ringing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_alerting_time: Option<Timestamp>,
    /// When the call connected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connected_time: Option<Timestamp>,
    /// When the call ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disconnected_time: Option<Timestamp>,
    /// Network reasons for the disconnect.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub disconnect_reasons: Vec<DisconnectReason>,
    /// Media provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Script id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script_id: Option<String>,
    /// Peer id in the media layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_id: Option<String>,
    /// User-to-user information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uui_data: Option<String>,
    /// This side of the call.
    #[serde(rename = "self", default, skip_serializing_if = "Option::is_none")]
    pub self_address: Option<Address>,
    /// The far side of the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<Address>,
    /// Whether after-call work is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_call_work_required: Option<bool>,
    /// Agent assistant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_assistant_id: Option<String>,
    /// Where a transfer came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_source: Option<String>,
}
