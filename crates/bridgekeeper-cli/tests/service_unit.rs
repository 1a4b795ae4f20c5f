//! The systemd unit in `packaging/systemd`: the keys a service needs, a command line this CLI
//! accepts, and (where systemd is installed) `systemd-analyze verify` without a warning.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;

use tokio::process::Command;

fn unit_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../packaging/systemd/bridgekeeper-policy.service")
}

/// `section -> key -> values` (a key may repeat, as `SystemCallFilter` does).
fn parse(text: &str) -> HashMap<String, HashMap<String, Vec<String>>> {
    let mut out: HashMap<String, HashMap<String, Vec<String>>> = HashMap::new();
    let mut section = String::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_owned();
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("not key=value: {line}"));
        out.entry(section.clone())
            .or_default()
            .entry(key.trim().to_owned())
            .or_default()
            .push(value.trim().to_owned());
    }
    out
}

#[tokio::test]
async fn the_unit_runs_policy_continuously_hardened_and_with_a_command_line_the_cli_accepts() {
    let text = std::fs::read_to_string(unit_path()).expect("the unit file");
    let unit = parse(&text);
    let service = &unit["Service"];
    let one = |key: &str| -> &str {
        let values = service
            .get(key)
            .unwrap_or_else(|| panic!("[Service] has no {key}"));
        assert_eq!(values.len(), 1, "{key} once: {values:?}");
        &values[0]
    };
    assert!(
        !one("User").is_empty() && one("User") != "root",
        "a dedicated user"
    );
    assert_eq!(one("Restart"), "on-failure");
    // "Sign in again" (exit 4, `Exit::SignInAgain`) is not restarted into every 10 s; the run
    // that exits with it: `keyring_a_revoked_session_ends_the_continuous_run_with_exit_4`.
    assert_eq!(one("RestartPreventExitStatus"), "4");
    assert_eq!(one("KillSignal"), "SIGTERM");
    let stop = one("TimeoutStopSec");
    let secs: u64 = stop.trim_end_matches('s').parse().expect("seconds");
    assert!(
        secs >= 15,
        "room for a drop's verification after SIGTERM: {stop}"
    );
    for (key, value) in [
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("UMask", "0077"),
        ("StateDirectory", "bridgekeeper"),
    ] {
        assert_eq!(one(key), value, "{key}");
    }
    assert_eq!(unit["Install"]["WantedBy"], vec!["multi-user.target"]);

    let exec: Vec<&str> = one("ExecStart").split_whitespace().collect();
    assert_eq!(exec[0], "/usr/bin/bridgekeeper-cli");
    let at = exec
        .windows(2)
        .position(|w| w == ["policy", "run"])
        .expect("policy run");
    assert!(!exec.contains(&"--once"), "a service runs until stopped");
    let metrics = exec
        .iter()
        .position(|a| *a == "--metrics")
        .map(|i| exec[i + 1])
        .expect("--metrics");
    assert!(
        metrics.starts_with("127.0.0.1:"),
        "loopback only: {metrics}"
    );

    // The same arguments, with a scratch data folder and a policy file that does not exist, get
    // past the CLI's parsing and stop at reading the file: every flag in the unit is accepted.
    let dir = tempfile::tempdir().expect("dir");
    let missing = dir.path().join("policy.toml");
    let args: Vec<String> = exec[1..]
        .iter()
        .enumerate()
        .map(|(i, a)| match i + 1 {
            n if n == at + 2 => missing.display().to_string(),
            n if exec[n - 1] == "--data-dir" => dir.path().display().to_string(),
            _ => (*a).to_owned(),
        })
        .collect();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bridgekeeper-cli"));
    cmd.args(&args)
        .env_remove("BRIDGEKEEPER_DATA_DIR")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let out = common::run_to_end(cmd).await;
    out.expect_code(1);
    assert!(
        out.stderr.contains("cannot read the policy file"),
        "{args:?}: {out:?}"
    );
}

#[test]
#[ignore = "needs systemd-analyze (systemd); scripts/test.sh runs it where systemd is installed"]
fn systemd_analyze_verify_accepts_the_unit_without_a_warning() {
    let text = std::fs::read_to_string(unit_path()).expect("the unit file");
    // verify checks that ExecStart's program exists: point it at the binary just built.
    let text = text.replace(
        "/usr/bin/bridgekeeper-cli",
        env!("CARGO_BIN_EXE_bridgekeeper-cli"),
    );
    let dir = tempfile::tempdir().expect("dir");
    let copy = dir.path().join("bridgekeeper-policy.service");
    std::fs::write(&copy, text).expect("copy");
    let out = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(&copy)
        .output()
        .expect("systemd-analyze runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // It exits 0 on unknown keys and bad values ("ignoring"): any word from it is a finding.
    assert!(stderr.trim().is_empty(), "{stderr}");
}
