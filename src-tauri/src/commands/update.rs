//! Commands about updates: whether a newer signed version is offered, and installing it on request.
//! Off unless an update endpoint is configured (`update_endpoint` in config.toml, see docs/ADMIN.md).

use crate::error::{ErrorCode, IpcError};
use crate::state::AppState;
use crate::update::{self, Pending, UpdateError};
use supervisor_core::ipc::app::{UpdateCheckResponse, UpdateInstallResponse, UpdateView};
use tauri::{AppHandle, Runtime, State};
use url::Url;

/// The configured endpoint and the update last found, kept so "install" installs what was shown.
#[derive(Default)]
pub struct UpdateState {
    endpoint: Option<Url>,
    pending: tokio::sync::Mutex<Option<Pending>>,
}

impl UpdateState {
    /// Updates on (`Some`) or off.
    pub fn new(endpoint: Option<Url>) -> Self {
        Self {
            endpoint,
            pending: tokio::sync::Mutex::new(None),
        }
    }
}

fn failed(error: &UpdateError) -> IpcError {
    IpcError::new(ErrorCode::UpdateFailed, error.to_string())
}

/// Refuses an install while a drop, mute or hold is under way: a restart then would cut its check short.
pub fn install_allowed(actions_in_flight: usize) -> Result<(), IpcError> {
    if actions_in_flight == 0 {
        return Ok(());
    }
    Err(IpcError::new(
        ErrorCode::UpdateFailed,
        format!(
            "{actions_in_flight} action{} still under way; install the update once {} finished.",
            if actions_in_flight == 1 {
                " is"
            } else {
                "s are"
            },
            if actions_in_flight == 1 {
                "it has"
            } else {
                "they have"
            }
        ),
    ))
}

/// `update_check`: asks the endpoint; `enabled: false` when none is configured.
#[tauri::command]
pub async fn update_check<R: Runtime>(
    app: AppHandle<R>,
    updates: State<'_, UpdateState>,
) -> Result<UpdateCheckResponse, IpcError> {
    let Some(endpoint) = updates.endpoint.clone() else {
        return Ok(UpdateCheckResponse {
            enabled: false,
            available: None,
        });
    };
    let found = update::check(&app, endpoint)
        .await
        .map_err(|e| failed(&e))?;
    let available = found.as_ref().map(|p| {
        let a = p.available();
        UpdateView {
            version: a.version,
            notes: a.notes,
        }
    });
    *updates.pending.lock().await = found;
    Ok(UpdateCheckResponse {
        enabled: true,
        available,
    })
}

/// `update_install`: downloads the update shown, verifies its signature, installs it and restarts.
#[tauri::command]
pub async fn update_install<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    updates: State<'_, UpdateState>,
) -> Result<UpdateInstallResponse, IpcError> {
    install_allowed(state.desktop().actions_in_flight())?;
    let pending = updates.pending.lock().await;
    let Some(update) = pending.as_ref() else {
        return Err(IpcError::new(
            ErrorCode::UpdateFailed,
            "No update has been found yet: check for updates first.",
        ));
    };
    let version = update.available().version;
    update.install().await.map_err(|e| failed(&e))?;
    tracing::info!(%version, "update installed; restarting");
    app.restart();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_install_waits_for_actions_under_way() {
        assert!(install_allowed(0).is_ok());
        let one = install_allowed(1).unwrap_err();
        assert_eq!(one.code, ErrorCode::UpdateFailed);
        assert_eq!(
            one.message,
            "1 action is still under way; install the update once it has finished."
        );
        let two = install_allowed(2).unwrap_err();
        assert_eq!(
            two.message,
            "2 actions are still under way; install the update once they have finished."
        );
    }

    #[test]
    fn a_refused_signature_is_an_update_failure_in_plain_words() {
        let error = failed(&UpdateError::BadSignature("mismatch".into()));
        assert_eq!(error.code, ErrorCode::UpdateFailed);
        assert!(
            error
                .message
                .starts_with("The update was refused: its signature does not match")
        );
        assert!(error.message.contains("Nothing was installed"));
    }
}
