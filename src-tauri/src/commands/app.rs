//! Commands about the app itself: what version runs, and against which organisation.

use crate::error::{ErrorCode, IpcError};
use crate::state::{AppState, DemoOrg};
use supervisor_core::ipc::app::{AppInfo, DemoInfo};
use tauri::{AppHandle, Runtime, State};

/// Builds the answer from the launch state; separate from the command so it needs no Tauri to test.
pub fn describe(version: String, demo: &DemoOrg) -> Result<AppInfo, IpcError> {
    let demo = match demo {
        DemoOrg::Off => None,
        DemoOrg::Running { base_url, .. } => Some(DemoInfo {
            base_url: base_url.clone(),
        }),
        DemoOrg::Failed { reason } => {
            return Err(IpcError::new(
                ErrorCode::DemoUnavailable,
                format!("The demo organisation could not start: {reason}"),
            ));
        }
    };
    Ok(AppInfo { version, demo })
}

/// `app_info`: the version and the organisation mode.
#[tauri::command]
pub fn app_info<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<AppInfo, IpcError> {
    describe(app.package_info().version.to_string(), state.demo())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_org_has_no_demo_info() {
        let info = describe("1.2.3".into(), &DemoOrg::Off).unwrap();
        assert_eq!(
            info,
            AppInfo {
                version: "1.2.3".into(),
                demo: None
            }
        );
    }

    #[test]
    fn failed_demo_is_an_error_with_the_reason() {
        let failed = DemoOrg::Failed {
            reason: "address in use".into(),
        };
        let error = describe("1.2.3".into(), &failed).unwrap_err();
        assert_eq!(error.code, ErrorCode::DemoUnavailable);
        assert_eq!(
            error.message,
            "The demo organisation could not start: address in use"
        );
    }

    #[test]
    fn serialises_in_camel_case_for_the_ui() {
        let info = AppInfo {
            version: "1.2.3".into(),
            demo: Some(DemoInfo {
                base_url: "http://127.0.0.1:9".into(),
            }),
        };
        assert_eq!(
            serde_json::to_value(info).unwrap(),
            serde_json::json!({"version": "1.2.3", "demo": {"baseUrl": "http://127.0.0.1:9"}})
        );
    }
}
