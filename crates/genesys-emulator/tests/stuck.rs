//! Stuck legs (issue 8): the `stuck_leg` fault keeps a lone party on a call the end-game
//! rule would have ended, and the whole-conversation disconnect still tears it down.

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;

fn live_ids(conv: &Value) -> Vec<String> {
    live_parties(conv)
        .into_iter()
        .filter(|p| p["purpose"] != "acd")
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_stuck_leg_outlives_the_other_parties_until_the_conversation_disconnect() {
    let env = start().await;
    let token = env.supervisor().await;
    let conv = conference(&env, 3);
    let cid = conv["id"].as_str().unwrap().to_owned();
    let resp = env
        .control(
            "/faults",
            serde_json::json!({"kind": "stuck_leg", "conversationId": cid}),
        )
        .await;
    assert_eq!(resp.status(), 201);

    let mut ids = live_ids(&env.truth(&cid));
    let lone = ids.pop().expect("a party to be left alone");
    for pid in &ids {
        let path = format!("/api/v2/conversations/calls/{cid}/participants/{pid}");
        let resp = env
            .patch(&token, &path, r#"{"state":"disconnected"}"#)
            .await;
        assert_eq!(resp.status(), 202, "dropping {pid}");
    }
    assert!(
        eventually(Duration::from_secs(3), || live_ids(&env.truth(&cid))
            == [lone.clone()])
        .await,
        "only the lone leg is left: {}",
        env.truth(&cid)
    );
    // Without the fault the end-game rule would have ended the call by now.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t = env.truth(&cid);
    assert!(t.get("endTime").is_none_or(Value::is_null), "{t}");
    assert_eq!(live_ids(&t), std::slice::from_ref(&lone));

    let resp = env
        .post_json(
            &token,
            &format!("/api/v2/conversations/{cid}/disconnect"),
            "",
        )
        .await;
    assert_eq!(resp.status(), 202);
    let t = env.truth(&cid);
    assert!(t["endTime"].is_string(), "{t}");
    assert!(live_ids(&t).is_empty(), "{t}");
}

#[tokio::test]
async fn without_the_fault_the_last_party_is_ended_with_the_call() {
    let env = start().await;
    let token = env.supervisor().await;
    let conv = conference(&env, 3);
    let cid = conv["id"].as_str().unwrap().to_owned();
    let mut ids = live_ids(&env.truth(&cid));
    ids.pop();
    for pid in &ids {
        let path = format!("/api/v2/conversations/calls/{cid}/participants/{pid}");
        let resp = env
            .patch(&token, &path, r#"{"state":"disconnected"}"#)
            .await;
        assert_eq!(resp.status(), 202);
    }
    assert!(
        eventually(Duration::from_secs(3), || env.truth(&cid)["endTime"]
            .is_string())
        .await,
        "the end-game rule ends the call: {}",
        env.truth(&cid)
    );
}

#[tokio::test]
async fn a_stuck_leg_fault_without_a_conversation_is_refused() {
    let env = start().await;
    let resp = env
        .control(
            "/faults",
            serde_json::json!({"kind": "stuck_leg", "conversationId": ""}),
        )
        .await;
    assert_eq!(resp.status(), 400);
    let body = resp.text().await.unwrap();
    assert!(body.contains("conversationId must not be empty"), "{body}");
}

/// Agents' legs (the ones that require wrap-up) of a snapshot, with their `wrapup`.
fn agent_wrapups(conv: &Value) -> Vec<Value> {
    parts(conv)
        .into_iter()
        .filter(|p| p["wrapupRequired"] == true)
        .map(|p| p["wrapup"].clone())
        .collect()
}

#[tokio::test]
async fn the_teardown_applies_the_system_wrapup_code_the_delete_does_not() {
    let env = start().await;
    let token = env.supervisor().await;
    let convs: Vec<Value> = env
        .emu
        .world()
        .conversations()
        .into_iter()
        .filter(|c| c.get("endTime").is_none() && !agent_wrapups(c).is_empty())
        .take(2)
        .collect();
    let (torn, deleted) = (
        convs[0]["id"].as_str().unwrap().to_owned(),
        convs[1]["id"].as_str().unwrap().to_owned(),
    );
    assert!(agent_wrapups(&convs[0]).iter().all(Value::is_null));

    let resp = env
        .post_json(
            &token,
            &format!("/api/v2/conversations/{torn}/disconnect"),
            "",
        )
        .await;
    assert_eq!(resp.status(), 202);
    let t = env.truth(&torn);
    let wrapups = agent_wrapups(&t);
    assert!(!wrapups.is_empty());
    for w in &wrapups {
        assert_eq!(w["code"], genesys_emulator::SYSTEM_WRAPUP_CODE, "{t}");
        assert!(w["endTime"].is_string(), "{w}");
        assert!(w["durationSeconds"].as_i64().unwrap() >= 0, "{w}");
    }
    let customer = parts(&t)
        .into_iter()
        .find(|p| p["purpose"] == "customer")
        .unwrap();
    assert!(
        customer.get("wrapup").is_none(),
        "only legs pending wrap-up"
    );
    // The generic read shows it on the participant too, as the platform's Participant.wrapup.
    let rest = env
        .get_json(&token, &format!("/api/v2/conversations/{torn}"))
        .await;
    let shown: Vec<&Value> = rest["participants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["wrapup"]["code"] == genesys_emulator::SYSTEM_WRAPUP_CODE)
        .collect();
    assert_eq!(shown.len(), wrapups.len(), "{rest}");

    let resp = env
        .send(
            reqwest::Method::DELETE,
            &token,
            &format!("/api/v2/conversations/{deleted}"),
            None,
        )
        .await;
    assert_eq!(resp.status(), 200);
    let t = env.truth(&deleted);
    assert!(t["endTime"].is_string());
    assert!(agent_wrapups(&t).iter().all(Value::is_null), "{t}");
}
