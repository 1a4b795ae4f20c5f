//! The drop: participant PATCH semantics, refusals, traps, end-game and events.
//!
//! One file (over 600 lines) because the drop's cases share one set of conference fixtures.

mod common;

use std::time::Duration;

use common::*;
use genesys_emulator::OBSERVER_EMAIL;
use serde_json::Value;

fn participant_path(c: &str, p: &str) -> String {
    format!("/api/v2/conversations/calls/{c}/participants/{p}")
}

fn agent_leg(conv: &Value) -> Value {
    parts(conv)
        .into_iter()
        .find(|p| p["purpose"] == "agent" && p["state"] == "connected")
        .expect("a connected agent")
}

fn state_of(env: &Env, c: &str, p: &str) -> String {
    parts(&env.truth(c))
        .into_iter()
        .find(|x| x["id"] == p)
        .map(|x| x["state"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn dropping_one_party_of_a_conference_leaves_the_others_and_emits_an_event() {
    let env = start().await;
    let token = env.supervisor().await;
    let conv = conference(&env, 3);
    let cid = conv["id"].as_str().unwrap().to_owned();
    let queue = conv["queueId"].as_str().unwrap().to_owned();
    let before = parts(&conv).len();
    let target = agent_leg(&conv);
    let pid = target["id"].as_str().unwrap().to_owned();
    let topic = format!("v2.routing.queues.{queue}.conversations.calls");
    let (_, mut ws) = env.subscribe(&token, std::slice::from_ref(&topic)).await;

    let resp = env
        .patch(
            &token,
            &participant_path(&cid, &pid),
            r#"{"state":"disconnected"}"#,
        )
        .await;
    assert_eq!(resp.status(), 202);
    assert!(
        resp.text().await.unwrap().is_empty(),
        "202 has an empty body"
    );
    // Asynchronous: not applied yet right after the 202.
    assert_eq!(state_of(&env, &cid, &pid), "connected");

    let event = next_event(&mut ws, &topic, Duration::from_secs(3))
        .await
        .expect("event");
    assert_eq!(event["version"], "2");
    assert!(event["metadata"]["CorrelationId"].is_string());
    let body = &event["eventBody"];
    assert_eq!(body["id"], cid.as_str());
    let leg = parts(body)
        .into_iter()
        .find(|p| p["id"] == pid.as_str())
        .unwrap();
    assert_eq!(leg["state"], "disconnected");
    assert_eq!(leg["disconnectType"], "client");
    assert!(leg["endTime"].is_string());
    assert_eq!(leg["user"]["name"], target["user"]["name"]);

    let after = env.truth(&cid);
    assert_eq!(
        parts(&after).len(),
        before,
        "participants are never removed"
    );
    assert!(after.get("endTime").is_none(), "the conference continues");
    assert_eq!(live_parties(&after).len(), live_parties(&conv).len() - 1);
    let leg = parts(&after)
        .into_iter()
        .find(|p| p["id"] == pid.as_str())
        .unwrap();
    let call = &env
        .get_json(&token, &format!("/api/v2/conversations/{cid}"))
        .await["participants"];
    let generic = call
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == pid.as_str())
        .unwrap();
    assert!(
        generic.get("state").is_none(),
        "generic participants carry no state"
    );
    assert_eq!(generic["calls"][0]["state"], "disconnected");
    assert_eq!(leg["state"], "disconnected");

    // Dropping the same leg again: 400 call.disconnected.
    let resp = env
        .patch(
            &token,
            &participant_path(&cid, &pid),
            r#"{"state":"disconnected"}"#,
        )
        .await;
    assert_eq!(resp.status(), 400);
    let err: Value = resp.json().await.unwrap();
    assert_eq!(err["code"], "conversation.error.call.disconnected");
}

#[tokio::test]
async fn dropping_a_party_of_a_two_party_call_ends_the_call() {
    let env = start().await;
    let token = env.supervisor().await;
    let conv = find(&env, |c| {
        c.get("endTime").is_none()
            && live_parties(c).len() == 2
            && parts(c).iter().filter(|p| p["purpose"] == "agent").count() == 1
    });
    let cid = conv["id"].as_str().unwrap();
    let customer = parts(&conv)
        .into_iter()
        .find(|p| p["purpose"] == "customer")
        .unwrap();
    let resp = env
        .patch(
            &token,
            &participant_path(cid, customer["id"].as_str().unwrap()),
            r#"{"state":"disconnected"}"#,
        )
        .await;
    assert_eq!(resp.status(), 202);
    assert!(
        eventually(Duration::from_secs(2), || env
            .truth(cid)
            .get("endTime")
            .is_some())
        .await
    );
    let after = env.truth(cid);
    for p in parts(&after) {
        match p["purpose"].as_str().unwrap() {
            "acd" => assert_eq!(p["state"], "terminated"),
            "customer" => assert_eq!(p["disconnectType"], "client"),
            _ => {
                assert_eq!(p["state"], "disconnected");
                assert_eq!(p["disconnectType"], "peer");
            }
        }
    }
    // The ended call is gone from the agent's own list.
    let agent_id = parts(&conv)
        .into_iter()
        .find(|p| p["purpose"] == "agent")
        .unwrap()["user"]["id"]
        .clone();
    let email = env
        .emu
        .world()
        .users()
        .into_iter()
        .find(|u| agent_id == u.id.as_str())
        .unwrap()
        .email;
    let agent = env.login(&email).await;
    let mine = env.get_json(&agent, "/api/v2/conversations/calls").await;
    assert!(
        mine["entities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["id"] != cid)
    );
}

#[tokio::test]
async fn callers_without_disconnect_permission_are_refused_except_on_their_own_leg() {
    let env = start().await;
    let conv = conference(&env, 3);
    let cid = conv["id"].as_str().unwrap();
    let customer = parts(&conv)
        .into_iter()
        .find(|p| p["purpose"] == "customer")
        .unwrap();
    let observer = env.login(OBSERVER_EMAIL).await;
    let resp = env
        .patch(
            &observer,
            &participant_path(cid, customer["id"].as_str().unwrap()),
            r#"{"state":"disconnected"}"#,
        )
        .await;
    assert_eq!(resp.status(), 403);
    let err: Value = resp.json().await.unwrap();
    assert_eq!(err["code"], "missing.any.permissions");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("conversation:communication:disconnect")
    );

    // An agent may hang up their own leg.
    let own = agent_leg(&conv);
    let agent_email = env
        .emu
        .world()
        .users()
        .into_iter()
        .find(|u| Some(u.id.as_str()) == own["user"]["id"].as_str())
        .unwrap()
        .email;
    let agent = env.login(&agent_email).await;
    let resp = env
        .patch(
            &agent,
            &participant_path(cid, customer["id"].as_str().unwrap()),
            r#"{"state":"disconnected"}"#,
        )
        .await;
    assert_eq!(resp.status(), 403);
    let resp = env
        .patch(
            &agent,
            &participant_path(cid, own["id"].as_str().unwrap()),
            r#"{"muted":true}"#,
        )
        .await;
    assert_eq!(resp.status(), 202);
    // A client-credentials token is not a user.
    let service = env.service_token().await;
    let resp = env
        .patch(
            &service,
            &participant_path(cid, own["id"].as_str().unwrap()),
            r#"{"state":"disconnected"}"#,
        )
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.json::<Value>().await.unwrap()["code"], "not.a.user");
}

#[tokio::test]
async fn empty_and_unknown_field_bodies_are_accepted_and_change_nothing() {
    let env = start().await;
    let token = env.supervisor().await;
    let conv = conference(&env, 3);
    let cid = conv["id"].as_str().unwrap();
    let pid = agent_leg(&conv)["id"].as_str().unwrap().to_owned();
    for body in ["{}", "", r#"{"dispositionCode":"X","dropReason":"Y"}"#] {
        let resp = env.patch(&token, &participant_path(cid, &pid), body).await;
        assert_eq!(resp.status(), 202, "body {body:?}");
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    let after = env.truth(cid);
    assert_eq!(after["version"], conv["version"], "no state change at all");
    assert_eq!(state_of(&env, cid, &pid), "connected");
}

#[tokio::test]
async fn bad_bodies_are_rejected_before_anything_else() {
    let env = start().await;
    let token = env.supervisor().await;
    let conv = conference(&env, 3);
    let cid = conv["id"].as_str().unwrap();
    let pid = agent_leg(&conv)["id"].as_str().unwrap().to_owned();
    let path = participant_path(cid, &pid);
    let resp = env.patch(&token, &path, r#"{"state":"disconnected""#).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.json::<Value>().await.unwrap()["code"], "bad.request");
    let resp = env.patch(&token, &path, r#"{"state":"gone"}"#).await;
    assert_eq!(resp.status(), 400);
    let err: Value = resp.json().await.unwrap();
    assert_eq!(err["code"], "invalid.value");
    assert!(err["message"].as_str().unwrap().starts_with(
        "Value [gone] is not valid for field type [State]. Allowable values are: alerting"
    ));
    let resp = env.patch(&token, &path, r#"{"muted":"yes"}"#).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.json::<Value>().await.unwrap()["code"], "invalid.value");
    // Unknown conversation and unknown participant.
    let resp = env
        .patch(
            &token,
            &participant_path("00000000-0000-4000-8000-000000000000", &pid),
            r#"{"state":"disconnected"}"#,
        )
        .await;
    assert_eq!(resp.status(), 404);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["code"],
        "conversation.error.conversation.not.found"
    );
    let resp = env
        .patch(
            &token,
            &participant_path(cid, "00000000-0000-4000-8000-000000000000"),
            r#"{"state":"disconnected"}"#,
        )
        .await;
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.json::<Value>().await.unwrap()["code"], "not.found");
    assert_eq!(state_of(&env, cid, &pid), "connected");
}

#[tokio::test]
async fn phantom_drop_fault_accepts_and_changes_nothing_once() {
    let env = start().await;
    let token = env.supervisor().await;
    let conv = conference(&env, 3);
    let cid = conv["id"].as_str().unwrap();
    let pid = agent_leg(&conv)["id"].as_str().unwrap().to_owned();
    let resp = env
        .control(
            "/faults",
            serde_json::json!({"kind": "phantom_drop", "participantId": pid}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let path = participant_path(cid, &pid);
    assert_eq!(
        env.patch(&token, &path, r#"{"state":"disconnected"}"#)
            .await
            .status(),
        202
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(state_of(&env, cid, &pid), "connected");
    assert!(
        env.emu.world().faults().is_empty(),
        "the phantom is consumed"
    );
    assert_eq!(
        env.patch(&token, &path, r#"{"state":"disconnected"}"#)
            .await
            .status(),
        202
    );
    assert!(
        eventually(Duration::from_secs(2), || state_of(&env, cid, &pid)
            == "disconnected")
        .await
    );
}

#[tokio::test]
async fn mute_hold_and_the_alerting_hold_refusal() {
    let env = start().await;
    let token = env.supervisor().await;
    let conv = conference(&env, 3);
    let cid = conv["id"].as_str().unwrap();
    let pid = agent_leg(&conv)["id"].as_str().unwrap().to_owned();
    let resp = env
        .patch(
            &token,
            &participant_path(cid, &pid),
            r#"{"muted":true,"held":true}"#,
        )
        .await;
    assert_eq!(resp.status(), 202);
    assert!(
        eventually(Duration::from_secs(2), || {
            parts(&env.truth(cid))
                .iter()
                .any(|p| p["id"] == pid.as_str() && p["muted"] == true && p["held"] == true)
        })
        .await
    );
    let generic = env
        .get_json(&token, &format!("/api/v2/conversations/{cid}"))
        .await;
    let p = generic["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == pid.as_str())
        .unwrap()
        .clone();
    assert_eq!(p["calls"][0]["held"], true);
    assert_eq!(p["calls"][0]["muted"], true);

    let alerting = find(&env, |c| parts(c).iter().any(|p| p["state"] == "alerting"));
    let acid = alerting["id"].as_str().unwrap();
    let apid = parts(&alerting)
        .into_iter()
        .find(|p| p["state"] == "alerting")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let resp = env
        .patch(&token, &participant_path(acid, &apid), r#"{"held":true}"#)
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["code"],
        "conversation.error.hold.alerting"
    );
    // Answering the alerting leg connects it and ends the waiting ACD leg.
    let resp = env
        .patch(
            &token,
            &participant_path(acid, &apid),
            r#"{"state":"connected"}"#,
        )
        .await;
    assert_eq!(resp.status(), 202);
    assert!(
        eventually(Duration::from_secs(2), || state_of(&env, acid, &apid)
            == "connected")
        .await
    );
    assert!(
        parts(&env.truth(acid))
            .iter()
            .any(|p| p["purpose"] == "acd" && p["state"] == "disconnected")
    );
}

#[tokio::test]
async fn communication_patch_ends_one_call_and_then_the_leg() {
    let env = start().await;
    let token = env.supervisor().await;
    let mine = env.get_json(&token, "/api/v2/conversations/calls").await;
    assert!(
        mine["entities"].as_array().unwrap().is_empty(),
        "supervisor is on no call"
    );
    // The demo's two-calls participant: one ended communication, one live.
    let mut target = None;
    for c in env.emu.world().conversations() {
        let id = c["id"].as_str().unwrap().to_owned();
        let g = env
            .get_json(&token, &format!("/api/v2/conversations/{id}"))
            .await;
        for p in g["participants"].as_array().unwrap() {
            if p["calls"].as_array().unwrap().len() == 2 {
                target = Some((id.clone(), p.clone()));
            }
        }
    }
    let (tcid, p) = target.expect("the demo has a participant with two calls[]");
    let pid = p["id"].as_str().unwrap();
    let calls = p["calls"].as_array().unwrap();
    let ended = calls.iter().find(|c| c["state"] == "disconnected").unwrap()["id"]
        .as_str()
        .unwrap();
    let live = calls.iter().find(|c| c["state"] == "connected").unwrap()["id"]
        .as_str()
        .unwrap();
    let comm = |m: &str| {
        format!("/api/v2/conversations/calls/{tcid}/participants/{pid}/communications/{m}")
    };
    let resp = env
        .patch(&token, &comm(live), r#"{"state":"connected"}"#)
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["code"],
        "communication.state.required"
    );
    let resp = env
        .patch(&token, &comm(ended), r#"{"state":"disconnected"}"#)
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["code"],
        "conversation.error.call.disconnected"
    );
    let resp = env
        .patch(&token, &comm(live), r#"{"state":"disconnected"}"#)
        .await;
    assert_eq!(resp.status(), 202);
    assert!(
        eventually(Duration::from_secs(2), || state_of(&env, &tcid, pid)
            == "disconnected")
        .await
    );
}

#[tokio::test]
async fn stale_duplicate_leg_is_refused_and_the_live_one_drops() {
    let env = start().await;
    let token = env.supervisor().await;
    let conv = find(&env, |c| {
        parts(c)
            .iter()
            .any(|p| p["state"] == "terminated" && p["purpose"] == "agent")
    });
    let cid = conv["id"].as_str().unwrap();
    let ps = parts(&conv);
    let stale = ps.iter().find(|p| p["state"] == "terminated").unwrap();
    let live = ps
        .iter()
        .find(|p| p["user"]["id"] == stale["user"]["id"] && p["state"] == "connected")
        .expect("newer leg of the same user");
    let resp = env
        .patch(
            &token,
            &participant_path(cid, stale["id"].as_str().unwrap()),
            r#"{"state":"disconnected"}"#,
        )
        .await;
    assert_eq!(resp.status(), 400);
    let resp = env
        .patch(
            &token,
            &participant_path(cid, live["id"].as_str().unwrap()),
            r#"{"state":"disconnected"}"#,
        )
        .await;
    assert_eq!(resp.status(), 202);
}

#[tokio::test]
async fn whole_conversation_endpoints_end_the_call_for_everyone() {
    let env = start().await;
    let token = env.supervisor().await;
    let observer = env.login(OBSERVER_EMAIL).await;
    let live: Vec<String> = env
        .emu
        .world()
        .conversations()
        .into_iter()
        .filter(|c| c.get("endTime").is_none())
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    let resp = env
        .send(
            reqwest::Method::DELETE,
            &observer,
            &format!("/api/v2/conversations/{}", live[0]),
            None,
        )
        .await;
    assert_eq!(resp.status(), 403);
    let resp = env
        .send(
            reqwest::Method::DELETE,
            &token,
            &format!("/api/v2/conversations/{}", live[0]),
            None,
        )
        .await;
    assert_eq!(resp.status(), 200);
    let resp = env
        .post_json(
            &token,
            &format!("/api/v2/conversations/{}/disconnect", live[1]),
            "",
        )
        .await;
    assert_eq!(resp.status(), 202);
    let resp = env
        .patch(
            &token,
            &format!("/api/v2/conversations/calls/{}", live[2]),
            r#"{"state":"disconnected"}"#,
        )
        .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert!(body["endTime"].is_string());
    for id in &live[..3] {
        let t = env.truth(id);
        assert!(t["endTime"].is_string());
        assert!(live_parties(&t).is_empty());
    }
    let resp = env
        .send(
            reqwest::Method::DELETE,
            &token,
            &format!("/api/v2/conversations/{}", live[0]),
            None,
        )
        .await;
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn user_topic_gets_the_event_of_their_own_hang_up() {
    let env = start().await;
    let conv = conference(&env, 3);
    let cid = conv["id"].as_str().unwrap();
    let leg = agent_leg(&conv);
    let uid = leg["user"]["id"].as_str().unwrap();
    let token = env.supervisor().await;
    let calls = format!("v2.users.{uid}.conversations.calls");
    let plain = format!("v2.users.{uid}.conversations");
    let (_, mut ws) = env.subscribe(&token, &[calls.clone(), plain.clone()]).await;
    env.emu
        .world()
        .leave(cid, leg["id"].as_str().unwrap(), None)
        .unwrap();
    let a = next_event(&mut ws, &calls, Duration::from_secs(2))
        .await
        .expect("calls event");
    let b = next_event(&mut ws, &plain, Duration::from_secs(2))
        .await
        .expect("conversation event");
    let pa = parts(&a["eventBody"])
        .into_iter()
        .find(|p| p["id"] == leg["id"])
        .unwrap();
    assert_eq!(pa["disconnectType"], "endpoint");
    let pb = parts(&b["eventBody"])
        .into_iter()
        .find(|p| p["id"] == leg["id"])
        .unwrap();
    assert_eq!(pb["calls"][0]["state"], "disconnected");
    assert_eq!(pb["userId"], uid);
}
