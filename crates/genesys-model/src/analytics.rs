//! Analytics queries used to find the active calls on a queue (docs/genesys-api.md, "Reading many calls").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::common::null_as_default;
use crate::enums::{Direction, Purpose};
use crate::ids::{ConversationId, ParticipantId, QueueId, UserId};
use crate::time::Timestamp;

/// Metric whose detail observations list the conversations being handled on a queue.
pub const METRIC_INTERACTING: &str = "oInteracting";
/// Metric whose detail observations list the conversations waiting in a queue.
pub const METRIC_WAITING: &str = "oWaiting";
/// Metric whose detail observations list the conversations ringing an agent.
pub const METRIC_ALERTING: &str = "oAlerting";

/// An analytics filter (`…QueryFilter`): `type` combines its predicates and clauses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryFilter {
    /// `and` or `or`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Nested clauses.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub clauses: Vec<QueryClause>,
    /// Predicates.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub predicates: Vec<QueryPredicate>,
}

/// A clause inside a filter (`…QueryClause`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryClause {
    /// `and` or `or`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Predicates.
    #[serde(default, deserialize_with = "null_as_default")]
    pub predicates: Vec<QueryPredicate>,
}

/// One predicate (`…QueryPredicate`); dimension names differ per query, so they stay text.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryPredicate {
    /// `dimension`, `property` or `metric`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Dimension name (e.g. `queueId`, `conversationEnd`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimension: Option<String>,
    /// Metric name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// `matches`, `exists` or `notExists`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// Value to match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl QueryPredicate {
    /// `dimension matches value`.
    pub fn dimension_matches(dimension: &str, value: &str) -> Self {
        Self {
            kind: Some("dimension".into()),
            dimension: Some(dimension.into()),
            operator: Some("matches".into()),
            value: Some(value.into()),
            metric: None,
        }
    }

    /// `dimension notExists`: e.g. `conversationEnd notExists` means "still active".
    pub fn dimension_not_exists(dimension: &str) -> Self {
        Self {
            kind: Some("dimension".into()),
            dimension: Some(dimension.into()),
            operator: Some("notExists".into()),
            value: None,
            metric: None,
        }
    }
}

fn queue_clause(queues: &[QueueId]) -> QueryClause {
    QueryClause {
        kind: "or".into(),
        predicates: queues
            .iter()
            .map(|q| QueryPredicate::dimension_matches("queueId", q.as_str()))
            .collect(),
    }
}

/// Body of `POST /api/v2/analytics/queues/observations/query`.
pub type QueueObservationQueryFilter = QueryFilter;

/// `QueueObservationQuery`: real-time queue state; detail metrics list the conversations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueObservationQuery {
    /// Which queues and media.
    pub filter: QueryFilter,
    /// Metrics to count.
    #[serde(default, deserialize_with = "null_as_default")]
    pub metrics: Vec<String>,
    /// Metrics whose observations (conversation ids) are listed.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub detail_metrics: Vec<String>,
}

impl QueueObservationQuery {
    /// The roster's bootstrap query: voice conversations interacting, waiting or alerting on these queues,
    /// with details so each observation names its conversation.
    pub fn active_voice_conversations(queues: &[QueueId]) -> Self {
        let metrics: Vec<String> = [METRIC_INTERACTING, METRIC_WAITING, METRIC_ALERTING]
            .iter()
            .map(|m| (*m).to_owned())
            .collect();
        Self {
            filter: QueryFilter {
                kind: "and".into(),
                clauses: vec![queue_clause(queues)],
                predicates: vec![QueryPredicate::dimension_matches("mediaType", "voice")],
            },
            detail_metrics: metrics.clone(),
            metrics,
        }
    }
}

/// Response of the queue observation query.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueObservationQueryResponse {
    /// Per-group results (a group is one queue and media type).
    #[serde(default, deserialize_with = "null_as_default")]
    pub results: Vec<QueueObservationDataContainer>,
}

impl QueueObservationQueryResponse {
    /// Every distinct conversation id observed, in first-seen order: what the roster then reads.
    pub fn conversation_ids(&self) -> Vec<&ConversationId> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for id in self
            .results
            .iter()
            .flat_map(|r| &r.data)
            .flat_map(|d| &d.observations)
            .filter_map(|o| o.conversation_id.as_ref())
        {
            if seen.insert(id.as_str()) {
                out.push(id);
            }
        }
        out
    }
}

/// `QueueObservationDataContainer`: one group's metrics.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueObservationDataContainer {
    /// Group keys, e.g. `queueId` and `mediaType`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub group: BTreeMap<String, String>,
    /// Metric data.
    #[serde(default, deserialize_with = "null_as_default")]
    pub data: Vec<ObservationMetricData>,
}

impl QueueObservationDataContainer {
    /// The queue this group is about.
    pub fn queue_id(&self) -> Option<&str> {
        self.group.get("queueId").map(String::as_str)
    }
}

/// `ObservationMetricData`: one metric's count and, for detail metrics, the observations.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservationMetricData {
    /// Metric name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// Qualifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    /// Counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<StatisticalSummary>,
    /// True when observations were cut short: the roster must not assume it saw everything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<bool>,
    /// Observed sessions.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub observations: Vec<ObservationValue>,
}

/// `StatisticalSummary` (the fields observation queries fill).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatisticalSummary {
    /// Count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// Current value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<f64>,
    /// Maximum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Minimum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Sum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sum: Option<f64>,
    /// Ratio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
}

