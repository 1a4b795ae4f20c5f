//! The audit log: every supervisor action and every policy decision, append-only on disk,
//! crash-safe, exportable as CSV.

mod csv;
mod log;
mod record;

pub use csv::{CSV_HEADER, write_csv};
pub use log::{AuditError, AuditLog, AuditReadReport, AuditTail, SkippedLine};
pub use record::{
    Actor, AuditAction, AuditOutcome, AuditRecord, AuditRequest, Party, PolicyDecision, PolicyNote,
};
