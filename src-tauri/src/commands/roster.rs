//! The live board: a snapshot, then numbered changes on a channel; and the connection status.

use crate::error::IpcError;
use crate::state::AppState;
use supervisor_core::ipc::roster::{ConnectionStatusResponse, RosterEvent, RosterSnapshot};
use tauri::State;
use tauri::ipc::Channel;

/// `roster_subscribe`: the board now; its changes follow on `on_event` (a newer call replaces this one).
#[tauri::command]
pub async fn roster_subscribe(
    state: State<'_, AppState>,
    on_event: Channel<RosterEvent>,
) -> Result<RosterSnapshot, IpcError> {
    state
        .desktop()
        .roster_subscribe(move |event| on_event.send(event).is_ok())
        .await
}

/// `roster_snapshot`: the whole board now (the UI asks after a sequence gap).
#[tauri::command]
pub async fn roster_snapshot(state: State<'_, AppState>) -> Result<RosterSnapshot, IpcError> {
    state.desktop().roster_snapshot().await
}

/// `connection_status`: the notification connection and the board's trust.
#[tauri::command]
pub async fn connection_status(
    state: State<'_, AppState>,
) -> Result<ConnectionStatusResponse, IpcError> {
    state.desktop().connection_status().await
}