/// `ObservationValue`: one observed session, naming its conversation.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservationValue {
    /// When observed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observation_date: Option<Timestamp>,
    /// The conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<ConversationId>,
    /// The session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The user handling it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    /// Participant name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_name: Option<String>,
    /// Direction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// Calling number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ani: Option<String>,
    /// Called number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dnis: Option<String>,
    /// Routing priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_priority: Option<i64>,
    /// From address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_from: Option<String>,
    /// To address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_to: Option<String>,
    /// Team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
}

/// Paging of a details query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PagingSpec {
    /// Page size.
    pub page_size: u32,
    /// 1-based page number.
    pub page_number: u32,
}

/// Body of `POST /api/v2/analytics/conversations/details/query` (`ConversationQuery`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationQuery {
    /// Required ISO-8601 interval (`start/end`).
    pub interval: String,
    /// Conversation-level filters.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub conversation_filters: Vec<QueryFilter>,
    /// Segment-level filters.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub segment_filters: Vec<QueryFilter>,
    /// `asc`, `desc` or `unordered`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    /// `conversationStart`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_by: Option<String>,
    /// Paging.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paging: Option<PagingSpec>,
}

impl ConversationQuery {
    /// Active voice conversations on these queues within `interval` (the 2018 blog's recipe:
    /// `conversationEnd notExists`, segment `queueId` matches, `mediaType` voice).
    pub fn active_on_queues(
        interval: impl Into<String>,
        queues: &[QueueId],
        paging: PagingSpec,
    ) -> Self {
        Self {
            interval: interval.into(),
            conversation_filters: vec![QueryFilter {
                kind: "and".into(),
                clauses: Vec::new(),
                predicates: vec![QueryPredicate::dimension_not_exists("conversationEnd")],
            }],
            segment_filters: vec![QueryFilter {
                kind: "and".into(),
                clauses: vec![queue_clause(queues)],
                predicates: vec![QueryPredicate::dimension_matches("mediaType", "voice")],
            }],
            order: Some("asc".into()),
            order_by: Some("conversationStart".into()),
            paging: Some(paging),
        }
    }
}

impl ConversationQuery {
    /// Active voice conversations touching any of these queues or users (a user predicate finds
    /// the bridges dialled directly, which carry no queue; see docs/genesys-api.md, "Reading many
    /// calls").
    pub fn active_on(
        interval: impl Into<String>,
        queues: &[QueueId],
        users: &[UserId],
        paging: PagingSpec,
    ) -> Self {
        let mut clause = queue_clause(queues);
        clause.predicates.extend(
            users
                .iter()
                .map(|u| QueryPredicate::dimension_matches("userId", u.as_str())),
        );
        let mut query = Self::active_on_queues(interval, &[], paging);
        query.segment_filters[0].clauses = vec![clause];
        query
    }

    /// These conversations, ended or not (how a resync learns that a call it showed has ended
    /// without reading each one).
    pub fn by_ids(interval: impl Into<String>, ids: &[ConversationId], paging: PagingSpec) -> Self {
        Self {
            interval: interval.into(),
            conversation_filters: vec![QueryFilter {
                kind: "or".into(),
                clauses: Vec::new(),
                predicates: ids
                    .iter()
                    .map(|c| QueryPredicate::dimension_matches("conversationId", c.as_str()))
                    .collect(),
            }],
            segment_filters: Vec::new(),
            order: Some("asc".into()),
            order_by: Some("conversationStart".into()),
            paging: Some(paging),
        }
    }
}

/// `AnalyticsConversationQueryResponse` (the subset the roster bootstrap uses).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsConversationQueryResponse {
    /// Matching conversations; absent when there are none.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub conversations: Vec<AnalyticsConversation>,
    /// Total hits (drifts while data streams in: de-duplicate across pages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_hits: Option<u64>,
}

/// `AnalyticsConversationWithoutAttributes` (subset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsConversation {
    /// Conversation id.
    pub conversation_id: ConversationId,
    /// Start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_start: Option<Timestamp>,
    /// End; absent while active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_end: Option<Timestamp>,
    /// When it became a conference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conference_start: Option<Timestamp>,
    /// Originating direction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub originating_direction: Option<Direction>,
    /// Divisions.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub division_ids: Vec<String>,
    /// Participants.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub participants: Vec<AnalyticsParticipant>,
}

impl AnalyticsConversation {
    /// Still going: no end recorded.
    pub fn is_active(&self) -> bool {
        self.conversation_end.is_none()
    }
}

/// `AnalyticsParticipantWithoutAttributes` (subset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsParticipant {
    /// Participant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_id: Option<ParticipantId>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_name: Option<String>,
    /// Purpose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<Purpose>,
    /// User.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    /// Sessions.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub sessions: Vec<AnalyticsSession>,
}

/// `AnalyticsSession` (subset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsSession {
    /// Session id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Media type (`voice`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Direction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// Calling number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ani: Option<String>,
    /// Called number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dnis: Option<String>,
    /// Conference bridge id, shared by all parties of a conference session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_bridge_id: Option<String>,
    /// Segments.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub segments: Vec<AnalyticsSegment>,
}

/// `AnalyticsConversationSegment` (subset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsSegment {
    /// Start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_start: Option<Timestamp>,
    /// End; absent while the segment is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_end: Option<Timestamp>,
    /// `interact`, `hold`, `alert`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_type: Option<String>,
    /// Queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_id: Option<QueueId>,
    /// Analytics spelling (camelCase, e.g. `conferenceTransfer`), kept as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disconnect_type: Option<String>,
    /// Part of a conference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conference: Option<bool>,
    /// Audio muted during the segment (analytics' view, which lags; never the live mute state).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_muted: Option<bool>,
}
