//! `policy` runs of the built binary that need no session: `policy check`.

mod common;

use common::cli;

use serde_json::json;

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

/// The (participant, action) pairs of `policy run --json` output, one object per line.
fn decisions(out: &common::Output) -> Vec<serde_json::Value> {
    out.stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn legs_with(decisions: &[serde_json::Value], action: &str) -> Vec<(String, String)> {
    let mut legs: Vec<(String, String)> = decisions
        .iter()
        .filter(|d| d["action"] == action)
        .map(|d| {
            (
                d["conversationId"].as_str().expect("c").to_owned(),
                d["participantId"].as_str().expect("p").to_owned(),
            )
        })
        .collect();
    legs.sort();
    legs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real OS keyring: scripts/test.sh runs it in a throwaway keyring session"]
async fn keyring_policy_run_dry_run_sends_nothing_and_enforce_drops_exactly_those() {
    let mut h = common::Harness::start("policy").await;
    h.login(None).await;
    let file = h.data.path().join("policy.toml");
    std::fs::write(
        &file,
        "mode = \"enforce\"\nmax_drops_per_minute = 100\n\n[[rule]]\nid = \"long-call\"\n\
         when = \"on_call\"\nfor = \"1s\"\n",
    )
    .expect("write");
    let path = file.to_str().expect("utf-8");
    let patches = |h: &common::Harness| {
        h.emu
            .world()
            .requests(0)
            .into_iter()
            .filter(|r| r.method == "PATCH")
            .count()
    };

    let dry = h
        .run(&[
            "--json",
            "policy",
            "run",
            path,
            "--once",
            "--dry-run",
            "--queue",
            "Support",
        ])
        .await;
    dry.expect_code(0);
    let planned = decisions(&dry);
    let would = legs_with(&planned, "would_drop");
    assert!(
        !would.is_empty(),
        "the demo org's Support calls are over 1 s: {dry:?}"
    );
    assert!(
        planned
            .iter()
            .all(|d| d["rule"] == "long-call" && d["reason"].as_str().is_some()),
        "{planned:?}"
    );
    assert_eq!(patches(&h), 0, "a dry run sends no disconnect");
    // Customers are never found by a rule without `customer`; agents a customer needs are skipped.
    for d in planned.iter().filter(|d| d["action"] == "skipped") {
        assert!(d["skippedBecause"].as_str().is_some(), "{d}");
    }

    let enforce = h
        .run(&[
            "--json", "policy", "run", path, "--once", "--queue", "Support",
        ])
        .await;
    enforce.expect_code(0);
    let done = decisions(&enforce);
    assert_eq!(
        legs_with(&done, "dropped"),
        would,
        "enforce drops exactly what the dry run listed"
    );
    assert!(
        done.iter()
            .filter(|d| d["action"] == "dropped")
            .all(|d| d["outcome"] == "confirmed"),
        "{done:?}"
    );
    assert_eq!(
        patches(&h),
        would.len(),
        "one PATCH per dropped leg, nothing else"
    );
    for (c, p) in &would {
        let truth = h.truth(c);
        let state = truth["participants"]
            .as_array()
            .expect("participants")
            .iter()
            .find(|x| x["id"] == p.as_str())
            .and_then(|x| x["state"].as_str())
            .map(str::to_owned);
        assert_eq!(state.as_deref(), Some("disconnected"), "{c}/{p}");
    }
    // Every decision is in the audit log with its rule id.
    let audit = std::fs::read_to_string(h.audit_file()).expect("audit");
    assert!(audit.contains("\"rule\":\"long-call\""), "{audit}");
    assert!(audit.contains("\"decision\":\"would_drop\""), "{audit}");
    assert!(audit.contains("\"decision\":\"dropped\""), "{audit}");

    // Run again: the dropped legs are gone; nothing is dropped twice.
    let again = h
        .run(&[
            "--json", "policy", "run", path, "--once", "--queue", "Support",
        ])
        .await;
    again.expect_code(0);
    let twice: Vec<_> = legs_with(&decisions(&again), "dropped")
        .into_iter()
        .filter(|l| would.contains(l))
        .collect();
    assert!(twice.is_empty(), "{again:?}");
}

#[tokio::test]
async fn run_refuses_enforce_mode_when_the_administrator_turned_it_off() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("policy.toml");
    std::fs::write(&file, VALID).expect("write");
    let config = dir.path().join("system-config.toml");
    std::fs::write(&config, "allow_policy_enforcement = false\n").expect("config");
    let path = file.to_str().expect("utf-8");
    let args = ["policy", "run", path, "--once", "--queue", "Support"];

    let mut enforce = cli(dir.path(), &args);
    enforce
        .env("BRIDGEKEEPER_SYSTEM_CONFIG", &config)
        .env("BRIDGEKEEPER_USER_CONFIG", "");
    let out = common::run_to_end(enforce).await;
    out.expect_code(1);
    assert!(
        out.stderr
            .contains("enforce mode is turned off by your administrator"),
        "{out:?}"
    );
    assert!(out.stderr.contains("nothing was sent"), "{out:?}");

    // A dry run is always allowed: it gets past that check (and stops at the missing sign-in).
    let mut dry = cli(dir.path(), &[&args[..], &["--dry-run"]].concat());
    dry.env("BRIDGEKEEPER_SYSTEM_CONFIG", &config)
        .env("BRIDGEKEEPER_USER_CONFIG", "");
    let out = common::run_to_end(dry).await;
    assert!(
        !out.stderr.contains("turned off by your administrator"),
        "{out:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real OS keyring: scripts/test.sh runs it in a throwaway keyring session"]
async fn keyring_policy_run_once_says_why_it_cannot_judge_silence() {
    let mut h = common::Harness::start("policy-silent").await;
    h.login(None).await;
    let file = h.data.path().join("policy.toml");
    std::fs::write(
        &file,
        "[[rule]]\nid = \"quiet\"\nwhen = \"silent\"\nfor = \"1s\"\npurposes = [\"customer\"]\n",
    )
    .expect("write");
    let path = file.to_str().expect("utf-8");
    let out = h
        .run(&[
            "--json",
            "policy",
            "run",
            path,
            "--once",
            "--dry-run",
            "--queue",
            "Support",
        ])
        .await;
    out.expect_code(0);
    assert!(
        out.stderr.contains(
            "rule \"quiet\": unavailable: a single evaluation (--once) cannot judge silence"
        ),
        "{out:?}"
    );
    assert!(
        decisions(&out).is_empty(),
        "never \"silent\" without the feed: {out:?}"
    );
}
