//! Queue commands: search and choose the queues the board watches.

use crate::error::IpcError;
use crate::state::AppState;
use supervisor_core::ipc::queues::{
    ListQueuesRequest, ListQueuesResponse, SelectQueuesRequest, SelectQueuesResponse,
};
use tauri::State;

/// `list_queues`: queues whose name contains the filter.
#[tauri::command]
pub async fn list_queues(
    state: State<'_, AppState>,
    request: ListQueuesRequest,
) -> Result<ListQueuesResponse, IpcError> {
    state.desktop().list_queues(request).await
}

/// `select_queues`: the queues to watch (remembered between runs).
#[tauri::command]
pub async fn select_queues(
    state: State<'_, AppState>,
    request: SelectQueuesRequest,
) -> Result<SelectQueuesResponse, IpcError> {
    state.desktop().select_queues(request).await
}
