//! Audit commands: the history and its CSV export.

use crate::error::IpcError;
use crate::state::AppState;
use supervisor_core::ipc::audit::{
    AuditExportRequest, AuditExportResponse, AuditListRequest, AuditListResponse,
};
use tauri::State;

/// `audit_list`: matching records, newest first.
#[tauri::command]
pub async fn audit_list(
    state: State<'_, AppState>,
    request: AuditListRequest,
) -> Result<AuditListResponse, IpcError> {
    state.desktop().audit_list(request).await
}

/// `audit_export_csv`: writes the matching records as CSV (Downloads folder) and says where.
#[tauri::command]
pub async fn audit_export_csv(
    state: State<'_, AppState>,
    request: AuditExportRequest,
) -> Result<AuditExportResponse, IpcError> {
    state.desktop().audit_export_csv(request).await
}
