//! The JSON Lines file behind the audit log.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::csv::write_csv;
use super::record::AuditRecord;

/// Why the audit log could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The file system refused (permissions, disk full, ...): the action must be reported as not
    /// recorded.
    #[error("audit log {path}: {source}")]
    Io {
        /// The audit log file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A record could not be encoded (cannot happen with the record types here, kept for safety).
    #[error("audit record could not be encoded: {0}")]
    Encode(#[from] serde_json::Error),
    /// The CSV could not be written to the destination.
    #[error("CSV export failed: {0}")]
    Export(#[source] io::Error),
}

/// A line of the file that is not a record; reported, never fatal, so earlier records survive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedLine {
    /// 1-based line number in the file.
    pub line: usize,
    /// True for a last line without its newline: a write cut short by a crash.
    pub torn: bool,
    /// Why it was skipped.
    pub reason: String,
}

/// Everything readable in the file, plus what had to be skipped.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuditReadReport {
    /// Records in file order.
    pub records: Vec<AuditRecord>,
    /// Lines that were not valid records.
    pub skipped: Vec<SkippedLine>,
}

/// What [`AuditLog::read_since`] found after an offset.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuditTail {
    /// The new records (line numbers in `skipped` count from the offset read from).
    pub report: AuditReadReport,
    /// Where the next read starts: just after the last complete line.
    pub offset: u64,
    /// The file was shorter than the offset asked for (replaced): this read started at 0.
    pub restarted: bool,
}

/// The append-only audit file; cheap to clone, clones share one writer so appends never interleave.
///
/// Use one `AuditLog` (and its clones) per file in a process: appends are serialised by its lock.
#[derive(Clone, Debug)]
pub struct AuditLog {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    file: Mutex<File>,
}

impl AuditLog {
    /// Opens (creating it and its folder if needed) the log at `path`; a torn last line left by a
    /// crash is closed with a newline first, so the next record starts on a line of its own.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, AuditError> {
        let path = path.into();
        let io_err = |source| AuditError::Io {
            path: path.clone(),
            source,
        };
        let parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf);
        if let Some(dir) = &parent {
            fs::create_dir_all(dir).map_err(io_err)?;
        }
        let existed = path.exists();
        let mut options = OpenOptions::new();
        options.read(true).append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&path).map_err(io_err)?;
        if !existed {
            // Make the new directory entry itself durable, not only the file's data.
            #[cfg(unix)]
            if let Some(dir) = &parent {
                File::open(dir).and_then(|d| d.sync_all()).map_err(io_err)?;
            }
        }
        close_torn_tail(&mut file).map_err(io_err)?;
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                file: Mutex::new(file),
            }),
        })
    }

    /// The file this log writes to.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Appends one record as one line in a single write, and returns only after `sync_data`:
    /// an `Ok` means the record survives a crash. Blocking; see [`AuditLog::append_async`].
    pub fn append(&self, record: &AuditRecord) -> Result<(), AuditError> {
        let mut line = serde_json::to_vec(record)?;
        line.push(b'\n');
        let mut file = self
            .inner
            .file
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // O_APPEND + one buffer: the kernel places the whole line at the end in one write.
        file.write_all(&line).map_err(|e| self.io(e))?;
        file.sync_data().map_err(|e| self.io(e))?;
        tracing::debug!(
            record_id = %record.id,
            action = record.action.as_str(),
            outcome = record.outcome.as_str(),
            "audit record appended"
        );
        Ok(())
    }

    /// [`AuditLog::append`] off the async runtime's worker threads (fsync can take milliseconds).
    pub async fn append_async(&self, record: AuditRecord) -> Result<(), AuditError> {
        let log = self.clone();
        tokio::task::spawn_blocking(move || log.append(&record))
            .await
            .map_err(|e| self.io(io::Error::other(e)))?
    }

    /// Reads every record; lines that do not parse (such as a line torn by a crash) are skipped
    /// and listed in the report, never making the earlier records unreadable.
    pub fn read_all(&self) -> Result<AuditReadReport, AuditError> {
        let bytes = fs::read(&self.inner.path).map_err(|e| self.io(e))?;
        let report = parse_lines(&bytes);
        for s in &report.skipped {
            tracing::warn!(
                line = s.line,
                torn = s.torn,
                reason = %s.reason,
                path = %self.inner.path.display(),
                "skipped an unreadable audit log line"
            );
        }
        Ok(report)
    }

    /// Reads only what was appended after byte `offset` (complete lines; a line still being
    /// written stays for the next call), so a long-running reader (the policy runner) pays for
    /// the new records, not the whole file, on each look. A file shorter than `offset` was
    /// replaced (the log is append-only otherwise): it is read from the start and the answer says
    /// so, so the caller rebuilds what it derived from the old contents.
    pub fn read_since(&self, offset: u64) -> Result<AuditTail, AuditError> {
        let mut file = File::open(&self.inner.path).map_err(|e| self.io(e))?;
        let len = file.metadata().map_err(|e| self.io(e))?.len();
        let (start, restarted) = if len < offset {
            (0, true)
        } else {
            (offset, false)
        };
        let mut bytes = Vec::new();
        if len > start {
            file.seek(SeekFrom::Start(start)).map_err(|e| self.io(e))?;
            file.read_to_end(&mut bytes).map_err(|e| self.io(e))?;
        }
        let complete = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        bytes.truncate(complete);
        let report = parse_lines(&bytes);
        for s in &report.skipped {
            tracing::warn!(
                line_after_offset = s.line,
                offset = start,
                reason = %s.reason,
                path = %self.inner.path.display(),
                "skipped an unreadable audit log line"
            );
        }
        Ok(AuditTail {
            report,
            offset: start + complete as u64,
            restarted,
        })
    }

    /// Writes every readable record as CSV (with a header) and returns what was skipped.
    pub fn export_csv<W: Write>(&self, out: W) -> Result<AuditReadReport, AuditError> {
        let report = self.read_all()?;
        write_csv(&report.records, out).map_err(AuditError::Export)?;
        Ok(report)
    }

    fn io(&self, source: io::Error) -> AuditError {
        AuditError::Io {
            path: self.inner.path.clone(),
            source,
        }
    }
}

