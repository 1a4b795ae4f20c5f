//! The audit log survives its process being killed mid-write: a child process appends large records
//! as fast as it can and reports each one after `append` returns (fsync'ed); the parent SIGKILLs it
//! at varying moments, several times over the same file (each new writer reopens it after a crash).
//! Afterwards every acknowledged record is on disk, intact and in order, and at most one line per
//! crash is unreadable.
//!
//! The child is this same test binary, re-run on `child_writer_entry_point` with the log path in an
//! environment variable (without it, that entry point does nothing).

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use supervisor_core::audit::{
    Actor, AuditAction, AuditLog, AuditOutcome, AuditRecord, AuditRequest, Party,
};

const CHILD_ENV: &str = "BK_AUDIT_KILL_CHILD_LOG";
const ROUND_ENV: &str = "BK_AUDIT_KILL_ROUND";
const CRASHES: u64 = 6;

/// A detail long enough that writing one record spans many pages (a wide window for the kill).
fn detail(round: u64, n: u64) -> String {
    let unit = format!("round {round} record {n};");
    unit.repeat(1 + (((round * 7919 + n * 104_729) % 40_000) as usize) / unit.len())
}

fn record(round: u64, n: u64) -> AuditRecord {
    AuditRecord {
        id: uuid::Uuid::new_v4(),
        time: chrono::Utc::now(),
        actor: Actor {
            user_id: "sup-1".into(),
            name: "Sam Supervisor".into(),
        },
        action: AuditAction::Drop,
        conversation_id: format!("conv-{round}"),
        participant_id: format!("part-{round}-{n}"),
        party: Party {
            name: format!("Party {round}/{n}"),
            purpose: "external".into(),
        },
        request: AuditRequest {
            method: "PATCH".into(),
            path: format!("/api/v2/conversations/calls/conv-{round}/participants/part-{round}-{n}"),
            body: serde_json::json!({ "state": "disconnected" }),
        },
        outcome: AuditOutcome::Confirmed,
        latency_ms: n,
        correlation_id: Some(format!("corr-{round}-{n}")),
        detail: Some(detail(round, n)),
        policy: None,
    }
}

/// Entry point of the writer child (a no-op when run as a normal test).
#[test]
fn child_writer_entry_point() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let round: u64 = std::env::var(ROUND_ENV)
        .ok()
        .and_then(|r| r.parse().ok())
        .expect("round number");
    let log = AuditLog::open(PathBuf::from(path)).expect("open the audit log");
    let stdout = std::io::stdout();
    for n in 0.. {
        let r = record(round, n);
        log.append(&r).expect("append");
        // Only now is the record acknowledged, as the app returns the outcome only now.
        use std::io::Write;
        let mut out = stdout.lock();
        writeln!(out, "ACK {}", r.participant_id).expect("stdout");
        out.flush().expect("flush");
    }
}

/// Runs one writer and kills it after `after`; returns the participant ids it acknowledged.
fn crash_one_writer(path: &Path, round: u64, after: Duration) -> Vec<String> {
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "child_writer_entry_point",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, path)
        .env(ROUND_ENV, round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("writer child starts");
    let stdout = child.stdout.take().expect("child stdout");
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| l.strip_prefix("ACK ").map(str::to_owned))
            .collect::<Vec<_>>()
    });
    // Wait for the first acknowledgement (bounded), so every crash interrupts real writing.
    let started = Instant::now();
    while std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the writer wrote nothing in 30 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(after);
    child.kill().expect("SIGKILL the writer");
    let _ = child.wait();
    reader.join().expect("reader thread")
}

#[test]
fn acknowledged_records_survive_sigkill_mid_write() {
    let dir = std::env::temp_dir().join(format!(
        "bk-audit-kill-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).expect("scratch");
    let path = dir.join("audit.jsonl");

    let mut acked: Vec<Vec<String>> = Vec::new();
    for round in 0..CRASHES {
        // Kill moments spread over 30..~200 ms after the first bytes land.
        let after = Duration::from_millis(30 + (round * 37) % 170);
        acked.push(crash_one_writer(&path, round, after));
    }
    assert!(
        acked.iter().all(|a| !a.is_empty()),
        "every writer acknowledged something before it was killed: {:?}",
        acked.iter().map(Vec::len).collect::<Vec<_>>()
    );

    let report = AuditLog::open(&path)
        .expect("reopen after the crashes")
        .read_all()
        .expect("read");
    let on_disk: Vec<&AuditRecord> = report.records.iter().collect();
    let ids: HashSet<&str> = on_disk.iter().map(|r| r.participant_id.as_str()).collect();
    assert_eq!(ids.len(), on_disk.len(), "no record appears twice");
    for (round, round_acks) in acked.iter().enumerate() {
        for id in round_acks {
            assert!(
                ids.contains(id.as_str()),
                "acknowledged record {id} (round {round}) is missing after the crash"
            );
        }
    }
    // Every readable record is whole: its detail is exactly what was written for it, and each
    // writer's records are in the order it wrote them.
    let mut last: Option<(u64, u64)> = None;
    for r in &on_disk {
        let (round, n) = r
            .participant_id
            .strip_prefix("part-")
            .and_then(|s| s.split_once('-'))
            .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
            .expect("participant id written by this test");
        assert_eq!(
            r.detail.as_deref(),
            Some(detail(round, n).as_str()),
            "record {round}/{n} is damaged"
        );
        if let Some(prev) = last {
            assert!(
                (round, n) > prev,
                "records out of order: {prev:?} then {round}/{n}"
            );
        }
        last = Some((round, n));
    }
    assert!(
        report.skipped.len() as u64 <= CRASHES,
        "at most one unreadable (torn) line per crash, got {:?}",
        report.skipped
    );
    let total: usize = acked.iter().map(Vec::len).sum();
    eprintln!(
        "audit_kill: {CRASHES} crashes, {total} acknowledged, {} on disk, {} torn lines skipped",
        on_disk.len(),
        report.skipped.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
