//! The audit log as people read it: the filtered list, and the CSV export written to a file.

use chrono::Utc;

use super::Desktop;
use crate::audit::write_csv;
use crate::ipc::audit::{
    AuditEntry, AuditExportRequest, AuditExportResponse, AuditListRequest, AuditListResponse,
    select,
};
use crate::ipc::error::IpcError;

impl Desktop {
    /// `audit_list`: the matching records, newest first (readable without signing in).
    pub async fn audit_list(
        &self,
        request: AuditListRequest,
    ) -> Result<AuditListResponse, IpcError> {
        let audit = self.audit()?.clone();
        let report = tokio::task::spawn_blocking(move || audit.read_all())
            .await
            .map_err(|e| IpcError::internal(e.to_string()))??;
        let entries = select(&report.records, &request.filters)
            .into_iter()
            .map(AuditEntry::from)
            .collect();
        Ok(AuditListResponse {
            entries,
            total: u32::try_from(report.records.len()).unwrap_or(u32::MAX),
            skipped_lines: u32::try_from(report.skipped.len()).unwrap_or(u32::MAX),
            path: self.config.audit_path.display().to_string(),
        })
    }

    /// `audit_export_csv`: writes the matching records as CSV into the export folder.
    pub async fn audit_export_csv(
        &self,
        request: AuditExportRequest,
    ) -> Result<AuditExportResponse, IpcError> {
        let audit = self.audit()?.clone();
        let dir = self.config.export_dir.clone();
        let name = format!(
            "bridgekeeper-audit-{}.csv",
            Utc::now().format("%Y%m%d-%H%M%S")
        );
        let filters = request.filters;
        tokio::task::spawn_blocking(move || {
            let report = audit.read_all()?;
            let chosen: Vec<_> = select(&report.records, &filters)
                .into_iter()
                .cloned()
                .collect();
            std::fs::create_dir_all(&dir).map_err(|e| {
                IpcError::internal(format!(
                    "The folder {} cannot be created: {e}",
                    dir.display()
                ))
            })?;
            let path = dir.join(name);
            let write = || -> std::io::Result<()> {
                let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
                write_csv(&chosen, &mut file)?;
                std::io::Write::flush(&mut file)?;
                file.get_ref().sync_all()
            };
            write().map_err(|e| {
                IpcError::internal(format!(
                    "The CSV file {} could not be written: {e}",
                    path.display()
                ))
            })?;
            tracing::info!(path = %path.display(), rows = chosen.len(), "audit log exported");
            Ok(AuditExportResponse {
                path: path.display().to_string(),
                rows: u32::try_from(chosen.len()).unwrap_or(u32::MAX),
            })
        })
        .await
        .map_err(|e| IpcError::internal(e.to_string()))?
    }
}
