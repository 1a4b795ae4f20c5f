//! Action commands: the two-step drop, and mute/hold; each answers with its verified outcome.

use crate::error::IpcError;
use crate::state::AppState;
use supervisor_core::ipc::actions::{
    ActionResult, DropPlanView, ExecuteDropRequest, PlanDropRequest, SetFlagRequest,
};
use tauri::State;

/// `plan_drop`: who would be dropped and who remains; nothing is sent.
#[tauri::command]
pub async fn plan_drop(
    state: State<'_, AppState>,
    request: PlanDropRequest,
) -> Result<DropPlanView, IpcError> {
    state.desktop().plan_drop(request).await
}

/// `execute_drop`: carries out a reviewed plan once and reports the outcome.
#[tauri::command]
pub async fn execute_drop(
    state: State<'_, AppState>,
    request: ExecuteDropRequest,
) -> Result<ActionResult, IpcError> {
    state.desktop().execute_drop(request).await
}

/// `set_mute`: mutes (`on`) or unmutes a party.
#[tauri::command]
pub async fn set_mute(
    state: State<'_, AppState>,
    request: SetFlagRequest,
) -> Result<ActionResult, IpcError> {
    state.desktop().set_mute(request).await
}

/// `set_hold`: holds (`on`) or resumes a party.
#[tauri::command]
pub async fn set_hold(
    state: State<'_, AppState>,
    request: SetFlagRequest,
) -> Result<ActionResult, IpcError> {
    state.desktop().set_hold(request).await
}
