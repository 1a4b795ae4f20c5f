//! Runs of the built binary that need neither the keyring nor a session: input checks, the audit
//! log viewer and export.

mod common;

use common::cli;

use chrono::Utc;
use serde_json::json;
use supervisor_core::audit::{
    Actor, AuditAction, AuditLog, AuditOutcome, AuditRecord, AuditRequest, Party,
};

fn record(action: AuditAction, outcome: AuditOutcome, party: &str) -> AuditRecord {
    AuditRecord {
        id: uuid::Uuid::new_v4(),
        time: Utc::now(),
        actor: Actor {
            user_id: "u-1".into(),
            name: "Sam Supervisor".into(),
        },
        action,
        conversation_id: "conv-1".into(),
        participant_id: "part-1".into(),
        party: Party {
            name: party.into(),
            purpose: "external".into(),
        },
        request: AuditRequest {
            method: "PATCH".into(),
            path: "/api/v2/conversations/calls/conv-1/participants/part-1".into(),
            body: json!({"state": "disconnected"}),
        },
        outcome,
        latency_ms: 420,
        correlation_id: Some("corr-9".into()),
        detail: None,
        policy: None,
    }
}

#[tokio::test]
async fn audit_lists_exports_csv_and_json() {
    let dir = tempfile::tempdir().expect("dir");
    let out = common::run_to_end(cli(dir.path(), &["audit"])).await;
    out.expect_code(0);
    assert!(out.stdout.contains("No audit records yet"), "{out:?}");
    assert!(
        !dir.path().join("audit.jsonl").exists(),
        "reading creates nothing"
    );

    let log = AuditLog::open(dir.path().join("audit.jsonl")).expect("open");
    log.append(&record(
        AuditAction::Drop,
        AuditOutcome::Confirmed,
        "=Northwind",
    ))
    .expect("append");
    log.append(&record(
        AuditAction::Mute,
        AuditOutcome::Refused,
        "Jane Doe",
    ))
    .expect("append");

    let csv = common::run_to_end(cli(dir.path(), &["audit", "--csv"])).await;
    csv.expect_code(0);
    let lines: Vec<&str> = csv.stdout.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{csv:?}");
    assert!(lines[0].starts_with("id,time,actorUserId"), "{}", lines[0]);
    assert!(
        lines[1].contains(",drop,") && lines[1].contains(",confirmed,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains("'=Northwind"),
        "formula-safe: {}",
        lines[1]
    );
    assert!(
        lines[2].contains(",mute,") && lines[2].contains(",refused,"),
        "{}",
        lines[2]
    );

    let js = common::run_to_end(cli(dir.path(), &["audit", "--json"])).await;
    js.expect_code(0);
    let v = js.json();
    assert_eq!(v["records"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["records"][0]["outcome"], json!("confirmed"));
    assert_eq!(v["skippedLines"], json!(0));

    let table = common::run_to_end(cli(dir.path(), &["audit"])).await;
    table.expect_code(0);
    let rows: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(rows.len(), 3, "{table:?}");
    assert!(rows[0].starts_with("TIME"), "{table:?}");
    let outcome_col = rows[0].find("OUTCOME").expect("column");
    assert!(rows[1][outcome_col..].starts_with("confirmed"), "{table:?}");
    assert!(rows[2][outcome_col..].starts_with("refused"), "{table:?}");

    // --audit-file wins over the data folder.
    let other = dir.path().join("elsewhere.jsonl");
    let out = common::run_to_end(cli(
        dir.path(),
        &[
            "audit",
            "--json",
            "--audit-file",
            other.to_str().expect("utf-8"),
        ],
    ))
    .await;
    out.expect_code(0);
    assert_eq!(out.json()["records"], json!([]));

    let both = common::run_to_end(cli(dir.path(), &["audit", "--csv", "--json"])).await;
    assert_eq!(
        both.code, 1,
        "usage errors exit 1 (2 means refused): {both:?}"
    );
    assert!(both.stderr.contains("cannot be used with"), "{both:?}");
    let help = common::run_to_end(cli(dir.path(), &["--help"])).await;
    help.expect_code(0);
    assert!(help.stdout.contains("Exit codes"), "{help:?}");
}

#[tokio::test]
async fn bad_environments_and_missing_sessions_fail_with_one_line() {
    let dir = tempfile::tempdir().expect("dir");
    let remote = common::run_to_end(cli(
        dir.path(),
        &["--api-base", "http://10.0.0.1:8080", "whoami"],
    ))
    .await;
    remote.expect_code(1);
    assert!(remote.stderr.contains("local emulator"), "{remote:?}");
    assert_eq!(remote.stderr.trim().lines().count(), 1, "{remote:?}");

    let region = common::run_to_end(cli(dir.path(), &["--region", "mars_north_1", "queues"])).await;
    region.expect_code(1);
    assert!(
        region.stderr.contains("unknown Genesys Cloud region"),
        "{region:?}"
    );

    let nothing = common::run_to_end(cli(dir.path(), &["whoami"])).await;
    nothing.expect_code(1);
    assert!(nothing.stderr.contains("not signed in"), "{nothing:?}");

    let login = common::run_to_end(cli(dir.path(), &["login", "--no-browser"])).await;
    login.expect_code(1);
    assert!(login.stderr.contains("--region"), "{login:?}");
    let login = common::run_to_end(cli(
        dir.path(),
        &["--region", "eu_west_1", "login", "--no-browser"],
    ))
    .await;
    login.expect_code(1);
    assert!(
        login.stderr.contains("--client-id is required"),
        "{login:?}"
    );

    let secret = common::run_to_end(cli(
        dir.path(),
        &[
            "--region",
            "eu_west_1",
            "--client-id",
            "x",
            "login",
            "--no-browser",
            "--client-secret-stdin",
        ],
    ))
    .await;
    secret.expect_code(1);
    assert!(secret.stderr.contains("stdin gave no secret"), "{secret:?}");
}

#[tokio::test]
async fn drop_without_yes_on_a_pipe_is_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().expect("dir");
    let out = common::run_to_end(cli(
        dir.path(),
        &[
            "--api-base",
            "http://127.0.0.1:9",
            "drop",
            "conv-1",
            "part-1",
        ],
    ))
    .await;
    out.expect_code(1);
    assert!(out.stderr.contains("--yes"), "{out:?}");
    assert!(out.stderr.contains("nothing was sent"), "{out:?}");
    assert_eq!(out.stderr.trim().lines().count(), 1, "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");

    let bad = common::run_to_end(cli(
        dir.path(),
        &[
            "--api-base",
            "http://127.0.0.1:9",
            "mute",
            "conv/../x",
            "part-1",
        ],
    ))
    .await;
    bad.expect_code(1);
    assert!(bad.stderr.contains("not a conversation id"), "{bad:?}");
}

#[tokio::test]
async fn the_configuration_file_gives_the_region_and_client_id() {
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "region = \"eu_west_1\"\nclient_id = \"fleet-client\"\n",
    )
    .expect("config written");
    let mut cmd = cli(
        dir.path(),
        &[
            "login",
            "--no-browser",
            "--redirect-port",
            "0",
            "--timeout",
            "1",
        ],
    );
    cmd.env("BRIDGEKEEPER_SYSTEM_CONFIG", &config);
    let login = common::run_to_end(cmd).await;
    // No flags: the sign-in starts at the configured region with the configured client, then
    // times out because no browser answers.
    assert!(
        login
            .stdout
            .contains("https://login.mypurecloud.ie/oauth/authorize"),
        "{login:?}"
    );
    assert!(login.stdout.contains("client_id=fleet-client"), "{login:?}");
    assert_ne!(login.code, 0, "{login:?}");
}
