//! calls, drop, mute/unmute, hold, watch and audit through the built binary against the demo org,
//! with the session in the real OS keyring (ignored by a plain `cargo test`; scripts/test.sh runs them).
//!
//! One file (over 600 lines) because every test shares one keyring-backed sign-in and the built binary.

mod common;

use genesys_emulator::FaultSpec;
use std::time::Duration;

use common::{Harness, Output, RUN_TIMEOUT};
use genesys_emulator::agent_email;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

type Lines = tokio::io::Lines<BufReader<tokio::process::ChildStdout>>;

/// The next stdout line of a running CLI, as JSON.
async fn next_json(lines: &mut Lines) -> Value {
    let line = tokio::time::timeout(RUN_TIMEOUT, lines.next_line())
        .await
        .expect("the CLI prints in time")
        .expect("read")
        .expect("the CLI is still running");
    serde_json::from_str::<Value>(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

/// `calls --json` for one queue.
async fn calls(h: &Harness, queue: &str) -> Value {
    let out = h.run(&["calls", "--queue", queue, "--json"]).await;
    out.expect_code(0);
    out.json()
}

/// The conversation of `calls` output whose live parties include every given name.
fn conversation_with<'a>(calls: &'a Value, names: &[&str]) -> &'a Value {
    calls["conversations"]
        .as_array()
        .expect("conversations")
        .iter()
        .find(|c| {
            names.iter().all(|n| {
                c["parties"]
                    .as_array()
                    .expect("parties")
                    .iter()
                    .any(|p| p["leg"] == "live" && p["name"] == *n)
            })
        })
        .unwrap_or_else(|| panic!("no conversation with {names:?} in {calls}"))
}

fn party<'a>(conversation: &'a Value, name: &str) -> &'a Value {
    conversation["parties"]
        .as_array()
        .expect("parties")
        .iter()
        .find(|p| p["name"] == name && p["leg"] == "live")
        .unwrap_or_else(|| panic!("no live {name} in {conversation}"))
}

fn user_name(h: &Harness, email: &str) -> String {
    h.emu
        .world()
        .users()
        .into_iter()
        .find(|u| u.email == email)
        .map(|u| u.name)
        .expect("user")
}

