//! The idle-leg worlds (issue 8): each one loads by name and holds its finding next to a healthy
//! call; the deaf leg of `patch-ignored` yields only to the communication disconnect.

mod common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use common::*;
use genesys_emulator::test_support::ScenarioRequest;
use genesys_emulator::{EmulatorConfig, SCENARIOS, ScenarioName};
use genesys_model::enums::TranscriptChannel;
use genesys_model::transcription::TranscriptionTopicTranscriptionMessage;
use serde_json::Value;

async fn world(name: &str) -> Env {
    let scenario: ScenarioName = name.parse().expect("a scenario name");
    start_with(EmulatorConfig {
        scenario,
        transcription_delay: Duration::from_millis(100),
        transcription_heartbeat: Duration::from_millis(300),
        speech_every: Duration::from_millis(100),
        ..config()
    })
    .await
}

fn live(env: &Env) -> Vec<Value> {
    env.emu
        .world()
        .conversations()
        .into_iter()
        .filter(|c| c.get("endTime").is_none())
        .collect()
}

fn minutes_ago(t: &Value) -> i64 {
    let t: DateTime<Utc> = t.as_str().expect("a time").parse().expect("RFC 3339");
    (Utc::now() - t).num_minutes()
}

/// The one healthy call every idle world has: a customer and agent3, nobody held or muted.
fn healthy(env: &Env) -> Value {
    let agent3 = user_id(env, "agent3@demo.example");
    live(env)
        .into_iter()
        .find(|c| {
            let p = live_parties(c);
            p.len() == 2
                && p.iter().any(|x| x["purpose"] == "customer")
                && p.iter().any(|x| x["user"]["id"] == agent3.as_str())
        })
        .expect("the healthy call")
}

#[tokio::test]
async fn every_scenario_name_round_trips_and_loads_on_the_control_plane() {
    let env = start_scenario(ScenarioName::Empty).await;
    for name in SCENARIOS {
        assert_eq!(name.as_str().parse::<ScenarioName>(), Ok(name));
        if name == ScenarioName::Load {
            continue;
        }
        let answer = env
            .control
            .load_scenario(&ScenarioRequest {
                name: name.as_str().to_owned(),
                ..Default::default()
            })
            .await;
        assert_eq!(answer["scenario"], name.as_str());
    }
    let err = "nope".parse::<ScenarioName>().unwrap_err();
    assert!(err.contains("stuck-leg") && err.contains("idle"), "{err}");
}

#[tokio::test]
async fn stuck_leg_keeps_its_lone_agent_across_a_reset() {
    let env = world("stuck-leg").await;
    healthy(&env);
    let agent1 = user_id(&env, "agent1@demo.example");
    let lone = live(&env)
        .into_iter()
        .find(|c| live_parties(c).len() == 1)
        .expect("a call with one party left");
    let party = &live_parties(&lone)[0];
    assert_eq!(party["user"]["id"], agent1.as_str());
    let others_gone: Vec<i64> = parts(&lone)
        .iter()
        .filter(|p| p["purpose"] != "acd" && p["id"] != party["id"])
        .map(|p| minutes_ago(&p["endTime"]))
        .collect();
    assert!(others_gone.iter().all(|m| *m >= 9), "{others_gone:?}");
    env.control.reset().await;
    let faults = env.control.faults().await;
    assert_eq!(faults.len(), 1, "{faults:?}");
    assert_eq!(faults[0]["kind"], "stuck_leg");
    assert_eq!(faults[0]["conversationId"], lone["id"]);
}

#[tokio::test]
async fn no_outside_party_has_only_internal_legs_left() {
    let env = world("no-outside-party").await;
    healthy(&env);
    let internal_only: Vec<Value> = live(&env)
        .into_iter()
        .filter(|c| {
            let p = live_parties(c);
            p.len() >= 2
                && p.iter()
                    .all(|x| x["purpose"] == "agent" || x["purpose"] == "user")
        })
        .collect();
    assert_eq!(internal_only.len(), 2, "a queue call and a bridge");
    let queueless = internal_only
        .iter()
        .filter(|c| c.get("queueId").is_none())
        .count();
    assert_eq!(queueless, 1, "one of them is a queue-less bridge");
}

#[tokio::test]
async fn long_hold_holds_an_external_and_a_customer_for_twenty_minutes() {
    let env = world("long-hold").await;
    healthy(&env);
    let held: Vec<Value> = live(&env)
        .iter()
        .flat_map(live_parties)
        .filter(|p| p["held"] == true)
        .collect();
    let mut purposes: Vec<&str> = held
        .iter()
        .map(|p| p["purpose"].as_str().unwrap())
        .collect();
    purposes.sort_unstable();
    assert_eq!(purposes, ["customer", "external"]);
    for p in &held {
        assert!(minutes_ago(&p["startHoldTime"]) >= 19, "{p}");
    }
}

#[tokio::test]
async fn long_mute_mutes_one_agent() {
    let env = world("long-mute").await;
    let muted: Vec<Value> = live(&env)
        .iter()
        .flat_map(live_parties)
        .filter(|p| p["muted"] == true)
        .collect();
    assert_eq!(muted.len(), 1);
    assert_eq!(muted[0]["purpose"], "agent");
    assert_eq!(
        muted[0]["user"]["id"],
        user_id(&env, "agent10@demo.example").as_str()
    );
}

