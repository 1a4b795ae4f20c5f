//! `policy` runs of the built binary that need no session: `policy check`.

mod common;

use std::process::Stdio;

use serde_json::json;
use tokio::process::Command;

fn cli(data: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bridgekeeper-cli"));
    cmd.args(args)
        .env("BRIDGEKEEPER_DATA_DIR", data)
        .env_remove("BRIDGEKEEPER_REGION")
        .env_remove("BRIDGEKEEPER_API_BASE")
        .env_remove("BRIDGEKEEPER_CLIENT_ID")
        .env_remove("BRIDGEKEEPER_AUDIT_FILE")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

const VALID: &str = r#"mode = "enforce"
max_drops_per_minute = 3

[[rule]]
id = "held-too-long"
when = "held"
for = "10m"
purposes = ["agent", "external"]
queues = ["Support"]
exclude_users = ["lead@example.com"]

[[rule]]
id = "lonely"
when = "alone"
for = "90s"
"#;

#[tokio::test]
async fn check_explains_a_valid_file_in_words() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("policy.toml");
    std::fs::write(&file, VALID).expect("write");
    let path = file.to_str().expect("utf-8");

    let out = common::run_to_end(cli(dir.path(), &["policy", "check", path])).await;
    out.expect_code(0);
    assert!(out.stdout.contains("valid, 2 rules"), "{out:?}");
    assert!(out.stdout.contains("Mode: enforce"), "{out:?}");
    assert!(out.stdout.contains("At most 3 drops"), "{out:?}");
    assert!(
        out.stdout.contains("on hold for more than 10 min"),
        "{out:?}"
    );
    assert!(
        out.stdout
            .contains("only connected party on its call for more than 1 min 30 s"),
        "{out:?}"
    );
    assert!(
        !dir.path().join("audit.jsonl").exists(),
        "a check writes nothing"
    );

    let js = common::run_to_end(cli(dir.path(), &["--json", "policy", "check", path])).await;
    js.expect_code(0);
    let v = js.json();
    assert_eq!(v["valid"], json!(true));
    assert_eq!(v["mode"], json!("enforce"));
    assert_eq!(v["rules"][0]["id"], json!("held-too-long"));
    assert_eq!(v["rules"][0]["forSeconds"], json!(600));
    assert_eq!(v["rules"][1]["line"], json!(12));
    assert!(
        !v["rules"][1]["purposes"]
            .as_array()
            .expect("purposes")
            .contains(&json!("customer")),
        "{v}"
    );
}

#[tokio::test]
async fn check_names_the_line_and_field_of_an_error_and_exits_1() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("policy.toml");
    std::fs::write(
        &file,
        VALID.replace("for = \"90s\"", "for = \"90 seconds\""),
    )
    .expect("write");
    let path = file.to_str().expect("utf-8");

    let out = common::run_to_end(cli(dir.path(), &["policy", "check", path])).await;
    out.expect_code(1);
    assert!(
        out.stderr.contains("line 15, field `rule[2].for`"),
        "{out:?}"
    );
    assert!(out.stderr.contains("90s, 10m or 1h"), "{out:?}");

    std::fs::write(&file, VALID.replace("exclude_users", "exclude_user")).expect("write");
    let js = common::run_to_end(cli(dir.path(), &["--json", "policy", "check", path])).await;
    js.expect_code(1);
    let v = js.json();
    assert_eq!(v["valid"], json!(false));
    assert_eq!(v["line"], json!(10));
    assert_eq!(v["field"], json!("rule[1].exclude_user"));

    let missing = dir.path().join("nope.toml");
    let out = common::run_to_end(cli(
        dir.path(),
        &["policy", "check", missing.to_str().expect("utf-8")],
    ))
    .await;
    out.expect_code(1);
    assert!(
        out.stderr.contains("cannot read the policy file"),
        "{out:?}"
    );
}
