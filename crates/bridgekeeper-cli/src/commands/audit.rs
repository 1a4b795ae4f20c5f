//! `audit`: the audit log as a table, JSON or CSV.

use std::io::Write;

use serde::Serialize;
use supervisor_core::audit::{AuditLog, AuditOutcome, AuditRecord, write_csv};

use crate::cli::AuditArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::{Cell, Exit, Style, human_duration_ms, sanitize};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AuditView<'a> {
    path: String,
    records: &'a [AuditRecord],
    skipped_lines: usize,
}

/// Prints the audit log; a missing file is an empty log (nothing has been done yet).
pub async fn run(ctx: &Context, args: &AuditArgs) -> Result<Exit, CliError> {
    if args.csv && ctx.printer.json() {
        return Err(CliError::new("choose --csv or --json, not both"));
    }
    let path = ctx.audit_path()?;
    let report = if path.exists() {
        // Opening never truncates; it only closes a line torn by a crash.
        let log = AuditLog::open(&path)?;
        tokio::task::spawn_blocking(move || log.read_all())
            .await
            .map_err(|e| CliError::new(format!("reading the audit log failed: {e}")))??
    } else {
        Default::default()
    };
    if !report.skipped.is_empty() {
        eprintln!(
            "warning: {} unreadable line(s) in {} were skipped (first: line {}, {})",
            report.skipped.len(),
            path.display(),
            report.skipped[0].line,
            report.skipped[0].reason
        );
    }
    if args.csv {
        let mut out = std::io::stdout().lock();
        write_csv(&report.records, &mut out)
            .and_then(|()| out.flush())
            .map_err(|e| CliError::new(format!("CSV export failed: {e}")))?;
        return Ok(Exit::Success);
    }
    if ctx.printer.json() {
        ctx.printer.json_line(&AuditView {
            path: path.display().to_string(),
            records: &report.records,
            skipped_lines: report.skipped.len(),
        });
        return Ok(Exit::Success);
    }
    if report.records.is_empty() {
        ctx.printer
            .line(&format!("No audit records yet ({}).", path.display()));
        return Ok(Exit::Success);
    }
    let rows: Vec<Vec<Cell>> = report
        .records
        .iter()
        .map(|r| {
            let style = match r.outcome {
                AuditOutcome::Confirmed | AuditOutcome::AlreadyGone => Style::Good,
                AuditOutcome::NotConfirmed | AuditOutcome::NotSent | AuditOutcome::Pending => {
                    Style::Warn
                }
                _ => Style::Bad,
            };
            vec![
                Cell::plain(
                    r.time
                        .with_timezone(&chrono::Local)
                        .format("%Y-%m-%d %H:%M:%S")
                        .to_string(),
                ),
                Cell::plain(r.action.as_str()),
                Cell::styled(r.outcome.as_str(), style),
                Cell::plain(format!(
                    "{} ({})",
                    sanitize(&r.party.name),
                    sanitize(&r.party.purpose)
                )),
                Cell::plain(sanitize(&r.actor.name)),
                Cell::plain(human_duration_ms(r.latency_ms)),
                Cell::plain(r.conversation_id.clone()),
                Cell::plain(r.participant_id.clone()),
                Cell::plain(r.correlation_id.clone().unwrap_or_default()),
                Cell::plain(r.detail.as_deref().map(sanitize).unwrap_or_default()),
            ]
        })
        .collect();
    ctx.printer.table(
        &[
            "TIME",
            "ACTION",
            "OUTCOME",
            "PARTY",
            "BY",
            "LATENCY",
            "CONVERSATION",
            "PARTICIPANT",
            "CORRELATION ID",
            "DETAIL",
        ],
        &rows,
    );
    Ok(Exit::Success)
}
