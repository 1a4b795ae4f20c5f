//! The permission self-check after sign-in: which of the app's features the signed-in user's roles
//! allow, from `GET /api/v2/users/me?expand=authorization`, so the app can say up front which
//! features are unavailable and which permission an admin must grant (the table in `docs/ADMIN.md`).

use genesys_client::Client;
use genesys_model::{PERMISSION_DISCONNECT, UserMe};

use crate::roster::{DETAILS_PERMISSION, OBSERVATIONS_PERMISSION};

/// A feature of the app and the permission it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Feature {
    /// What people call the feature ("Dropping, muting and holding a party").
    pub name: &'static str,
    /// The permission an admin grants for it (`domain:entity:action`).
    pub permission: &'static str,
    /// What stops working without it, in one sentence.
    pub without: &'static str,
    /// False for a feature the rest of the app does without (the live transcript).
    pub essential: bool,
}

/// Every feature the app checks, in the order of the table in `docs/ADMIN.md`.
pub const FEATURES: [Feature; 6] = [
    Feature {
        name: "Listing the organisation's queues",
        permission: "routing:queue:view",
        without: "The queue picker cannot list the organisation's queues.",
        essential: true,
    },
    Feature {
        name: "Queue activity",
        permission: OBSERVATIONS_PERMISSION,
        without: "The board cannot find the calls waiting or live on the chosen queues.",
        essential: true,
    },
    Feature {
        name: "Finding live conferences",
        permission: DETAILS_PERMISSION,
        without: "The board shows no calls, or only your own, so nothing can be dropped.",
        essential: true,
    },
    Feature {
        name: "Reading a call's parties",
        permission: "conversation:communication:view",
        without: "The board cannot show who is still on a call, and a drop is never confirmed.",
        essential: true,
    },
    Feature {
        name: "Dropping, muting and holding a party",
        permission: PERMISSION_DISCONNECT,
        without: "Drop, mute and hold of other people's parties are refused.",
        essential: true,
    },
    Feature {
        name: "Silence detection (the `silent` rule)",
        permission: "conversation:transcription:view",
        without: "Rules that look for a silent outside party show as not checked; everything else works.",
        essential: false,
    },
];

/// What the check found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PermissionReport {
    /// The roles were read; these features are unavailable (empty: everything works).
    Checked {
        /// The features whose permission the user lacks, in [`FEATURES`] order.
        missing: Vec<Feature>,
    },
    /// The answer carried no roles (the `expand` was not honoured), so nothing can be said.
    Unknown,
}

impl PermissionReport {
    /// From a `users/me` answer with `expand=authorization`.
    pub fn of(me: &UserMe) -> Self {
        match &me.authorization {
            Some(authorization) => Self::Checked {
                missing: FEATURES
                    .into_iter()
                    .filter(|f| !authorization.has_permission(f.permission))
                    .collect(),
            },
            None => Self::Unknown,
        }
    }

    /// The unavailable features (none when unknown).
    pub fn missing(&self) -> &[Feature] {
        match self {
            Self::Checked { missing } => missing,
            Self::Unknown => &[],
        }
    }

    /// One line per unavailable feature: what and which permission to ask the admin for.
    pub fn lines(&self) -> Vec<String> {
        self.missing()
            .iter()
            .map(|f| {
                format!(
                    "{} is unavailable: ask your administrator to grant {}. {}",
                    f.name, f.permission, f.without
                )
            })
            .collect()
    }
}

/// Reads the signed-in user's roles and checks them against [`FEATURES`].
pub async fn check(client: &Client) -> Result<PermissionReport, genesys_client::Error> {
    let me = client.users_me(&["authorization"]).await?;
    Ok(PermissionReport::of(&me))
}

#[cfg(test)]
mod tests {
    use super::*;
    use genesys_model::UserAuthorization;

    fn user(permissions: Option<&[&str]>) -> UserMe {
        let mut me: UserMe = serde_json::from_value(serde_json::json!({"id": "u1"})).expect("user");
        me.authorization = permissions.map(|p| UserAuthorization {
            permissions: p.iter().map(|s| (*s).to_owned()).collect(),
            ..UserAuthorization::default()
        });
        me
    }

    #[test]
    fn names_each_missing_feature_and_its_permission() {
        let all: Vec<&str> = FEATURES.iter().map(|f| f.permission).collect();
        assert_eq!(
            PermissionReport::of(&user(Some(&all))),
            PermissionReport::Checked { missing: vec![] }
        );
        let without_drop: Vec<&str> = all
            .iter()
            .copied()
            .filter(|p| *p != PERMISSION_DISCONNECT)
            .collect();
        let report = PermissionReport::of(&user(Some(&without_drop)));
        assert_eq!(report.missing().len(), 1);
        assert_eq!(report.missing()[0].permission, PERMISSION_DISCONNECT);
        let lines = report.lines();
        assert!(
            lines[0]
                .contains("ask your administrator to grant conversation:communication:disconnect"),
            "{lines:?}"
        );
    }

    #[test]
    fn wildcards_grant_and_missing_roles_say_nothing() {
        let report = PermissionReport::of(&user(Some(&["*:*:*"])));
        assert!(report.missing().is_empty());
        let report = PermissionReport::of(&user(Some(&["conversation:*:*"])));
        let missing: Vec<_> = report.missing().iter().map(|f| f.permission).collect();
        assert_eq!(
            missing,
            [
                "routing:queue:view",
                OBSERVATIONS_PERMISSION,
                DETAILS_PERMISSION
            ]
        );
        assert_eq!(PermissionReport::of(&user(None)), PermissionReport::Unknown);
        assert!(PermissionReport::Unknown.lines().is_empty());
    }
}
