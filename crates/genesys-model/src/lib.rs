//! Serde wire types for the slice of the Genesys Cloud Platform API Bridgekeeper uses.
//!
//! Built to survive drift: unknown fields are ignored, every field the API may omit is an `Option`
//! (collections default to empty, and `null` is accepted for them), and enums keep unknown values in
//! an `Unknown(String)` arm that serialises back verbatim. Ids are newtypes so they cannot be swapped.
//!
//! Decoding is meant to be cheap: the notification envelope is parsed lazily (topic first, body as
//! raw JSON), enums borrow their text, and path-tracking for error messages only runs after a
//! failure. Field names follow the platform's models (the official SDKs); only the fields the app uses are modelled.

pub mod analytics;
pub mod common;
pub mod conversation;
pub mod enums;
pub mod error;
pub mod events;
pub mod ids;
pub mod notifications;
pub mod oauth;
pub mod participant;
pub mod request;
pub mod routing;
pub mod time;
pub mod transcription;
pub mod user;

pub use analytics::{
    AnalyticsConversation, AnalyticsConversationQueryResponse, AnalyticsParticipant,
    AnalyticsSegment, AnalyticsSession, ConversationQuery, ObservationMetricData, ObservationValue,
    PagingSpec, QueryClause, QueryFilter, QueryPredicate, QueueObservationDataContainer,
    QueueObservationQuery, QueueObservationQueryResponse, StatisticalSummary,
};
pub use common::{Address, DisconnectReason, EntityListing, EntityRef, ErrorInfo};
pub use conversation::{
    Call, CallConversation, CallConversationEntityListing, CallMediaParticipant, Conversation,
    ConversationEntityListing, Participant,
};
pub use enums::{
    ChannelTopicState, Direction, DisconnectType, ParticipantState, Purpose, RecordingState,
    SystemMessageReason, SystemTopicType, TranscriptChannel, TranscriptionSessionStatus, UserState,
};
pub use error::{DecodeError, ErrorBody, ErrorDetail, ErrorLimit, decode, decode_str};
pub use events::{
    ConversationCallEventTopicCallConversation, ConversationCallEventTopicCallMediaParticipant,
    ConversationEventTopicCall, ConversationEventTopicConversation,
    ConversationEventTopicParticipant, QueueConversationCallEventTopicCallConversation,
    QueueConversationCallEventTopicCallMediaParticipant, QueueConversationEventTopicConversation,
};
pub use ids::{
    ChannelId, CommunicationId, ConversationId, ParticipantId, QueueId, UserId, is_valid_id,
};
pub use notifications::{
    Channel, ChannelEntityListing, ChannelMetadata, ChannelTopic, ChannelTopicEntityListing,
    EnvelopeMetadata, Notification, NotificationBody, NotificationEnvelope, RawNotification,
    SystemMessage, SystemMessageSystemMessage, Topic,
};
pub use oauth::{AccessToken, ClientSecret, OAuthErrorBody, RefreshToken, TokenResponse};
pub use participant::ParticipantView;
pub use request::{MediaParticipantRequest, WrapupInput};
pub use routing::{Queue, QueueEntityListing};
pub use time::{Timestamp, TimestampError};
pub use transcription::{
    TranscriptionTopicTranscriptAlternative, TranscriptionTopicTranscriptResult,
    TranscriptionTopicTranscriptWord, TranscriptionTopicTranscriptionMessage,
    TranscriptionTopicTranscriptionRequestStatus,
};
pub use user::{PERMISSION_DISCONNECT, TokenInfo, UserAuthorization, UserMe};
