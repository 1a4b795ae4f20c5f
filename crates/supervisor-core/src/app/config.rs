//! The admin-managed configuration in the desktop's use cases: what the UI is told (`app_config`),
//! the locks a sign-in must respect, and the permission self-check after sign-in
//! (`check_permissions`).

use genesys_client::Environment;

use super::Desktop;
use crate::admin_config::{AdminConfig, Field};
use crate::ipc::config::{AppConfigResponse, PermissionCheckResponse};
use crate::ipc::error::{ErrorCode, IpcError};
use crate::ipc::session::SignInRequest;
use crate::permissions;

/// "set by your administrator (in <file>)", for refusals of a locked field.
fn by_admin(config: &AdminConfig) -> String {
    match config.system_path() {
        Some(path) => format!("set by your administrator in {}", path.display()),
        None => "set by your administrator".to_owned(),
    }
}

/// Refuses a sign-in that changes a field the system-wide file locked: the UI shows such fields
/// read-only, and this keeps the lock when something else calls the command.
pub(super) fn check_locks(
    config: &AdminConfig,
    request: &SignInRequest,
    environment: &Environment,
) -> Result<(), IpcError> {
    if config.is_locked(Field::Region) {
        if let Some(locked) = config.region() {
            let same = matches!(environment, Environment::Region(r) if *r == locked);
            if !same {
                return Err(IpcError::invalid(format!(
                    "The region is {}: {}. Sign in there.",
                    by_admin(config),
                    locked.name()
                )));
            }
        }
    }
    if config.is_locked(Field::ClientId) {
        if let Some(locked) = config.client_id() {
            if request.client_id.trim() != locked {
                return Err(IpcError::invalid(format!(
                    "The OAuth client id is {}: {locked}.",
                    by_admin(config)
                )));
            }
        }
    }
    Ok(())
}

impl Desktop {
    /// `app_config`: the effective configuration, its locks and the files that were ignored.
    pub async fn app_config(&self) -> Result<AppConfigResponse, IpcError> {
        Ok(AppConfigResponse::from(&self.config.admin))
    }

    /// `check_permissions`: reads the signed-in user's roles and says which features they leave
    /// unavailable (the demo organisation's roles are known, so it is not checked).
    pub async fn check_permissions(&self) -> Result<PermissionCheckResponse, IpcError> {
        let (client, demo) = self.with_signed(|s| (s.client.clone(), s.demo)).await?;
        if demo {
            return Ok(PermissionCheckResponse::not_checked());
        }
        let report = permissions::check(&client).await?;
        for line in report.lines() {
            tracing::warn!("{line}");
        }
        Ok(PermissionCheckResponse::from(&report))
    }

    /// Refuses the demo organisation when the configuration turned it off (checked before the
    /// app starts a demo emulator, and again by the demo sign-in).
    pub fn demo_allowed(&self) -> Result<(), IpcError> {
        if self.config.demo_available {
            return Ok(());
        }
        Err(IpcError::new(
            ErrorCode::DemoUnavailable,
            format!(
                "The demo organisation is turned off ({}).",
                if self.config.admin.is_locked(Field::Demo) {
                    by_admin(&self.config.admin)
                } else {
                    "demo = false in your configuration file".to_owned()
                }
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin_config::ConfigLayer;
    use genesys_client::Region;

    fn request(region: Option<&str>, base: Option<&str>, client: &str) -> SignInRequest {
        SignInRequest {
            region: region.map(str::to_owned),
            api_base: base.map(str::to_owned),
            client_id: client.to_owned(),
            client_secret: None,
        }
    }

    fn check(config: &AdminConfig, r: &SignInRequest) -> Result<(), IpcError> {
        check_locks(config, r, &r.environment().expect("environment"))
    }

    #[test]
    fn locked_fields_cannot_be_changed_by_a_sign_in() {
        let config = AdminConfig::from_layers(
            ConfigLayer {
                region: Some(Region::EuWest1),
                client_id: Some("fleet".into()),
                ..ConfigLayer::default()
            },
            ConfigLayer::default(),
        );
        assert!(check(&config, &request(Some("eu_west_1"), None, " fleet ")).is_ok());
        let other_region =
            check(&config, &request(Some("us_east_1"), None, "fleet")).expect_err("locked region");
        assert_eq!(other_region.code, ErrorCode::InvalidArgument);
        assert!(
            other_region
                .message
                .contains("set by your administrator: eu_west_1"),
            "{}",
            other_region.message
        );
        assert!(
            check(
                &config,
                &request(None, Some("http://127.0.0.1:9000"), "fleet")
            )
            .is_err()
        );
        let other_client =
            check(&config, &request(Some("eu_west_1"), None, "mine")).expect_err("locked id");
        assert!(
            other_client.message.contains("fleet"),
            "{}",
            other_client.message
        );
    }

    #[test]
    fn user_settings_are_only_defaults() {
        let config = AdminConfig::from_layers(
            ConfigLayer::default(),
            ConfigLayer {
                region: Some(Region::EuWest1),
                client_id: Some("mine".into()),
                ..ConfigLayer::default()
            },
        );
        assert!(check(&config, &request(Some("us_east_1"), None, "other")).is_ok());
    }
}