/// If a crash cut the last record short, end that fragment with a newline so it stays a line of
/// its own (reported by `read_all`) instead of swallowing the next record.
fn close_torn_tail(file: &mut File) -> io::Result<()> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(());
    }
    file.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    if last[0] != b'\n' {
        file.write_all(b"\n")?;
        file.sync_data()?;
    }
    Ok(())
}

fn parse_lines(bytes: &[u8]) -> AuditReadReport {
    let mut report = AuditReadReport::default();
    let ends_with_newline = bytes.last() == Some(&b'\n');
    let mut lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    if ends_with_newline || bytes.is_empty() {
        // `split` yields an empty piece after the final newline.
        lines.pop();
    }
    let last_index = lines.len().saturating_sub(1);
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.strip_suffix(b"\r").unwrap_or(line);
        if trimmed.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<AuditRecord>(trimmed) {
            Ok(record) => report.records.push(record),
            Err(e) => report.skipped.push(SkippedLine {
                line: i + 1,
                torn: i == last_index && !ends_with_newline,
                reason: format!("{:?} error at column {}", e.classify(), e.column()),
            }),
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Actor, AuditAction, AuditOutcome, AuditRequest, Party};

    /// A unique scratch folder under the system temp dir, removed on drop.
    struct TempDir(PathBuf);
    impl TempDir {
        fn new(tag: &str) -> Self {
            let p = std::env::temp_dir().join(format!("bk-audit-{tag}-{}", uuid::Uuid::new_v4()));
            fs::create_dir_all(&p).expect("temp dir");
            Self(p)
        }
        fn file(&self) -> PathBuf {
            self.0.join("nested").join("audit.jsonl")
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn record(n: u64, party_name: &str) -> AuditRecord {
        AuditRecord {
            id: uuid::Uuid::new_v4(),
            time: chrono::Utc::now(),
            actor: Actor {
                user_id: "sup-1".into(),
                name: "Sam Supervisor".into(),
            },
            action: if n % 2 == 0 {
                AuditAction::Drop
            } else {
                AuditAction::Unhold
            },
            conversation_id: format!("conv-{n}"),
            participant_id: format!("part-{n}"),
            party: Party {
                name: party_name.into(),
                purpose: "customer".into(),
            },
            request: AuditRequest {
                method: "PATCH".into(),
                path: format!("/api/v2/conversations/calls/conv-{n}/participants/part-{n}"),
                body: serde_json::json!({"state": "disconnected"}),
            },
            outcome: if n % 3 == 0 {
                AuditOutcome::NotConfirmed
            } else {
                AuditOutcome::Confirmed
            },
            latency_ms: n,
            correlation_id: Some(format!("corr-{n}")),
            detail: None,
            policy: None,
        }
    }

    #[test]
    fn append_then_read_round_trips_in_order() {
        let dir = TempDir::new("roundtrip");
        let log = AuditLog::open(dir.file()).expect("open");
        let written: Vec<_> = (0..5).map(|n| record(n, "Jane Doe")).collect();
        for r in &written {
            log.append(r).expect("append");
        }
        let report = log.read_all().expect("read");
        assert_eq!(report.records, written);
        assert!(report.skipped.is_empty());

        let text = fs::read_to_string(dir.file()).expect("raw");
        assert_eq!(text.lines().count(), 5);
        let first: serde_json::Value =
            serde_json::from_str(text.lines().next().expect("line")).expect("json");
        for field in [
            "id",
            "time",
            "actor",
            "action",
            "conversationId",
            "participantId",
            "party",
            "request",
            "outcome",
            "latencyMs",
            "correlationId",
            "detail",
        ] {
            assert!(first.get(field).is_some(), "missing {field} in {first}");
        }
        assert_eq!(first["action"], "drop");
        assert_eq!(first["outcome"], "not_confirmed");
        assert_eq!(first["actor"]["userId"], "sup-1");
        assert!(
            chrono::DateTime::parse_from_rfc3339(first["time"].as_str().expect("time")).is_ok()
        );

        // Reopening appends after the existing records instead of truncating.
        drop(log);
        let log = AuditLog::open(dir.file()).expect("reopen");
        log.append(&record(9, "Late")).expect("append");
        assert_eq!(log.read_all().expect("read").records.len(), 6);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_appenders_never_interleave() {
        let dir = TempDir::new("concurrent");
        let log = AuditLog::open(dir.file()).expect("open");
        let long_name = "x".repeat(5000);
        let mut tasks = Vec::new();
        for t in 0..8u64 {
            let log = log.clone();
            let name = long_name.clone();
            tasks.push(tokio::spawn(async move {
                for n in 0..10 {
                    log.append_async(record(t * 100 + n, &name))
                        .await
                        .expect("append");
                }
            }));
        }
        for t in tasks {
            t.await.expect("task");
        }
        let report = log.read_all().expect("read");
        assert_eq!(report.records.len(), 80);
        assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    }

    #[test]
    fn csv_export_quotes_commas_quotes_and_newlines() {
        let dir = TempDir::new("csv");
        let log = AuditLog::open(dir.file()).expect("open");
        let mut r = record(1, "Doe, Jane \"JD\"\nsecond line");
        r.detail = Some("refused: \"not allowed\", sorry".into());
        r.actor.name = "=cmd|' /C calc'!A0".into();
        log.append(&r).expect("append");
        let mut out = Vec::new();
        let report = log.export_csv(&mut out).expect("export");
        assert!(report.skipped.is_empty());
        let text = String::from_utf8(out).expect("utf8");
        let header = CSV_HEADER_LINE;
        assert!(text.starts_with(header), "{text}");
        assert!(text.contains(",\"Doe, Jane \"\"JD\"\"\nsecond line\",customer,"));
        assert!(text.contains(",\"refused: \"\"not allowed\"\", sorry\"\r\n"));
        assert!(text.contains(",\"'=cmd|' /C calc'!A0\","));
        assert!(text.contains(",\"{\"\"state\"\":\"\"disconnected\"\"}\","));

        // Parse it back with an independent minimal RFC 4180 reader: 2 rows of 16 fields.
        let rows = parse_csv(&text);
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|row| row.len() == 16), "{rows:?}");
        assert_eq!(rows[1][7], "Doe, Jane \"JD\"\nsecond line");
        assert_eq!(rows[1][4], "unhold");
        assert_eq!(rows[1][12], "confirmed");
        assert_eq!(rows[1][14], "corr-1");
    }

    const CSV_HEADER_LINE: &str = "id,time,actorUserId,actorName,action,conversationId,participantId,partyName,partyPurpose,requestMethod,requestPath,requestBody,outcome,latencyMs,correlationId,detail\r\n";

    fn parse_csv(text: &str) -> Vec<Vec<String>> {
        let mut rows = Vec::new();
        let mut row = Vec::new();
        let mut field = String::new();
        let mut in_quotes = false;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match (in_quotes, c) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                (true, '"') => in_quotes = false,
                (true, c) => field.push(c),
                (false, '"') => in_quotes = true,
                (false, ',') => row.push(std::mem::take(&mut field)),
                (false, '\r') => {}
                (false, '\n') => {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                (false, c) => field.push(c),
            }
        }
        rows
    }

    #[test]
    fn torn_final_line_is_skipped_and_reported_and_next_append_is_clean() {
        let dir = TempDir::new("torn");
        let log = AuditLog::open(dir.file()).expect("open");
        let a = record(1, "A");
        let b = record(2, "B");
        log.append(&a).expect("a");
        log.append(&b).expect("b");
        drop(log);
        // Simulate a crash halfway through writing a third record.
        let full = serde_json::to_vec(&record(3, "C")).expect("json");
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.file())
            .expect("raw open");
        f.write_all(&full[..full.len() / 2]).expect("partial");
        drop(f);

        let report = parse_lines(&fs::read(dir.file()).expect("read"));
        assert_eq!(report.records, vec![a.clone(), b.clone()]);
        assert_eq!(report.skipped.len(), 1);
        assert_eq!(report.skipped[0].line, 3);
        assert!(report.skipped[0].torn);

        // Reopen after the "crash": the fragment is closed off and the next record is intact.
        let log = AuditLog::open(dir.file()).expect("reopen");
        let d = record(4, "D");
        log.append(&d).expect("d");
        let report = log.read_all().expect("read");
        assert_eq!(report.records, vec![a, b, d]);
        assert_eq!(report.skipped.len(), 1);
        assert_eq!(report.skipped[0].line, 3);
        assert!(!report.skipped[0].torn, "no longer the last line");
    }

    #[test]
    fn read_since_returns_only_new_complete_lines_and_restarts_on_a_shorter_file() {
        let dir = TempDir::new("tail");
        let log = AuditLog::open(dir.file()).expect("open");
        let first = log.read_since(0).expect("empty");
        assert!(first.report.records.is_empty());
        assert_eq!(first.offset, 0);
        let a = record(1, "A");
        let b = record(2, "B");
        log.append(&a).expect("append");
        let one = log.read_since(0).expect("read");
        assert_eq!(one.report.records, vec![a.clone()]);
        log.append(&b).expect("append");
        // A half-written line (another process mid-write) is left for the next read.
        {
            let mut f = OpenOptions::new()
                .append(true)
                .open(dir.file())
                .expect("raw");
            f.write_all(b"{\"id\":").expect("partial");
        }
        let two = log.read_since(one.offset).expect("read");
        assert_eq!(two.report.records, vec![b.clone()], "only the new record");
        assert!(two.report.skipped.is_empty());
        assert!(!two.restarted);
        assert_eq!(log.read_since(two.offset).expect("read").offset, two.offset);
        // The file replaced by a shorter one: read again from the start.
        fs::write(
            dir.file(),
            format!("{}\n", serde_json::to_string(&a).expect("json")),
        )
        .expect("rewrite");
        let again = log.read_since(two.offset).expect("read");
        assert!(again.restarted);
        assert_eq!(again.report.records, vec![a]);
    }

    #[test]
    fn garbage_lines_and_empty_file_are_tolerated() {
        assert_eq!(parse_lines(b""), AuditReadReport::default());
        let report = parse_lines(b"\n\nnot json\n{\"id\":1}\n");
        assert!(report.records.is_empty());
        assert_eq!(report.skipped.len(), 2);
        assert!(report.skipped.iter().all(|s| !s.torn));
        assert_eq!(report.skipped[0].line, 3);
    }

    #[test]
    fn unwritable_path_is_a_clear_error() {
        let dir = TempDir::new("blocked");
        // A file where the folder should be.
        let blocker = dir.0.join("nested");
        fs::write(&blocker, b"x").expect("blocker");
        let err = AuditLog::open(dir.file()).expect_err("cannot create folder");
        assert!(err.to_string().contains("audit.jsonl"), "{err}");
    }
}
