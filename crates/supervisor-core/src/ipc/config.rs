//! `app_config` and `check_permissions`: the admin-managed configuration as the UI shows it (values,
//! which are locked, which files are broken) and the permission self-check after sign-in.

use serde::Serialize;
use ts_rs::TS;

use crate::admin_config::{self, AdminConfig, Scope};
use crate::permissions::PermissionReport;

/// A setting of the configuration file, as the UI names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ConfigField {
    /// `region`
    Region,
    /// `client_id`
    ClientId,
    /// `loopback_port`
    LoopbackPort,
    /// `demo`
    Demo,
    /// `allow_policy_enforcement`
    AllowPolicyEnforcement,
    /// `update_endpoint`
    UpdateEndpoint,
    /// `token_store` (read by the CLI; the desktop always uses the system keyring)
    TokenStore,
}

impl From<admin_config::Field> for ConfigField {
    fn from(field: admin_config::Field) -> Self {
        use admin_config::Field as F;
        match field {
            F::Region => Self::Region,
            F::ClientId => Self::ClientId,
            F::LoopbackPort => Self::LoopbackPort,
            F::Demo => Self::Demo,
            F::AllowPolicyEnforcement => Self::AllowPolicyEnforcement,
            F::UpdateEndpoint => Self::UpdateEndpoint,
            F::TokenStore => Self::TokenStore,
        }
    }
}

/// Which file: the admin's machine-wide one or the user's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ConfigScope {
    /// The system-wide file (its fields are locked).
    System,
    /// The per-user file.
    User,
}

/// A configuration file the app ignored, and why: enough to fix it without guessing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConfigProblemView {
    /// Which of the two files.
    pub scope: ConfigScope,
    /// The file's path.
    pub path: String,
    /// 1-based line, when the problem is at one.
    pub line: Option<u32>,
    /// The field's key as written in the file, when known.
    pub field: Option<String>,
    /// What is wrong and what would be right.
    pub message: String,
    /// The whole problem in one line (`path, line N, field `x`: message`), for copying.
    pub text: String,
}

/// `app_config`: the effective configuration, what the administrator locked, what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppConfigResponse {
    /// The configured region name (`eu_west_1`); `null`: the user chooses.
    pub region: Option<String>,
    /// The configured OAuth client id.
    pub client_id: Option<String>,
    /// The redirect URI's port.
    pub loopback_port: u16,
    /// Whether "Try the demo organisation" is offered.
    pub demo: bool,
    /// Whether a policy may run in enforce mode.
    pub allow_policy_enforcement: bool,
    /// Where updates are looked for; `null`: the updater is off.
    pub update_endpoint: Option<String>,
    /// The fields the system-wide file sets: shown, never editable ("set by your administrator").
    pub locked: Vec<ConfigField>,
    /// Where the system-wide file is looked for.
    pub system_path: Option<String>,
    /// Where the user's file is looked for.
    pub user_path: Option<String>,
    /// Files that were ignored because they could not be used (the app runs on their defaults).
    pub problems: Vec<ConfigProblemView>,
}

impl From<&AdminConfig> for AppConfigResponse {
    fn from(config: &AdminConfig) -> Self {
        let shown = |p: &Option<std::path::PathBuf>| p.as_ref().map(|p| p.display().to_string());
        Self {
            region: config.region().map(|r| r.name().to_owned()),
            client_id: config.client_id().map(str::to_owned),
            loopback_port: config.loopback_port(),
            demo: config.demo_offered(),
            allow_policy_enforcement: config.policy_enforcement_allowed(),
            update_endpoint: config.update_endpoint().map(str::to_owned),
            locked: config.locked().into_iter().map(ConfigField::from).collect(),
            system_path: shown(&config.locations().system),
            user_path: shown(&config.locations().user),
            problems: config
                .problems()
                .iter()
                .map(|p| ConfigProblemView {
                    scope: match p.scope {
                        Scope::System => ConfigScope::System,
                        Scope::User => ConfigScope::User,
                    },
                    path: p.path.display().to_string(),
                    line: p.line.and_then(|l| u32::try_from(l).ok()),
                    field: p.field.clone(),
                    message: p.message.clone(),
                    text: p.to_string(),
                })
                .collect(),
        }
    }
}

/// A feature the signed-in user's roles do not allow, and the permission that would.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MissingPermission {
    /// The feature in words ("Dropping, muting and holding a party").
    pub feature: String,
    /// The permission an admin must grant (`conversation:communication:disconnect`).
    pub permission: String,
    /// What stops working without it.
    pub consequence: String,
    /// False for a feature the rest of the app does without (the live transcript).
    pub essential: bool,
}

/// `check_permissions`: which features the signed-in user's roles leave unavailable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PermissionCheckResponse {
    /// False when nothing was checked (the demo organisation, or Genesys sent no roles).
    pub checked: bool,
    /// The unavailable features (empty: everything works).
    pub missing: Vec<MissingPermission>,
}

impl PermissionCheckResponse {
    /// Nothing checked (the demo organisation's roles are known).
    pub fn not_checked() -> Self {
        Self {
            checked: false,
            missing: Vec::new(),
        }
    }
}

impl From<&PermissionReport> for PermissionCheckResponse {
    fn from(report: &PermissionReport) -> Self {
        Self {
            checked: matches!(report, PermissionReport::Checked { .. }),
            missing: report
                .missing()
                .iter()
                .map(|f| MissingPermission {
                    feature: f.name.to_owned(),
                    permission: f.permission.to_owned(),
                    consequence: f.without.to_owned(),
                    essential: f.essential,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin_config::{ConfigLayer, ConfigLocations};

    #[test]
    fn the_view_shows_values_locks_and_problems() {
        let dir = std::env::temp_dir().join(format!(
            "bk-config-view-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
        ));
        std::fs::create_dir_all(&dir).expect("dir");
        let system = dir.join("system.toml");
        std::fs::write(&system, "region = \"eu_west_1\"\ndemo = false\n").expect("write");
        let user = dir.join("user.toml");
        std::fs::write(&user, "client_id = \"mine\"\nloopback_port = 99999\n").expect("write");
        let config = AdminConfig::load_from(ConfigLocations {
            system: Some(system.clone()),
            user: Some(user.clone()),
        });
        let view = AppConfigResponse::from(&config);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(view.region.as_deref(), Some("eu_west_1"));
        assert_eq!(
            view.client_id, None,
            "the broken user file counts as absent"
        );
        assert_eq!(view.loopback_port, 8765);
        assert!(!view.demo);
        assert_eq!(view.locked, [ConfigField::Region, ConfigField::Demo]);
        assert_eq!(view.system_path, Some(system.display().to_string()));
        let [problem] = view.problems.as_slice() else {
            panic!("one problem: {:?}", view.problems);
        };
        assert_eq!(problem.scope, ConfigScope::User);
        assert_eq!(problem.line, Some(2));
        assert_eq!(problem.field.as_deref(), Some("loopback_port"));
        assert!(
            problem.text.starts_with(&format!(
                "{}, line 2, field `loopback_port`",
                user.display()
            )),
            "{}",
            problem.text
        );
        let json = serde_json::to_value(&view).expect("json");
        assert_eq!(json["locked"], serde_json::json!(["region", "demo"]));
        assert_eq!(json["allowPolicyEnforcement"], serde_json::json!(true));

        let default = AppConfigResponse::from(&AdminConfig::from_layers(
            ConfigLayer::default(),
            ConfigLayer::default(),
        ));
        assert!(default.locked.is_empty() && default.problems.is_empty() && default.demo);
    }
}
