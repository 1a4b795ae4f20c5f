//! Control plane, churn invariants, determinism and the binary contract.
//!
//! One file (over 600 lines) because every test drives the same control plane; split by topic when it grows.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::time::Duration;

use common::*;
use genesys_emulator::{EmulatorConfig, ScenarioName};
use serde_json::{Value, json};

/// (conversation id, [(participant id, purpose, state)]) per conversation.
type Shape = Vec<(String, Vec<(String, String, String)>)>;

fn shape(convs: &[Value]) -> Shape {
    convs
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                parts(c)
                    .iter()
                    .map(|p| {
                        (
                            p["id"].as_str().unwrap().to_owned(),
                            p["purpose"].as_str().unwrap().to_owned(),
                            p["state"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect(),
            )
        })
        .collect()
}

#[tokio::test]
async fn same_seed_same_world_other_seed_other_ids() {
    let a = start().await;
    let b = start().await;
    let c = start_with(EmulatorConfig {
        seed: 8,
        ..config()
    })
    .await;
    let wa = a.emu.world();
    assert_eq!(
        shape(&wa.conversations()),
        shape(&b.emu.world().conversations())
    );
    assert_eq!(
        wa.users().iter().map(|u| u.id.clone()).collect::<Vec<_>>(),
        b.emu
            .world()
            .users()
            .iter()
            .map(|u| u.id.clone())
            .collect::<Vec<_>>()
    );
    assert_ne!(
        shape(&wa.conversations()),
        shape(&c.emu.world().conversations())
    );
    // Demo contents the app relies on.
    let convs = wa.conversations();
    assert!(
        convs.iter().filter(|c| live_parties(c).len() >= 3).count() >= 3,
        "three conferences"
    );
    assert!(
        convs.iter().filter(|c| live_parties(c).len() == 2).count() >= 3,
        "two-party calls"
    );
    assert!(wa.users().len() >= 15);
    assert!(wa.queues().len() >= 3);
}

#[tokio::test]
async fn reset_restores_the_scenario_and_scenario_switches_it() {
    let env = start().await;
    let world = env.emu.world();
    let before = shape(&world.conversations());
    let first = before[0].0.clone();
    world.end(&first).unwrap();
    assert_ne!(shape(&world.conversations()), before);
    let resp = env.control("/reset", json!({})).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(shape(&world.conversations()), before);

    let resp = env
        .control(
            "/scenario",
            json!({"name": "load", "seed": 3, "conversations": 50}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let convs = world.conversations();
    assert_eq!(convs.len(), 50);
    assert!(convs.iter().all(|c| c.get("endTime").is_none()));
    assert!(convs.iter().any(|c| live_parties(c).len() >= 3));
    let resp = env.control("/scenario", json!({"name": "empty"})).await;
    assert_eq!(resp.status(), 200);
    assert!(world.conversations().is_empty());
    assert_eq!(world.users().len(), 16);
    let bad = env.control("/scenario", json!({"name": "mars"})).await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn control_plane_scripts_calls_through_the_state_change_function() {
    let env = start_scenario(ScenarioName::Empty).await;
    let token = env.supervisor().await;
    let world = env.emu.world();
    let queue = world.queue_id("Billing").unwrap();
    let agent = world.user_id("agent5@demo.example").unwrap();
    let topic = format!("v2.routing.queues.{queue}.conversations.calls");
    let (_, mut ws) = env.subscribe(&token, std::slice::from_ref(&topic)).await;
    let resp = env
        .control(
            "/conversations",
            json!({"queueId": queue, "parties": [
                {"purpose": "customer", "name": "Pat Caller", "address": "tel:+15550001111"},
                {"purpose": "agent", "userId": agent}]}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let conv: Value = resp.json().await.unwrap();
    let cid = conv["id"].as_str().unwrap().to_owned();
    let purposes: Vec<&str> = conv["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["purpose"].as_str().unwrap())
        .collect();
    assert_eq!(purposes, vec!["customer", "acd", "agent"]);
    assert_eq!(conv["participants"][1]["state"], "disconnected");
    // The queue leg ended when the agent answered, not at some arbitrary later time.
    let acd_end = conv["participants"][1]["endTime"]
        .as_str()
        .expect("acd endTime");
    let agent_connected = conv["participants"][2]["connectedTime"]
        .as_str()
        .expect("agent connectedTime");
    assert_eq!(acd_end, agent_connected, "{conv}");
    let ev = next_event(&mut ws, &topic, Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(ev["eventBody"]["id"], cid.as_str());

    let resp = env
        .control(
            &format!("/conversations/{cid}/participants"),
            json!({"purpose": "external", "name": "Consultant"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let conv: Value = resp.json().await.unwrap();
    assert_eq!(live_parties(&conv).len(), 3);
    let ev = next_event(&mut ws, &topic, Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(parts(&ev["eventBody"]).len(), 4);

    let customer = conv["participants"][0]["id"].as_str().unwrap();
    let resp = env
        .control(
            &format!("/conversations/{cid}/participants/{customer}/leave"),
            json!({}),
        )
        .await;
    let conv: Value = resp.json().await.unwrap();
    assert_eq!(conv["participants"][0]["disconnectType"], "endpoint");
    assert!(
        conv.get("endTime").is_none(),
        "agent and consultant still talk"
    );
    let _ = next_event(&mut ws, &topic, Duration::from_secs(2))
        .await
        .unwrap();
    let resp = env
        .control(&format!("/conversations/{cid}/end"), json!({}))
        .await;
    let conv: Value = resp.json().await.unwrap();
    assert!(conv["endTime"].is_string());
    let ev = next_event(&mut ws, &topic, Duration::from_secs(2))
        .await
        .unwrap();
    assert!(live_parties(&ev["eventBody"]).is_empty());
    // Errors: unknown queue, ended conversation, agent without userId.
    let resp = env
        .control(
            "/conversations",
            json!({"queueId": "nope", "parties": [{"purpose": "customer"}]}),
        )
        .await;
    assert_eq!(resp.status(), 404);
    let resp = env
        .control(
            &format!("/conversations/{cid}/participants"),
            json!({"purpose": "external"}),
        )
        .await;
    assert_eq!(resp.status(), 400);
    let resp = env
        .control("/conversations", json!({"parties": [{"purpose": "agent"}]}))
        .await;
    assert_eq!(resp.status(), 400);
    let resp = env
        .control("/conversations", json!({"parties": "nope"}))
        .await;
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn request_log_records_calls_without_secrets() {
    let env = start().await;
    let token = env.supervisor().await;
    let conv = conference(&env, 3);
    let cid = conv["id"].as_str().unwrap();
    let pid = parts(&conv)
        .into_iter()
        .find(|p| p["purpose"] == "agent")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let resp = env
        .patch(
            &token,
            &format!("/api/v2/conversations/calls/{cid}/participants/{pid}"),
            r#"{"muted":true}"#,
        )
        .await;
    let cid_header = resp.headers()["inin-correlation-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let log: Value = env
        .http
        .get(env.url("/_emulator/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = log["entities"].as_array().unwrap().clone();
    let text = serde_json::to_string(&entries).unwrap();
    assert!(!text.contains(&token), "the log never holds tokens");
    assert!(!text.contains("code_verifier") && !text.contains("demo-secret"));
    let patch = entries.iter().find(|e| e["method"] == "PATCH").unwrap();
    assert_eq!(patch["status"], 202);
    assert_eq!(patch["correlationId"], cid_header.as_str());
    assert_eq!(patch["body"], json!({"muted": true}));
    assert_eq!(
        patch["userId"],
        user_id(&env, genesys_emulator::SUPERVISOR_EMAIL).as_str()
    );
    let token_call = entries
        .iter()
        .find(|e| e["path"] == "/oauth/token")
        .unwrap();
    assert_eq!(
        token_call["body"],
        json!({"grant_type": "authorization_code"})
    );
    let seq = patch["seq"].as_u64().unwrap();
    let since: Value = env
        .http
        .get(env.url(&format!("/_emulator/requests?since={seq}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        since["entities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["seq"].as_u64().unwrap() > seq)
    );
    let resp = env
        .http
        .delete(env.url("/_emulator/requests"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert!(env.emu.world().requests(0).is_empty());
}

#[tokio::test]
async fn churn_keeps_invariants_and_events_match_the_truth() {
    let env = start().await;
    let token = env.supervisor().await;
    let world = env.emu.world();
    let topics: Vec<String> = world
        .queues()
        .into_iter()
        .map(|q| format!("v2.routing.queues.{}.conversations.calls", q.id))
        .collect();
    let (_, mut ws) = env.subscribe(&token, &topics).await;
    let resp = env.control("/churn", json!({"perMinute": 6000})).await;
    assert_eq!(resp.status(), 200);
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut last_event: HashMap<String, Value> = HashMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(1200);
    while tokio::time::Instant::now() < deadline {
        for c in world.conversations() {
            let id = c["id"].as_str().unwrap().to_owned();
            let n = parts(&c).len();
            let prev = counts.insert(id, n).unwrap_or(0);
            assert!(n >= prev, "participants are never removed");
            if c.get("endTime").is_some() {
                assert!(live_parties(&c).is_empty(), "ended calls have no live legs");
                assert!(
                    parts(&c)
                        .iter()
                        .filter(|p| p["purpose"] == "acd")
                        .all(|p| p["state"] == "terminated")
                );
            } else {
                assert!(!live_parties(&c).is_empty(), "live calls have a live party");
            }
        }
        while let Some(ev) = next_message(&mut ws, Duration::from_millis(5)).await {
            if ev["topicName"] != "channel.metadata" {
                last_event.insert(
                    ev["eventBody"]["id"].as_str().unwrap().to_owned(),
                    ev["eventBody"].clone(),
                );
            }
        }
    }
    env.control("/churn", json!({"perMinute": 0})).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    while let Some(ev) = next_message(&mut ws, Duration::from_millis(100)).await {
        if ev["topicName"] != "channel.metadata" {
            last_event.insert(
                ev["eventBody"]["id"].as_str().unwrap().to_owned(),
                ev["eventBody"].clone(),
            );
        }
    }
    let stats = world.event_stats();
    assert!(stats.published >= 20, "churn ran: {stats:?}");
    assert!(last_event.len() >= 5);
    for (id, ev) in &last_event {
        let truth = world.conversation(id).unwrap();
        let states = |v: &Value| {
            parts(v)
                .iter()
                .map(|p| (p["id"].clone(), p["state"].clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            states(ev),
            states(&truth),
            "last event equals the truth for {id}"
        );
    }
}

#[tokio::test]
async fn load_scenario_has_the_requested_number_of_live_calls() {
    let env = start_with(EmulatorConfig {
        scenario: ScenarioName::Load,
        conversations: 300,
        ..config()
    })
    .await;
    let convs = env.emu.world().conversations();
    assert_eq!(convs.len(), 300);
    let conferences = convs.iter().filter(|c| live_parties(c).len() >= 3).count();
    assert!(
        (30..=150).contains(&conferences),
        "mix of conferences: {conferences}"
    );
}

#[test]
fn binary_prints_the_listen_line_first_and_stops_on_sigterm() {
    let bin = env!("CARGO_BIN_EXE_genesys-emulator");
    let help = std::process::Command::new(bin)
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--listen",
        "--scenario",
        "--seed",
        "--churn",
        "--conversations",
        "--patch-delay-ms",
        "--heartbeat-secs",
        "--token-ttl-secs",
        "--rate-limit",
        "--latency-ms",
        "--analytics-lag-ms",
        "--analytics-max-results",
    ] {
        assert!(text.contains(flag), "--help documents {flag}");
    }
    let mut child = std::process::Command::new(bin)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--scenario",
            "demo",
            "--seed",
            "3",
            "--patch-delay-ms",
            "10",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("first line");
    let ok = line.starts_with("listening on http://127.0.0.1:")
        && line
            .trim_end()
            .rsplit(':')
            .next()
            .unwrap()
            .parse::<u16>()
            .is_ok();
    if !ok {
        let _ = child.kill();
    }
    assert!(ok, "first line: {line:?}");
    let url = line
        .trim_end()
        .trim_start_matches("listening on ")
        .to_owned();
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(code) = child.try_wait().unwrap() {
            assert!(code.success(), "clean exit on SIGTERM: {code:?}");
            break;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let bad = std::process::Command::new(bin)
        .args(["--scenario", "mars"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown scenario"));
}

/// The typed client of `test_support` reaches every control-plane endpoint with the emulator's own
/// request types, so the helpers other crates' tests use cannot drift from the handlers.
#[tokio::test]
async fn the_typed_control_client_reaches_every_endpoint() {
    use genesys_emulator::test_support::{
        AnalyticsRequest, ClientRequest, FaultSpec, LeaveRequest, NewCallRequest, PartyRequest,
        ScenarioRequest, UserRequest,
    };
    let env = start().await;
    let c = env.emu.control();
    assert_eq!(c.base_url(), env.base);

    let loaded = c
        .load_scenario(&ScenarioRequest {
            name: "empty".into(),
            ..ScenarioRequest::default()
        })
        .await;
    assert_eq!(loaded["conversations"], 0);
    assert!(c.conversations(false).await.is_empty());
    let queues = c.queues().await;
    let queue = queues[0]["id"].as_str().expect("queue id").to_owned();
    let agent = c
        .upsert_user(&UserRequest {
            email: "typed@demo.example".into(),
            permissions: Some(vec![]),
            queue_ids: Some(vec![queue.clone()]),
            ..UserRequest::default()
        })
        .await;
    let agent_id = agent["id"].as_str().expect("user id").to_owned();
    assert!(c.users().await.iter().any(|u| u["id"] == agent_id.as_str()));

    let party = |purpose: &str, user: Option<&str>| PartyRequest {
        purpose: purpose.into(),
        user_id: user.map(str::to_owned),
        ..PartyRequest::default()
    };
    let call = c
        .create_call(&NewCallRequest {
            queue_id: Some(queue),
            parties: vec![party("customer", None), party("agent", Some(&agent_id))],
        })
        .await;
    let cid = call["id"].as_str().expect("conversation id").to_owned();
    let joined = c.join(&cid, &party("external", None)).await;
    assert_eq!(live_parties(&joined).len(), 3);
    let customer = joined["participants"][0]["id"].as_str().unwrap().to_owned();
    let left = c
        .leave(
            &cid,
            &customer,
            &LeaveRequest {
                disconnect_type: Some("client".into()),
            },
        )
        .await;
    assert_eq!(left["participants"][0]["disconnectType"], "client");
    assert_eq!(c.conversation(&cid).await["id"], cid.as_str());
    assert_eq!(c.conversations(true).await.len(), 1);
    assert!(c.end_call(&cid).await["endTime"].is_string());
    assert!(c.conversations(true).await.is_empty());

    let analytics = c
        .set_analytics(&AnalyticsRequest {
            lag_ms: Some(0),
            ..AnalyticsRequest::default()
        })
        .await;
    assert_eq!(analytics["lagMs"], 0);
    assert_eq!(c.analytics().await["lagMs"], 0);
    c.set_churn(0.0).await;
    assert_eq!(c.churn().await, 0.0);

    let id = c
        .fault(&FaultSpec::DelayEvents { ms: 5 })
        .await
        .expect("a standing fault has an id");
    assert_eq!(c.faults().await.len(), 1);
    c.remove_fault(id).await;
    assert!(c.faults().await.is_empty());
    assert_eq!(
        c.fault(&FaultSpec::CloseSockets {}).await,
        None,
        "an action"
    );
    c.fault(&FaultSpec::DropEvents {
        count: Some(1),
        rate: None,
    })
    .await;
    c.clear_faults().await;
    assert!(c.faults().await.is_empty());

    c.register_client(&ClientRequest::loopback(
        "typed-client",
        "http://localhost:1/cb",
        Some("s3cret"),
    ))
    .await;
    let clients = c.clients().await;
    let typed = clients
        .iter()
        .find(|k| k["id"] == "typed-client")
        .expect("registered");
    assert_eq!(
        typed["grants"],
        json!(["authorization_code", "refresh_token"])
    );

    let token = env.supervisor().await;
    let _ = env.get(&token, "/api/v2/users/me").await;
    let log = c.requests(0).await;
    assert!(
        log.iter()
            .any(|r| r.path == "/api/v2/users/me" && r.status == 200)
    );
    c.clear_requests().await;
    assert!(
        c.requests(0)
            .await
            .iter()
            .all(|r| r.path != "/api/v2/users/me")
    );
    assert!(c.stats().await["events"].is_object());
    assert_eq!(
        c.reset().await["scenario"],
        "empty",
        "reset reloads the current scenario"
    );
}