/// The leg's state in the emulator's truth.
fn truth_state(h: &Harness, conversation: &str, participant: &str) -> String {
    let truth = h.truth(conversation);
    truth["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .find(|p| p["id"] == participant)
        .and_then(|p| p["state"].as_str())
        .expect("state")
        .to_owned()
}

fn assert_outcome(out: &Output, code: i32, outcome: &str) -> Value {
    out.expect_code(code);
    let v = out.json();
    assert_eq!(v["outcome"], json!(outcome), "{out:?}");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real OS keyring: scripts/test.sh runs it in a throwaway keyring session"]
async fn keyring_calls_drop_mute_hold_and_audit() {
    let mut h = Harness::start("actions").await;
    h.login(None).await;
    let agent1 = user_name(&h, &agent_email(1));
    let agent2 = user_name(&h, &agent_email(2));
    let agent5 = user_name(&h, &agent_email(5));
    let agent7 = user_name(&h, &agent_email(7));
    let agent12 = user_name(&h, &agent_email(12));

    // --- calls: live parties, ended legs and stale duplicates marked -----------------------
    let support = calls(&h, "Support").await;
    assert_eq!(support["queues"][0]["name"], json!("Support"));
    let conference = conversation_with(&support, &[&agent1, &agent2]).clone();
    assert_eq!(conference["conference"], json!(true));
    let conv = conference["conversationId"]
        .as_str()
        .expect("id")
        .to_owned();
    let consultant = party(&conference, &agent2).clone();
    assert_eq!(consultant["muted"], json!(true));
    assert_eq!(consultant["actionable"], json!(true));
    let acd_ended = conference["parties"]
        .as_array()
        .expect("parties")
        .iter()
        .any(|p| p["purpose"] == "acd" && p["leg"] == "ended" && p["actionable"] == false);
    assert!(
        acd_ended,
        "the answered ACD leg is shown as ended: {conference}"
    );
    let stale = support["conversations"]
        .as_array()
        .expect("conversations")
        .iter()
        .chain(
            calls(&h, "Billing").await["conversations"]
                .as_array()
                .expect("c"),
        )
        .chain(
            calls(&h, "Sales").await["conversations"]
                .as_array()
                .expect("c"),
        )
        .chain(
            calls(&h, "Retention").await["conversations"]
                .as_array()
                .expect("c"),
        )
        .flat_map(|c| c["parties"].as_array().cloned().unwrap_or_default())
        .any(|p| p["name"] == json!(agent12) && p["leg"] == "stale_duplicate");
    assert!(stale, "agent12's older leg is marked as a stale duplicate");
    let human = h.run(&["calls", "--queue", "Support"]).await;
    human.expect_code(0);
    assert!(human.stdout.contains("active call"), "{human:?}");
    assert!(human.stdout.contains("ended (not actionable)"), "{human:?}");
    assert!(human.stdout.contains(&conv), "{human:?}");
    let unknown = h.run(&["calls", "--queue", "No Such Queue"]).await;
    unknown.expect_code(1);
    assert!(unknown.stderr.contains("no queue named"), "{unknown:?}");

    // --- drop: confirmed, the others stay --------------------------------------------------
    let consultant_id = consultant["participantId"]
        .as_str()
        .expect("pid")
        .to_owned();
    let out = h
        .run(&[
            "drop",
            &conv,
            &consultant_id,
            "--yes",
            "--json",
            "--wait",
            "8",
        ])
        .await;
    let v = assert_outcome(&out, 0, "confirmed");
    assert_eq!(v["conversationId"], json!(conv));
    assert_eq!(v["participantId"], json!(consultant_id));
    assert!(v["latencyMs"].as_u64().is_some(), "{v}");
    assert_eq!(v["requestSent"], json!(true));
    assert_eq!(
        v["confirmedVia"],
        json!("event"),
        "the socket was live before the PATCH: {v}"
    );
    assert_eq!(v["callEnded"], json!(false));
    assert!(v["correlationId"].as_str().is_some(), "{v}");
    let remaining: Vec<&str> = v["plan"]["remaining"]
        .as_array()
        .expect("remaining")
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    assert!(remaining.contains(&agent1.as_str()), "{v}");
    assert_eq!(remaining.len(), 2, "customer and agent1 remain: {v}");
    assert_eq!(truth_state(&h, &conv, &consultant_id), "disconnected");
    let agent1_id = party(&conference, &agent1)["participantId"]
        .as_str()
        .expect("pid")
        .to_owned();
    assert_eq!(truth_state(&h, &conv, &agent1_id), "connected");
    let patches = h
        .emu
        .world()
        .requests(0)
        .into_iter()
        .filter(|r| r.method == "PATCH" && r.path.ends_with(&consultant_id))
        .count();
    assert_eq!(patches, 1, "exactly one PATCH per drop");

    // Dropping the same leg again: already gone, nothing sent, exit 0.
    let again = h
        .run(&["drop", &conv, &consultant_id, "--yes", "--json"])
        .await;
    let v = assert_outcome(&again, 0, "already_gone");
    assert_eq!(v["requestSent"], json!(false));

    // --- mute / unmute --------------------------------------------------------------------
    let out = h.run(&["mute", &conv, &agent1_id, "--json"]).await;
    assert_outcome(&out, 0, "confirmed");
    assert_eq!(
        h.truth(&conv)["participants"]
            .as_array()
            .expect("p")
            .iter()
            .find(|p| p["id"] == json!(agent1_id))
            .expect("agent1")["muted"],
        json!(true)
    );
    let out = h.run(&["unmute", &conv, &agent1_id]).await;
    out.expect_code(0);
    assert!(out.stdout.starts_with("CONFIRMED unmute"), "{out:?}");

    // --- hold on a ringing leg: the platform refuses, exit 2 with its code -----------------
    let billing = calls(&h, "Billing").await;
    let ringing = conversation_with(&billing, &[&agent7]);
    let ringing_conv = ringing["conversationId"].as_str().expect("id");
    let ringing_agent = party(ringing, &agent7);
    assert_eq!(ringing_agent["state"], json!("alerting"));
    let ringing_id = ringing_agent["participantId"]
        .as_str()
        .expect("pid")
        .to_owned();
    let out = h
        .run(&[
            "hold",
            ringing_conv,
            ringing_agent["participantId"].as_str().expect("pid"),
            "--json",
        ])
        .await;
    let v = assert_outcome(&out, 2, "refused");
    assert_eq!(v["code"], json!("conversation.error.hold.alerting"));
    assert_eq!(v["status"], json!(400));
    assert!(v["correlationId"].as_str().is_some(), "{v}");
    assert_eq!(out.stderr.trim().lines().count(), 1, "{out:?}");
    assert!(out.stderr.contains("refused"), "{out:?}");

    // --- a phantom leg: accepted but never leaves, exit 3 ----------------------------------
    let billing_conf = conversation_with(&billing, &[&agent5, "Northwind Insurance"]);
    let billing_conv = billing_conf["conversationId"]
        .as_str()
        .expect("id")
        .to_owned();
    let external = party(billing_conf, "Northwind Insurance")["participantId"]
        .as_str()
        .expect("pid")
        .to_owned();
    h.fault(&FaultSpec::PhantomDrop {
        participant_id: external.to_string(),
    })
    .await;
    let out = h
        .run(&[
            "drop",
            &billing_conv,
            &external,
            "--yes",
            "--json",
            "--wait",
            "2",
        ])
        .await;
    let v = assert_outcome(&out, 3, "not_confirmed");
    assert_eq!(v["participantId"], json!(external));
    assert!(v["waitedMs"].as_u64().is_some_and(|ms| ms >= 2000), "{v}");
    assert_eq!(v["stillShows"]["live"], json!(true), "{v}");
    assert!(out.stderr.contains("not confirmed"), "{out:?}");
    assert_eq!(truth_state(&h, &billing_conv, &external), "connected");

    // --- human drop output names who remains --------------------------------------------------
    let out = h.run(&["drop", &billing_conv, &external, "--yes"]).await;
    out.expect_code(0);
    assert!(
        out.stdout
            .starts_with("Drop Northwind Insurance (external)"),
        "{out:?}"
    );
    assert!(out.stdout.contains("Remaining: "), "{out:?}");
    assert!(out.stdout.contains(&agent5), "{out:?}");
    assert!(
        out.stdout.contains("CONFIRMED drop Northwind Insurance"),
        "{out:?}"
    );

    // Unknown participant: exit 1 with a clear reason, nothing sent.
    let out = h.run(&["drop", &conv, "no-such-leg", "--yes"]).await;
    out.expect_code(1);
    assert!(out.stderr.contains("not on this call"), "{out:?}");

    // --- the audit log has every action, as CSV ---------------------------------------------
    let csv = h.run(&["audit", "--csv"]).await;
    csv.expect_code(0);
    let rows: Vec<&str> = csv.stdout.split("\r\n").filter(|l| !l.is_empty()).collect();
    let has = |action: &str, outcome: &str, participant: &str| {
        rows.iter().any(|r| {
            r.contains(&format!(",{action},"))
                && r.contains(&format!(",{outcome},"))
                && r.contains(participant)
        })
    };
    assert!(has("drop", "confirmed", &consultant_id), "{}", csv.stdout);
    assert!(
        has("drop", "already_gone", &consultant_id),
        "{}",
        csv.stdout
    );
    assert!(has("mute", "confirmed", &agent1_id), "{}", csv.stdout);
    assert!(has("unmute", "confirmed", &agent1_id), "{}", csv.stdout);
    assert!(has("hold", "refused", &ringing_id), "{}", csv.stdout);
    assert!(has("drop", "not_confirmed", &external), "{}", csv.stdout);
    assert!(has("drop", "confirmed", &external), "{}", csv.stdout);
    let audit = h.run(&["audit", "--json"]).await;
    audit.expect_code(0);
    let records = audit.json()["records"].as_array().expect("records").len();
    assert!(records >= 7, "{records} records");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real OS keyring: scripts/test.sh runs it in a throwaway keyring session"]
async fn keyring_agent_is_refused_and_nothing_is_sent() {
    let mut h = Harness::start("agent").await;
    h.login(Some(&agent_email(1))).await;
    // An agent cannot list queues (no routing:queue:view): take the call from the truth.
    let agent2_id = h.emu.world().user_id(&agent_email(2)).expect("agent2");
    let (conv, consultant) = h
        .emu
        .world()
        .conversations()
        .into_iter()
        .find_map(|c| {
            let leg = c["participants"]
                .as_array()?
                .iter()
                .find(|p| p["user"]["id"] == json!(agent2_id) && p["state"] == "connected")?;
            Some((c["id"].as_str()?.to_owned(), leg["id"].as_str()?.to_owned()))
        })
        .expect("agent2's conference");
    let (conv, consultant) = (conv.as_str(), consultant.as_str());
    let denied = h.run(&["calls", "--queue", "Support"]).await;
    denied.expect_code(1);
    assert!(denied.stderr.contains("permission"), "{denied:?}");
    let out = h.run(&["drop", conv, consultant, "--yes", "--json"]).await;
    let v = assert_outcome(&out, 2, "refused");
    assert_eq!(v["requestSent"], json!(false));
    assert!(
        v["explanation"]
            .as_str()
            .is_some_and(|e| e.contains("conversation:communication:disconnect")),
        "{v}"
    );
    assert_eq!(out.stderr.trim().lines().count(), 1, "{out:?}");
    assert_eq!(truth_state(&h, conv, consultant), "connected");
    let patches = h
        .emu
        .world()
        .requests(0)
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .count();
    assert_eq!(patches, 0, "a refused drop sends nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real OS keyring: scripts/test.sh runs it in a throwaway keyring session"]
async fn keyring_watch_prints_one_json_object_per_change_until_interrupted() {
    let mut h = Harness::start("watch").await;
    let agent1 = user_name(&h, &agent_email(1));
    let agent2 = user_name(&h, &agent_email(2));
    h.login(None).await;
    let support = calls(&h, "Support").await;
    let conference = conversation_with(&support, &[&agent1, &agent2]);
    let conv = conference["conversationId"]
        .as_str()
        .expect("id")
        .to_owned();
    let consultant = party(conference, &agent2)["participantId"]
        .as_str()
        .expect("pid")
        .to_owned();

    let mut child = h
        .command(&["watch", "--queue", "Support", "--json"])
        .spawn()
        .expect("spawn watch");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    // Wait until the board is trusted (a status line saying so).
    loop {
        let v = next_json(&mut lines).await;
        assert!(v["seq"].as_u64().is_some(), "{v}");
        if v["type"] == "status" && v["status"]["trusted"] == json!(true) {
            break;
        }
    }
    // The consultant hangs up: one upsert naming them as gone.
    h.emu
        .world()
        .leave(&conv, &consultant, None)
        .expect("leave");
    loop {
        let v = next_json(&mut lines).await;
        if v["type"] == "upserted" && v["conversationId"] == json!(conv) {
            let changes = v["changes"].to_string();
            assert!(changes.contains(&format!("{agent2} (agent) left")), "{v}");
            let leg = v["conversation"]["parties"]
                .as_array()
                .expect("parties")
                .iter()
                .find(|p| p["participantId"] == json!(consultant))
                .expect("leg")
                .clone();
            assert_eq!(leg["leg"], json!("ended"));
            break;
        }
    }
    // Ctrl-C ends it cleanly.
    let pid = child.id().expect("pid").to_string();
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("watch stops after Ctrl-C")
        .expect("wait");
    assert_eq!(status.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real OS keyring: scripts/test.sh runs it in a throwaway keyring session"]
async fn keyring_watch_says_sign_in_again_when_the_session_is_revoked_without_any_action() {
    let mut h = Harness::start("watch-revoked").await;
    h.login(None).await;
    let mut child = h
        .command(&["watch", "--queue", "Support", "--json"])
        .spawn()
        .expect("spawn watch");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    loop {
        let v = next_json(&mut lines).await;
        if v["type"] == "status" && v["status"]["trusted"] == json!(true) {
            break;
        }
    }
    // The administrator revokes the supervisor's tokens; nobody touches the CLI. The platform
    // announces it on the channel, and `watch` says so and stops with its documented code.
    h.fault(&FaultSpec::RevokeTokens { user_id: None }).await;
    loop {
        let v = next_json(&mut lines).await;
        if v["type"] == "status" {
            let changes = v["changes"].to_string();
            if changes.contains("SessionExpired") {
                break;
            }
            assert!(
                !changes.contains("closed"),
                "closed for another reason: {v}"
            );
        }
    }
    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("watch stops by itself once the session is over")
        .expect("wait");
    assert_eq!(
        out.status.code(),
        Some(1),
        "exit 1: session expired or revoked"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("sign in again"), "{stderr}");
}

/// Runs the CLI on a pseudo-terminal (util-linux `script`), typing `input`.
async fn run_on_terminal(h: &Harness, args: &[&str], input: &str) -> Output {
    let mut line = vec![
        env!("CARGO_BIN_EXE_bridgekeeper-cli").to_owned(),
        "--api-base".to_owned(),
        h.emu.base_url(),
    ];
    line.extend(args.iter().map(|a| a.to_string()));
    let quoted: Vec<String> = line
        .iter()
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect();
    // The same environment as every other run (scratch data folder, no inherited settings).
    let template = h.command(&[]);
    let mut script = tokio::process::Command::new("script");
    script
        .args(["-qec", &quoted.join(" "), "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    for (key, value) in template.as_std().get_envs() {
        match value {
            Some(value) => script.env(key, value),
            None => script.env_remove(key),
        };
    }
    let mut child = script.spawn().expect("spawn script");
    {
        use tokio::io::AsyncWriteExt;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input.as_bytes()).await.expect("type");
    }
    let out = tokio::time::timeout(RUN_TIMEOUT, child.wait_with_output())
        .await
        .expect("finishes in time")
        .expect("wait");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real OS keyring: scripts/test.sh runs it in a throwaway keyring session"]
async fn keyring_drop_asks_on_a_terminal_and_sends_nothing_unless_yes() {
    let mut h = Harness::start("tty").await;
    let agent5 = user_name(&h, &agent_email(5));
    h.login(None).await;
    let billing = calls(&h, "Billing").await;
    let conference = conversation_with(&billing, &[&agent5, "Northwind Insurance"]);
    let conv = conference["conversationId"]
        .as_str()
        .expect("id")
        .to_owned();
    let external = party(conference, "Northwind Insurance")["participantId"]
        .as_str()
        .expect("pid")
        .to_owned();

    let out = run_on_terminal(&h, &["drop", &conv, &external], "n\n").await;
    assert_eq!(out.code, 1, "{out:?}");
    // On a terminal everything arrives on one stream; the plan and the question come first.
    assert!(out.stdout.contains("Remaining: "), "{out:?}");
    assert!(out.stdout.contains("from the call? [y/N]"), "{out:?}");
    assert!(
        out.stdout.contains("cancelled; nothing was sent"),
        "{out:?}"
    );
    let patches = |h: &Harness| {
        h.emu
            .world()
            .requests(0)
            .into_iter()
            .filter(|r| r.method == "PATCH")
            .count()
    };
    assert_eq!(patches(&h), 0);

    let out = run_on_terminal(&h, &["drop", &conv, &external], "y\n").await;
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("CONFIRMED drop Northwind Insurance"),
        "{out:?}"
    );
    assert!(
        !out.stdout.contains('\x1b'),
        "NO_COLOR is honoured: {out:?}"
    );
    assert_eq!(patches(&h), 1);
    assert_eq!(truth_state(&h, &conv, &external), "disconnected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real OS keyring: scripts/test.sh runs it in a throwaway keyring session"]
async fn keyring_calls_with_user_lists_bridges_without_a_queue_and_says_it_is_complete() {
    let mut h = Harness::start("people").await;
    h.login(None).await;
    let me = h
        .emu
        .world()
        .user_id(genesys_emulator::SUPERVISOR_EMAIL)
        .expect("supervisor");
    let bridge = h
        .emu
        .world()
        .create_call(genesys_emulator::NewCallRequest {
            queue_id: None,
            parties: vec![
                genesys_emulator::PartyRequest {
                    purpose: "user".into(),
                    user_id: Some(me.clone()),
                    ..Default::default()
                },
                genesys_emulator::PartyRequest {
                    purpose: "external".into(),
                    name: Some("Bridge Guest".into()),
                    ..Default::default()
                },
                genesys_emulator::PartyRequest {
                    purpose: "external".into(),
                    name: Some("Second Guest".into()),
                    ..Default::default()
                },
            ],
        })
        .expect("bridge");
    let bridge_id = bridge["id"].as_str().expect("id").to_owned();
    let has_bridge = |listing: &Value| {
        listing["conversations"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["conversationId"] == bridge_id.as_str())
    };

    let queues_only = calls(&h, "Support").await;
    assert_eq!(queues_only["complete"], true, "{queues_only}");
    assert!(!has_bridge(&queues_only), "a bridge has no queue");

    let out = h.run(&["calls", "--user", "me", "--json"]).await;
    out.expect_code(0);
    let mine = out.json();
    assert_eq!(mine["complete"], true, "{mine}");
    assert!(has_bridge(&mine), "watching myself lists my bridge: {mine}");
    let listed = mine["conversations"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["conversationId"] == bridge_id.as_str())
        .expect("bridge");
    assert_eq!(listed["watchedUserIds"], json!([me]));
    assert_eq!(listed["queueIds"], json!([]));

    let bad = h.run(&["calls", "--user", "not a user"]).await;
    bad.expect_code(1);
    assert!(bad.stderr.contains("not a valid user id"), "{}", bad.stderr);
}
