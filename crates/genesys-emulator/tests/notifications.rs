//! Notification channels, subscriptions and the WebSocket protocol.

mod common;

use std::time::Duration;

use common::*;
use genesys_emulator::FaultSpec;
use serde_json::{Value, json};

async fn create_channel(env: &Env, token: &str) -> Value {
    let resp = env
        .send(
            reqwest::Method::POST,
            token,
            "/api/v2/notifications/channels",
            None,
        )
        .await;
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

fn subs(id: &str) -> String {
    format!("/api/v2/notifications/channels/{id}/subscriptions")
}

fn topics(listing: &Value) -> Vec<String> {
    listing["entities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["state"] == "Permitted")
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn channel_shape_head_and_list() {
    let env = start().await;
    let token = env.supervisor().await;
    let ch = create_channel(&env, &token).await;
    let id = ch["id"].as_str().unwrap();
    assert!(id.starts_with("streaming-"));
    assert_eq!(
        ch["connectUri"],
        format!("{}/channels/{id}", env.base.replacen("http", "ws", 1))
    );
    let expires = chrono::DateTime::parse_from_rfc3339(ch["expires"].as_str().unwrap()).unwrap();
    let hours = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes();
    assert!((23 * 60..=24 * 60).contains(&hours), "24 h lifetime");
    let head = env
        .send(
            reqwest::Method::HEAD,
            &token,
            &format!("/api/v2/notifications/channels/{id}"),
            None,
        )
        .await;
    assert_eq!(head.status(), 200);
    let head = env
        .send(
            reqwest::Method::HEAD,
            &token,
            "/api/v2/notifications/channels/streaming-0-nope",
            None,
        )
        .await;
    assert_eq!(head.status(), 404);
    let list = env.get_json(&token, "/api/v2/notifications/channels").await;
    assert_eq!(list["entities"].as_array().unwrap().len(), 1);
    // Another user does not see it.
    let agent = env.login("agent1@demo.example").await;
    let head = env
        .send(
            reqwest::Method::HEAD,
            &agent,
            &format!("/api/v2/notifications/channels/{id}"),
            None,
        )
        .await;
    assert_eq!(head.status(), 404);
}

#[tokio::test]
async fn the_21st_channel_evicts_the_least_recently_used_and_closes_its_socket() {
    let env = start().await;
    let token = env.supervisor().await;
    let mut channels = Vec::new();
    let mut sockets = Vec::new();
    for _ in 0..20 {
        let ch = create_channel(&env, &token).await;
        sockets.push(connect(ch["connectUri"].as_str().unwrap()).await);
        channels.push(ch["id"].as_str().unwrap().to_owned());
    }
    // Touch the first channel so the second becomes the least recently used.
    let head = env
        .send(
            reqwest::Method::HEAD,
            &token,
            &format!("/api/v2/notifications/channels/{}", channels[0]),
            None,
        )
        .await;
    assert_eq!(head.status(), 200);
    let _ = create_channel(&env, &token).await;
    let code = wait_closed(&mut sockets[1], Duration::from_secs(2)).await;
    assert!(code.is_some(), "the evicted channel's socket is closed");
    let list = env.get_json(&token, "/api/v2/notifications/channels").await;
    let ids: Vec<&str> = list["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 20);
    assert!(!ids.contains(&channels[1].as_str()));
    assert!(ids.contains(&channels[0].as_str()));
    // The first socket is still open: it answers a ping.
    send_text(&mut sockets[0], r#"{"message":"ping"}"#).await;
    let msg = next_message(&mut sockets[0], Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(msg["topicName"], "channel.metadata");
}

#[tokio::test]
async fn unconnected_channels_are_evicted_before_connected_ones() {
    let env = start().await;
    let token = env.supervisor().await;
    let first = create_channel(&env, &token).await;
    let mut ws = connect(first["connectUri"].as_str().unwrap()).await;
    let mut rest = Vec::new();
    for _ in 0..19 {
        rest.push(
            create_channel(&env, &token).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let _ = create_channel(&env, &token).await;
    let list = env.get_json(&token, "/api/v2/notifications/channels").await;
    let ids: Vec<&str> = list["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&first["id"].as_str().unwrap()),
        "connected channel survives"
    );
    assert!(
        !ids.contains(&rest[0].as_str()),
        "oldest unconnected channel evicted"
    );
    send_text(&mut ws, r#"{"message":"ping"}"#).await;
    assert!(
        next_message(&mut ws, Duration::from_secs(2))
            .await
            .is_some()
    );
}

#[tokio::test]
async fn subscriptions_put_replaces_post_adds_delete_clears() {
    let env = start().await;
    let token = env.supervisor().await;
    let ch = create_channel(&env, &token).await;
    let id = ch["id"].as_str().unwrap();
    let q: Vec<String> = env.emu.world().queues().into_iter().map(|q| q.id).collect();
    let t = |i: usize| format!("v2.routing.queues.{}.conversations.calls", q[i]);
    let path = subs(id);
    let put = async |body: Value| {
        env.send(reqwest::Method::PUT, &token, &path, Some(&body.to_string()))
            .await
    };
    let resp = put(json!([{"id": t(0)}, {"id": t(1)}])).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(topics(&resp.json().await.unwrap()), vec![t(0), t(1)]);
    let resp = put(json!([{"id": t(2)}])).await;
    assert_eq!(topics(&resp.json().await.unwrap()), vec![t(2)]);
    let resp = env
        .send(
            reqwest::Method::POST,
            &token,
            &subs(id),
            Some(&json!([{"id": t(3)}, {"id": t(2)}]).to_string()),
        )
        .await;
    assert_eq!(topics(&resp.json().await.unwrap()), vec![t(2), t(3)]);
    let listing = env.get_json(&token, &subs(id)).await;
    assert_eq!(topics(&listing), vec![t(2), t(3)]);
    let resp = env
        .send(reqwest::Method::DELETE, &token, &subs(id), None)
        .await;
    assert_eq!(resp.status(), 200);
    assert!(topics(&env.get_json(&token, &subs(id)).await).is_empty());
    let resp = env
        .send(
            reqwest::Method::PUT,
            &token,
            &subs("streaming-9-missing"),
            Some("[]"),
        )
        .await;
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn invalid_topics_and_the_thousand_topic_cap() {
    let env = start().await;
    let token = env.supervisor().await;
    let ch = create_channel(&env, &token).await;
    let id = ch["id"].as_str().unwrap();
    let q = env.emu.world().queues()[0].id.clone();
    let good = format!("v2.routing.queues.{q}.conversations.calls");
    let bad = "v2.conversations.calls.everything";
    let body = json!([{"id": good}, {"id": bad}]).to_string();
    let resp = env
        .send(reqwest::Method::PUT, &token, &subs(id), Some(&body))
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["code"],
        "notification.invalid.topic"
    );
    let resp = env
        .send(
            reqwest::Method::PUT,
            &token,
            &format!("{}?ignoreErrors=true", subs(id)),
            Some(&body),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let listing: Value = resp.json().await.unwrap();
    assert_eq!(topics(&listing), vec![good.clone()]);
    let rejected = listing["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == bad)
        .unwrap()
        .clone();
    assert_eq!(rejected["state"], "Rejected");
    let resp = env
        .send(reqwest::Method::PUT, &token, &subs(id), Some("{not json"))
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.json::<Value>().await.unwrap()["code"], "bad.request");

    // 1,000 topics fit; one more is refused and leaves the list unchanged.
    let many: Vec<Value> = (0..1000)
        .map(|i| json!({"id": format!("v2.routing.queues.00000000-0000-4000-8000-{i:012}.conversations.calls")}))
        .collect();
    let resp = env
        .send(
            reqwest::Method::PUT,
            &token,
            &subs(id),
            Some(&Value::from(many).to_string()),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(topics(&resp.json().await.unwrap()).len(), 1000);
    let resp = env
        .send(
            reqwest::Method::POST,
            &token,
            &subs(id),
            Some(&json!([{"id": good}]).to_string()),
        )
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["code"],
        "notification.subscription.too.many.subscriptions"
    );
    assert_eq!(topics(&env.get_json(&token, &subs(id)).await).len(), 1000);
}

#[tokio::test]
async fn heartbeat_ping_pong_and_second_connection_replaces_first() {
    let env = start().await;
    let token = env.supervisor().await;
    let ch = create_channel(&env, &token).await;
    let uri = ch["connectUri"].as_str().unwrap();
    let mut ws = connect(uri).await;
    let hb = next_message(&mut ws, Duration::from_secs(2))
        .await
        .expect("heartbeat");
    assert_eq!(
        hb,
        json!({"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}})
    );
    send_text(&mut ws, r#"{"message":"ping"}"#).await;
    let mut got_pong = false;
    for _ in 0..5 {
        let m = next_message(&mut ws, Duration::from_secs(2))
            .await
            .expect("message");
        if m["eventBody"]["message"] == "pong" {
            assert_eq!(m["topicName"], "channel.metadata");
            got_pong = true;
            break;
        }
    }
    assert!(got_pong);
    let mut second = connect(uri).await;
    assert!(
        wait_closed(&mut ws, Duration::from_secs(2)).await.is_some(),
        "first socket closed"
    );
    send_text(&mut second, r#"{"message":"ping"}"#).await;
    assert!(
        next_message(&mut second, Duration::from_secs(2))
            .await
            .is_some()
    );
    // Unknown channel: no upgrade.
    let err = tokio_tungstenite::connect_async(format!(
        "{}/channels/streaming-0-none",
        env.base.replacen("http", "ws", 1)
    ))
    .await;
    assert!(err.is_err());
}

#[tokio::test]
async fn socket_closing_is_announced_then_the_socket_closes() {
    let env = start().await;
    let token = env.supervisor().await;
    let ch = create_channel(&env, &token).await;
    let mut ws = connect(ch["connectUri"].as_str().unwrap()).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    env.emu
        .world()
        .add_fault(FaultSpec::SocketClosing {
            grace_ms: Some(200),
        })
        .unwrap();
    let msg = next_event(&mut ws, "v2.system.socket_closing", Duration::from_secs(2))
        .await
        .expect("socket_closing");
    assert_eq!(msg["eventBody"]["channelId"], ch["id"]);
    assert!(msg["metadata"]["CorrelationId"].is_string());
    assert!(wait_closed(&mut ws, Duration::from_secs(2)).await.is_some());
    // The channel survives: a new socket on it works.
    let mut again = connect(ch["connectUri"].as_str().unwrap()).await;
    env.emu
        .world()
        .add_fault(FaultSpec::CloseSockets {})
        .unwrap();
    assert!(
        wait_closed(&mut again, Duration::from_secs(2))
            .await
            .is_some()
    );
}

#[tokio::test]
async fn drop_and_delay_event_faults() {
    let env = start().await;
    let token = env.supervisor().await;
    let conv = conference(&env, 3);
    let cid = conv["id"].as_str().unwrap().to_owned();
    let q = conv["queueId"].as_str().unwrap();
    let topic = format!("v2.routing.queues.{q}.conversations.calls");
    let (_, mut ws) = env.subscribe(&token, std::slice::from_ref(&topic)).await;
    let world = env.emu.world();
    world
        .add_fault(FaultSpec::DropEvents {
            count: Some(1),
            rate: None,
        })
        .unwrap();
    let pid = |i: usize| {
        live_parties(&env.truth(&cid))[i]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    world
        .join(
            &cid,
            genesys_emulator::PartyRequest {
                purpose: "external".into(),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(
        next_event(&mut ws, &topic, Duration::from_millis(300))
            .await
            .is_none(),
        "dropped"
    );
    assert_eq!(world.event_stats().dropped, 1);
    world.add_fault(FaultSpec::DelayEvents { ms: 300 }).unwrap();
    let started = std::time::Instant::now();
    world.leave(&cid, &pid(0), None).unwrap();
    let ev = next_event(&mut ws, &topic, Duration::from_secs(2))
        .await
        .expect("delayed event");
    assert!(started.elapsed() >= Duration::from_millis(280));
    assert_eq!(ev["eventBody"]["id"], cid.as_str());
}

#[tokio::test]
async fn available_topics_lists_what_we_publish() {
    let env = start().await;
    let token = env.supervisor().await;
    let t = env
        .get_json(&token, "/api/v2/notifications/availabletopics")
        .await;
    let ids: Vec<&str> = t["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    for want in [
        "v2.routing.queues.{id}.conversations.calls",
        "v2.routing.queues.{id}.conversations",
        "v2.users.{id}.conversations.calls",
        "v2.users.{id}.conversations",
    ] {
        assert!(ids.contains(&want), "{want}");
    }
    assert!(t["entities"][0]["requiresPermissions"].is_array());
}

#[tokio::test]
async fn revoking_tokens_announces_token_revoked_on_the_open_sockets() {
    let env = start().await;
    let token = env.supervisor().await;
    let ch = create_channel(&env, &token).await;
    let mut ws = connect(ch["connectUri"].as_str().unwrap()).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Another user's revocation is not announced on this socket.
    env.emu
        .world()
        .add_fault(FaultSpec::RevokeTokens {
            user_id: Some("someone-else".into()),
        })
        .unwrap();
    let topic = format!("v2.system.token_revoked.{}", ch["id"].as_str().unwrap());
    assert!(
        next_event(&mut ws, &topic, Duration::from_millis(300))
            .await
            .is_none(),
        "another user's revocation must not reach this socket"
    );
    env.emu
        .world()
        .add_fault(FaultSpec::RevokeTokens { user_id: None })
        .unwrap();
    let msg = next_event(&mut ws, &topic, Duration::from_secs(2))
        .await
        .expect("token_revoked");
    assert_eq!(msg["eventBody"]["channelId"], ch["id"]);
    assert_eq!(msg["eventBody"]["systemTopicType"], "token_revoked");
    assert!(msg["metadata"]["CorrelationId"].is_string());
}
