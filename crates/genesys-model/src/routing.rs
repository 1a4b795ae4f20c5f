//! Routing queues: what the supervisor picks to watch.

use serde::{Deserialize, Serialize};

use crate::common::{EntityListing, EntityRef};
use crate::ids::QueueId;
use crate::time::Timestamp;

/// `GET /api/v2/routing/queues` (and `/queues/me`, whose `UserQueue` adds `joined`).
pub type QueueEntityListing = EntityListing<Queue>;

/// A routing queue (`Queue`/`UserQueue`), reduced to what the queue picker shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Queue {
    /// Queue id: used in topics and analytics filters.
    pub id: QueueId,
    /// Queue name: what the picker searches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Division.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<EntityRef>,
    /// Created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_created: Option<Timestamp>,
    /// Last modified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_modified: Option<Timestamp>,
    /// Members (users and groups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_count: Option<i64>,
    /// User members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_member_count: Option<i64>,
    /// Joined members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joined_member_count: Option<i64>,
    /// Only on `/queues/me`: whether the user has joined this queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joined: Option<bool>,
    /// REST link to the queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
}