#[tokio::test]
async fn silent_party_sends_only_internal_speech_and_heartbeats() {
    let env = world("silent-party").await;
    let settings = env.control.transcription().await;
    assert_eq!(settings["licensed"], true);
    assert_eq!(settings["enabled"], true);
    let agent13 = user_id(&env, "agent13@demo.example");
    let conv = live(&env)
        .into_iter()
        .find(|c| {
            live_parties(c)
                .iter()
                .any(|p| p["user"]["id"] == agent13.as_str())
        })
        .expect("the silent customer's call");
    let id = conv["id"].as_str().unwrap().to_owned();
    let token = env.supervisor().await;
    let topic = format!("v2.conversations.{id}.transcription");
    let (_, mut ws) = env.subscribe(&token, std::slice::from_ref(&topic)).await;
    let (mut internal, mut external, mut beats) = (0, 0, 0);
    let deadline = tokio::time::Instant::now() + Duration::from_millis(1200);
    while let Some(msg) = next_event(
        &mut ws,
        &topic,
        deadline.saturating_duration_since(tokio::time::Instant::now()),
    )
    .await
    {
        let m: TranscriptionTopicTranscriptionMessage =
            serde_json::from_value(msg["eventBody"].clone()).unwrap();
        beats += usize::from(m.is_heartbeat());
        for t in &m.transcripts {
            match t.channel {
                Some(TranscriptChannel::Internal) => internal += 1,
                Some(TranscriptChannel::External) => external += 1,
                _ => {}
            }
        }
    }
    assert!(internal > 0, "agent13 keeps talking");
    assert_eq!(external, 0, "the customer never speaks");
    assert!(beats > 0, "the topic is alive");
}

#[tokio::test]
async fn unlicensed_transcription_is_on_but_not_licensed() {
    let env = world("unlicensed-transcription").await;
    let settings = env.control.transcription().await;
    assert_eq!(settings["licensed"], false);
    assert_eq!(settings["enabled"], true);
    let token = env.supervisor().await;
    let queues = env.get_json(&token, "/api/v2/routing/queues").await;
    assert_eq!(queues["entities"][0]["enableTranscription"], false);
}

#[tokio::test]
async fn patch_ignored_leg_yields_only_to_the_communication_disconnect() {
    let env = world("patch-ignored").await;
    let token = env.supervisor().await;
    let conv = live(&env)
        .into_iter()
        .find(|c| {
            live_parties(c)
                .iter()
                .any(|p| p["name"] == "Litware Escalations")
        })
        .expect("the deaf leg's call");
    let cid = conv["id"].as_str().unwrap().to_owned();
    let deaf = parts(&conv)
        .into_iter()
        .find(|p| p["name"] == "Litware Escalations")
        .unwrap();
    let pid = deaf["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v2/conversations/calls/{cid}/participants/{pid}");
    for body in [r#"{"state":"disconnected"}"#, r#"{"muted":true}"#] {
        let resp = env.patch(&token, &path, body).await;
        assert_eq!(resp.status(), 202, "{body}");
    }
    tokio::time::sleep(Duration::from_millis(200)).await; // five patch delays
    let p = parts(&env.truth(&cid))
        .into_iter()
        .find(|p| p["id"] == pid.as_str())
        .unwrap();
    assert_eq!(p["state"], "connected", "{p}");
    assert_eq!(p["muted"], false, "{p}");

    let comm = env
        .get_json(&token, &format!("/api/v2/conversations/{cid}"))
        .await;
    let comm_id = comm["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == pid.as_str())
        .and_then(|p| p["calls"][0]["id"].as_str())
        .unwrap()
        .to_owned();
    let resp = env
        .patch(
            &token,
            &format!("{path}/communications/{comm_id}"),
            r#"{"state":"disconnected"}"#,
        )
        .await;
    assert_eq!(resp.status(), 202);
    assert!(
        eventually(Duration::from_secs(3), || {
            parts(&env.truth(&cid))
                .iter()
                .any(|p| p["id"] == pid.as_str() && p["state"] == "disconnected")
        })
        .await,
        "the communication disconnect ends the deaf leg"
    );
    let t = env.truth(&cid);
    assert!(
        t.get("endTime").is_none(),
        "customer and agent talk on: {t}"
    );
}

#[tokio::test]
async fn idle_holds_every_finding_in_one_transcribed_org() {
    let env = world("idle").await;
    healthy(&env);
    let convs = live(&env);
    assert_eq!(
        convs.len(),
        9,
        "healthy + stuck + 2 internal-only + 2 held + muted + silent + deaf"
    );
    let faults = env.control.faults().await;
    let mut kinds: Vec<&str> = faults.iter().map(|f| f["kind"].as_str().unwrap()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["ignore_patch", "stuck_leg"]);
    let settings = env.control.transcription().await;
    assert_eq!(
        (settings["licensed"].clone(), settings["enabled"].clone()),
        (true.into(), true.into())
    );
    assert!(convs.iter().any(|c| live_parties(c).len() == 1));
    assert!(
        convs
            .iter()
            .flat_map(live_parties)
            .any(|p| p["held"] == true)
    );
    assert!(
        convs
            .iter()
            .flat_map(live_parties)
            .any(|p| p["muted"] == true)
    );
}
