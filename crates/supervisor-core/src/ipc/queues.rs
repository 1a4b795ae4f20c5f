//! Queue commands: `list_queues` (searchable) and `select_queues` (remembered between runs).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Genesys accepts at most this page size for `GET /routing/queues`; one page is what the picker shows.
pub const QUEUE_PAGE_SIZE: u32 = 500;

/// `list_queues`: queues whose name contains `filter` (empty lists all, up to one page).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ListQueuesRequest {
    /// Part of a queue name; case does not matter.
    pub filter: String,
}

impl ListQueuesRequest {
    /// The Genesys `name` query for this filter: `*text*`, or `None` for no filter.
    ///
    /// Genesys supports only leading/trailing `*` wildcards, so a `*` typed inside the text is dropped
    /// rather than sent as a pattern the server would misread.
    pub fn name_query(&self) -> Option<String> {
        let text: String = self.filter.trim().chars().filter(|c| *c != '*').collect();
        (!text.is_empty()).then(|| format!("*{text}*"))
    }
}

/// A queue as the picker and the board show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QueueInfo {
    /// Queue id.
    pub id: String,
    /// Queue name.
    pub name: String,
}

/// The people a board watches besides its queues (bridges they dial carry no queue).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct WatchedPeople {
    /// Chosen people (Genesys user ids).
    pub user_ids: Vec<String>,
    /// The signed-in supervisor's own calls.
    pub watch_self: bool,
    /// Everyone seen taking calls on the chosen queues.
    pub watch_queue_people: bool,
}

/// `list_queues`: the matching queues and the remembered selection (which may not match the filter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ListQueuesResponse {
    /// Matching queues, sorted by name.
    pub queues: Vec<QueueInfo>,
    /// The queues chosen last time (ids and names as remembered).
    pub selected: Vec<QueueInfo>,
    /// The people chosen last time.
    pub people: WatchedPeople,
    /// More queues matched than one page holds: the user should narrow the search.
    pub truncated: bool,
}

/// `select_queues`: the queues (and people) the board watches from now on (empty lists watch
/// nothing).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SelectQueuesRequest {
    /// Queue ids, as listed by `list_queues`.
    pub queue_ids: Vec<String>,
    /// People to watch as well (Genesys user ids): bridges they dial carry no queue.
    #[serde(default)]
    pub user_ids: Vec<String>,
    /// Watch the signed-in supervisor's own calls.
    #[serde(default)]
    pub watch_self: bool,
    /// Watch everyone seen taking calls on the chosen queues.
    #[serde(default)]
    pub watch_queue_people: bool,
}

/// `select_queues`: the selection as stored (unknown ids are refused, so this is what the board watches).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SelectQueuesResponse {
    /// The watched queues.
    pub selected: Vec<QueueInfo>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_becomes_a_contains_query() {
        let q = |f: &str| ListQueuesRequest { filter: f.into() }.name_query();
        assert_eq!(q(""), None);
        assert_eq!(q("  "), None);
        assert_eq!(q("Sup"), Some("*Sup*".into()));
        assert_eq!(q("*Bill*ing"), Some("*Billing*".into()));
        assert_eq!(q("*"), None);
    }
}
