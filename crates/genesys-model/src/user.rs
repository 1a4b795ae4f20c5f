//! Who is signed in and what they may do.

use serde::{Deserialize, Serialize};

use crate::common::{EntityRef, null_as_default};
use crate::enums::UserState;
use crate::ids::UserId;
use crate::time::Timestamp;

/// The permission a supervisor needs to drop a leg they are not on (docs/genesys-api.md, "Who may drop whom").
pub const PERMISSION_DISCONNECT: &str = "conversation:communication:disconnect";

/// `GET /api/v2/users/me`: the signed-in user; with `expand=authorization` it carries the permissions
/// the drop pre-check reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserMe {
    /// User id (the audit log's "who").
    pub id: UserId,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Login name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Account state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<UserState>,
    /// Job title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Department.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Entity version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// Division of the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<EntityRef>,
    /// Organisation (with `expand=organization`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<EntityRef>,
    /// Roles and permissions (with `expand=authorization`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<UserAuthorization>,
    /// REST link to the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
}

impl UserMe {
    /// Whether the user holds `permission`; `false` when authorization was not expanded.
    pub fn has_permission(&self, permission: &str) -> bool {
        self.authorization
            .as_ref()
            .is_some_and(|a| a.has_permission(permission))
    }

    /// Best display name for the audit log and the header.
    pub fn display_name(&self) -> &str {
        self.name
            .as_deref()
            .or(self.email.as_deref())
            .or(self.username.as_deref())
            .unwrap_or(self.id.as_str())
    }
}

/// `UserAuthorization`: the user's roles and flattened permission strings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAuthorization {
    /// Granted roles.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub roles: Vec<EntityRef>,
    /// Roles granted but unused.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub unused_roles: Vec<EntityRef>,
    /// Permission strings (`domain:entity:action`, segments may be `*`).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub permissions: Vec<String>,
}

impl UserAuthorization {
    /// Matches `domain:entity:action` segment by segment, where a granted `*` segment matches anything.
    pub fn has_permission(&self, wanted: &str) -> bool {
        self.permissions
            .iter()
            .any(|granted| permission_matches(granted, wanted))
    }
}

fn permission_matches(granted: &str, wanted: &str) -> bool {
    let mut g = granted.split(':');
    let mut w = wanted.split(':');
    loop {
        match (g.next(), w.next()) {
            (None, None) => return true,
            (Some(gs), Some(ws)) if gs == "*" || gs == ws => {}
            _ => return false,
        }
    }
}

/// `GET /api/v2/tokens/me`: what the current token is, for the session panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    /// The organisation the token acts in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<EntityRef>,
    /// The token's home organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_organization: Option<EntityRef>,
    /// OAuth scopes the client was authorised for.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub authorized_scope: Vec<String>,
    /// When the token idles out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_token_idles: Option<Timestamp>,
    /// The OAuth client that issued it.
    #[serde(
        rename = "OAuthClient",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub oauth_client: Option<EntityRef>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(perms: &[&str]) -> UserAuthorization {
        UserAuthorization {
            permissions: perms.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn exact_and_wildcard_permissions() {
        assert!(auth(&[PERMISSION_DISCONNECT]).has_permission(PERMISSION_DISCONNECT));
        assert!(auth(&["conversation:communication:*"]).has_permission(PERMISSION_DISCONNECT));
        assert!(auth(&["conversation:*:*"]).has_permission(PERMISSION_DISCONNECT));
        assert!(!auth(&["conversation:communication:view"]).has_permission(PERMISSION_DISCONNECT));
        assert!(!auth(&["conversation:communication"]).has_permission(PERMISSION_DISCONNECT));
        assert!(!auth(&[]).has_permission(PERMISSION_DISCONNECT));
    }
}
