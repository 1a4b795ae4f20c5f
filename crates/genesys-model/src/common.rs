//! Small shapes shared by many models.

use serde::{Deserialize, Deserializer, Serialize};

/// Accepts `null` where a collection is expected, so one odd `null` does not drop a whole event.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A reference to another entity (`DomainEntityRef`, or `{id,name}` in events), typed by its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "I: Deserialize<'de>"))]
pub struct EntityRef<I = String> {
    /// Id of the referenced entity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<I>,
    /// Display name, when the API includes it (events do for users and queues).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// REST link to the entity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
}

/// One side of a call (`Call.self` / `Call.other`): how a party is named when it has no user.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// Display name of the address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Name as received from the network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_raw: Option<String>,
    /// Normalised address (E.164 or SIP URI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_normalized: Option<String>,
    /// Address as received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_raw: Option<String>,
    /// Address formatted for display.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_displayable: Option<String>,
}

/// An error attached to a participant or call (`errorInfo`), shown next to the leg.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorInfo {
    /// Human text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Machine code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// A network reason for a disconnect (Q.850 or SIP), useful in the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DisconnectReason {
    /// `q850` or `sip` (kept as text: an open set).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Numeric cause code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    /// Reason phrase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phrase: Option<String>,
    /// Free-text reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Paged list wrapper shared by `*EntityListing` models, so paging code is written once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "T: Deserialize<'de>"))]
pub struct EntityListing<T> {
    /// The page's items.
    #[serde(default, deserialize_with = "null_as_default")]
    pub entities: Vec<T>,
    /// Requested page size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    /// 1-based page number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_number: Option<u32>,
    /// Total items across pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Number of pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_count: Option<u32>,
    /// Link to the first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_uri: Option<String>,
    /// Link to the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_uri: Option<String>,
    /// Link to this page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
    /// Link to the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_uri: Option<String>,
    /// Link to the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_uri: Option<String>,
}

impl<T> EntityListing<T> {
    /// Whether another page should be fetched: prefers `nextUri`, falls back to page counts.
    pub fn has_next_page(&self) -> bool {
        if self.next_uri.is_some() {
            return true;
        }
        match (self.page_number, self.page_count) {
            (Some(n), Some(c)) => n < c,
            _ => false,
        }
    }
}

impl<T> Default for EntityListing<T> {
    fn default() -> Self {
        Self {
            entities: Vec::new(),
            page_size: None,
            page_number: None,
            total: None,
            page_count: None,
            first_uri: None,
            last_uri: None,
            self_uri: None,
            next_uri: None,
            previous_uri: None,
        }
    }
}
