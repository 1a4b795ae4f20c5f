//! The analytics conversation details query as inconvenient as the platform's: lagging
//! snapshots, the day-based interval rule, a maximum paging depth, segment fields, queue-less
//! bridges and a user without the detail permission. Real HTTP against 127.0.0.1:0.
//!
//! One file (over 600 lines) because the analytics cases share the lagging-snapshot fixtures.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::*;
use genesys_emulator::{
    EmulatorConfig, NewCallRequest, PartyRequest, SUPERVISOR_EMAIL, ScenarioName, agent_email,
};
use serde_json::{Value, json};

const DETAILS: &str = "/api/v2/analytics/conversations/details/query";
const LAG: Duration = Duration::from_millis(300);

fn lagging(scenario: ScenarioName) -> EmulatorConfig {
    EmulatorConfig {
        scenario,
        analytics_lag: LAG,
        ..config()
    }
}

/// Yesterday 00:00 to tomorrow 00:00 UTC: what a live board queries (docs/genesys-api.md, "Reading many calls").
fn wide_interval() -> String {
    let today = Utc::now().date_naive();
    let day = |d: chrono::NaiveDate| format!("{}T00:00:00.000Z", d.format("%Y-%m-%d"));
    format!(
        "{}/{}",
        day(today - chrono::Days::new(1)),
        day(today + chrono::Days::new(1))
    )
}

fn active_filter() -> Value {
    json!([{"type": "and", "predicates": [{"dimension": "conversationEnd", "operator": "notExists"}]}])
}

async fn details(env: &Env, token: &str, query: Value) -> reqwest::Response {
    env.post_json(token, DETAILS, &query.to_string()).await
}

async fn details_ok(env: &Env, token: &str, query: Value) -> Value {
    let resp = details(env, token, query.clone()).await;
    assert_eq!(resp.status(), 200, "query {query}");
    resp.json().await.unwrap()
}

async fn error_of(resp: reqwest::Response, status: u16, code: &str) -> String {
    assert_eq!(resp.status(), status);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    body["message"].as_str().unwrap().to_owned()
}

/// The analytics view of one conversation (by conversationId predicate), if visible.
async fn seen(env: &Env, token: &str, id: &str) -> Option<Value> {
    let body = details_ok(
        env,
        token,
        json!({
            "interval": wide_interval(),
            "conversationFilters": [{"type": "and", "predicates": [{"dimension": "conversationId", "value": id}]}],
        }),
    )
    .await;
    body["conversations"]
        .as_array()
        .and_then(|c| c.first().cloned())
}

fn participant_ids(c: &Value) -> Vec<String> {
    c["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["participantId"].as_str().unwrap().to_owned())
        .collect()
}

fn ids(body: &Value) -> Vec<String> {
    body["conversations"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .map(|c| c["conversationId"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn new_call(env: &Env) -> Value {
    let world = env.emu.world();
    let agent = world.user_id(&agent_email(1)).unwrap();
    world
        .create_call(NewCallRequest {
            queue_id: world.queue_id("Support"),
            parties: vec![
                PartyRequest {
                    purpose: "customer".into(),
                    ..Default::default()
                },
                PartyRequest {
                    purpose: "agent".into(),
                    user_id: Some(agent),
                    ..Default::default()
                },
            ],
        })
        .unwrap()
}

#[tokio::test]
async fn details_show_each_call_as_it_was_one_lag_ago() {
    let env = start_with(lagging(ScenarioName::Empty)).await;
    let sup = env.supervisor().await;
    let call = new_call(&env);
    let id = call["id"].as_str().unwrap().to_owned();
    // Created less than the lag ago: not there yet, in the query and the single read.
    assert!(seen(&env, &sup, &id).await.is_none(), "a brand-new call");
    let one = env
        .get(
            &sup,
            &format!("/api/v2/analytics/conversations/{id}/details"),
        )
        .await;
    assert_eq!(one.status(), 404);
    tokio::time::sleep(LAG + Duration::from_millis(100)).await;
    let c = seen(&env, &sup, &id).await.expect("visible after the lag");
    assert_eq!(participant_ids(&c).len(), 3, "customer, acd, agent");
    let one = env
        .get_json(
            &sup,
            &format!("/api/v2/analytics/conversations/{id}/details"),
        )
        .await;
    assert_eq!(one["conversationId"], id.as_str());

    // A party joins: the old roster until the lag has passed.
    env.emu
        .world()
        .join(
            &id,
            PartyRequest {
                purpose: "external".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let c = seen(&env, &sup, &id).await.unwrap();
    assert_eq!(participant_ids(&c).len(), 3, "the join is not visible yet");
    tokio::time::sleep(LAG + Duration::from_millis(100)).await;
    let c = seen(&env, &sup, &id).await.unwrap();
    assert_eq!(participant_ids(&c).len(), 4, "the join shows after the lag");

    // The call ends: still live in analytics until the lag has passed.
    env.emu.world().end(&id).unwrap();
    let c = seen(&env, &sup, &id).await.unwrap();
    assert!(c.get("conversationEnd").is_none(), "ended just now: live");
    let live = details_ok(
        &env,
        &sup,
        json!({"interval": wide_interval(), "conversationFilters": active_filter()}),
    )
    .await;
    assert_eq!(ids(&live), vec![id.clone()]);
    tokio::time::sleep(LAG + Duration::from_millis(100)).await;
    let c = seen(&env, &sup, &id).await.unwrap();
    assert!(c["conversationEnd"].is_string(), "ended after the lag");
    let live = details_ok(
        &env,
        &sup,
        json!({"interval": wide_interval(), "conversationFilters": active_filter()}),
    )
    .await;
    assert_eq!(live, json!({"totalHits": 0}));

    // Old snapshots are dropped once the lag has passed (memory stays bounded).
    let stats: Value = env
        .http
        .get(env.url("/_emulator/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["analyticsSnapshots"], 0, "{stats}");
}

#[tokio::test]
async fn lag_and_depth_are_settable_through_the_control_plane() {
    let env = start_with(lagging(ScenarioName::Empty)).await;
    let sup = env.supervisor().await;
    let got: Value = env
        .http
        .get(env.url("/_emulator/analytics"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got, json!({"lagMs": 300, "maxResults": 100_000}));
    let resp = env.control("/analytics", json!({"lagMs": 0})).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!({"lagMs": 0, "maxResults": 100_000}));
    let id = new_call(&env)["id"].as_str().unwrap().to_owned();
    assert!(seen(&env, &sup, &id).await.is_some(), "lag 0: at once");
    let resp = env
        .control("/analytics", json!({"lagMs": 60_000, "maxResults": 30}))
        .await;
    assert_eq!(resp.status(), 200);
    let later = new_call(&env)["id"].as_str().unwrap().to_owned();
    assert!(seen(&env, &sup, &later).await.is_none(), "a minute's lag");
    assert_eq!(
        env.control("/analytics", json!({"maxResults": 0}))
            .await
            .status(),
        400
    );
    // Reset returns to the configured values.
    assert_eq!(env.control("/reset", json!({})).await.status(), 200);
    assert_eq!(env.emu.world().analytics().max_results, 100_000);
    assert_eq!(env.emu.world().analytics().lag.num_milliseconds(), 300);
}

#[tokio::test]
async fn scenario_calls_are_visible_at_once_but_observations_are_real_time() {
    let env = start_with(EmulatorConfig {
        analytics_lag: Duration::from_secs(60),
        ..lagging(ScenarioName::Demo)
    })
    .await;
    let sup = env.supervisor().await;
    let body = details_ok(
        &env,
        &sup,
        json!({"interval": wide_interval(), "conversationFilters": active_filter(), "paging": {"pageSize": 100}}),
    )
    .await;
    let active = env
        .emu
        .world()
        .conversations()
        .iter()
        .filter(|c| c.get("endTime").is_none())
        .count();
    assert_eq!(body["totalHits"], active, "loaded calls exist since load");
    // A new call shows in queue observations at once, not in the details.
    let id = new_call(&env)["id"].as_str().unwrap().to_owned();
    let support = env.emu.world().queue_id("Support").unwrap();
    let obs: Value = env
        .post_json(
            &sup,
            "/api/v2/analytics/queues/observations/query",
            &json!({
                "filter": {"type": "or", "predicates": [{"dimension": "queueId", "value": support}]},
                "metrics": ["oInteracting"], "detailMetrics": ["oInteracting"],
            })
            .to_string(),
        )
        .await
        .json()
        .await
        .unwrap();
    let observed: Vec<&str> = obs["results"][0]["data"][0]["observations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["conversationId"].as_str().unwrap())
        .collect();
    assert!(
        observed.contains(&id.as_str()),
        "observations are real time"
    );
    assert!(seen(&env, &sup, &id).await.is_none());
}

#[tokio::test]
async fn interval_keeps_calls_that_started_on_a_touched_utc_day() {
    let env = start().await;
    let sup = env.supervisor().await;
    let conv = conference(&env, 3);
    let id = conv["id"].as_str().unwrap();
    let start: DateTime<Utc> = conv["startTime"].as_str().unwrap().parse().unwrap();
    let midnight = start.date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc();
    let fmt = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let q = |a: DateTime<Utc>, b: DateTime<Utc>| {
        json!({
            "interval": format!("{}/{}", fmt(a), fmt(b)),
            "conversationFilters": [{"type": "and", "predicates": [{"dimension": "conversationId", "value": id}]}],
        })
    };
    let s = chrono::Duration::seconds(1);
    let d = chrono::Duration::days(1);
    // The first second of the day: the call did not exist then, but it started that day.
    let body = details_ok(&env, &sup, q(midnight, midnight + s)).await;
    assert_eq!(ids(&body), vec![id.to_owned()], "same UTC day");
    // The previous day only (end exclusive at midnight): not included.
    let body = details_ok(&env, &sup, q(midnight - s, midnight)).await;
    assert_eq!(body["totalHits"], 0, "previous day");
    // Touching both days: included.
    let body = details_ok(
        &env,
        &sup,
        q(midnight - s, midnight + chrono::Duration::milliseconds(1)),
    )
    .await;
    assert_eq!(body["totalHits"], 1);
    // The next day (while the call is still live): not included.
    let body = details_ok(&env, &sup, q(midnight + d, midnight + d + s)).await;
    assert_eq!(body["totalHits"], 0, "next day, call still live");

    // Bad intervals: 400 with a specific message.
    let missing = error_of(
        details(&env, &sup, json!({"conversationFilters": []})).await,
        400,
        "bad.request",
    )
    .await;
    assert!(missing.contains("interval is required"), "{missing}");
    for (interval, why) in [
        ("yesterday", "not of the form start/end"),
        (
            "2024-01-01T00:00:00Z/2024-01-02T00:00:00Z/2024-01-03T00:00:00Z",
            "not of the form start/end",
        ),
        (
            "2024-01-02T00:00:00Z/2024-01-01T00:00:00Z",
            "start must be before the end",
        ),
        (
            "2024-01-01T00:00:00Z/2024-01-01T00:00:00Z",
            "start must be before the end",
        ),
        (
            "2024-13-01T00:00:00Z/2024-01-02T00:00:00Z",
            "start [2024-13-01",
        ),
        ("2024-01-01T00:00:00Z/soon", "end [soon]"),
    ] {
        let msg = error_of(
            details(&env, &sup, json!({"interval": interval})).await,
            400,
            "invalid.date",
        )
        .await;
        assert!(msg.contains(why), "{interval}: {msg}");
    }
}

#[tokio::test]
async fn paging_is_capped_in_size_and_depth() {
    let env = start().await;
    let sup = env.supervisor().await;
    let q = |size: u64, number: u64| json!({"interval": wide_interval(), "paging": {"pageSize": size, "pageNumber": number}});
    let msg = error_of(details(&env, &sup, q(101, 1)).await, 400, "bad.request").await;
    assert!(msg.contains("101"), "{msg}");
    assert_eq!(details(&env, &sup, q(100, 1)).await.status(), 200);
    // The platform's depth: 100,000 results.
    assert_eq!(details(&env, &sup, q(100, 1000)).await.status(), 200);
    let msg = error_of(details(&env, &sup, q(100, 1001)).await, 400, "bad.request").await;
    assert!(msg.contains("too deep"), "{msg}");
    // Lowered for tests through the control plane.
    env.control("/analytics", json!({"maxResults": 50})).await;
    assert_eq!(details(&env, &sup, q(25, 2)).await.status(), 200);
    let msg = error_of(details(&env, &sup, q(25, 3)).await, 400, "bad.request").await;
    assert!(msg.contains("too deep") && msg.contains("[50]"), "{msg}");
    let msg = error_of(details(&env, &sup, q(0, 1)).await, 400, "bad.request").await;
    assert!(msg.contains("pageSize"), "{msg}");
}

#[tokio::test]
async fn segments_carry_audio_muted_and_sessions_one_media_bridge_id() {
    let env = start().await;
    let sup = env.supervisor().await;
    let body = details_ok(
        &env,
        &sup,
        json!({"interval": wide_interval(), "paging": {"pageSize": 100}}),
    )
    .await;
    let convs = body["conversations"].as_array().unwrap();
    assert!(convs.len() >= 10);
    let mut muted_seen = false;
    let mut bridges = HashSet::new();
    for c in convs {
        let id = c["conversationId"].as_str().unwrap();
        let rest = env
            .get_json(&sup, &format!("/api/v2/conversations/{id}"))
            .await;
        let truth = env.truth(id);
        let mut bridge: Option<String> = None;
        // participantId is the Conversations API participant id, sessionId the calls[].id.
        assert_eq!(
            participant_ids(c),
            parts(&truth)
                .iter()
                .map(|p| p["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        );
        for (p, rp) in c["participants"]
            .as_array()
            .unwrap()
            .iter()
            .zip(rest["participants"].as_array().unwrap())
        {
            assert_eq!(p["participantId"], rp["id"]);
            let sessions = p["sessions"].as_array().unwrap();
            let calls = rp["calls"].as_array().unwrap();
            assert_eq!(sessions.len(), calls.len());
            let true_p = parts(&truth)
                .into_iter()
                .find(|t| t["id"] == p["participantId"])
                .unwrap();
            for (s, call) in sessions.iter().zip(calls) {
                assert_eq!(s["sessionId"], call["id"]);
                let b = s["mediaBridgeId"]
                    .as_str()
                    .expect("mediaBridgeId")
                    .to_owned();
                assert_ne!(b, id, "not the conversation id");
                assert_eq!(bridge.get_or_insert(b.clone()), &b, "one bridge per call");
                let live = call["state"] != "disconnected" && call["state"] != "terminated";
                let segs = s["segments"].as_array().unwrap();
                for (i, seg) in segs.iter().enumerate() {
                    let muted = seg["audioMuted"].as_bool().expect("audioMuted");
                    let open = seg.get("segmentEnd").is_none();
                    if open {
                        assert!(
                            live && i == segs.len() - 1,
                            "only a live leg's last segment is open"
                        );
                        assert_eq!(muted, call["muted"] == true, "open segment: current mute");
                        muted_seen |= muted;
                    }
                }
                if live && true_p["state"] == "connected" {
                    assert!(
                        segs.last().unwrap().get("segmentEnd").is_none(),
                        "a connected leg has an open segment"
                    );
                }
            }
        }
        bridges.insert(bridge.unwrap());
    }
    assert!(muted_seen, "the demo's muted consultant");
    assert_eq!(
        bridges.len(),
        convs.len(),
        "bridge ids differ between calls"
    );
}

#[tokio::test]
async fn a_user_without_the_detail_permission_gets_403() {
    let env = start().await;
    let resp = env
        .control(
            "/users",
            json!({
                "email": "nodetail@demo.example",
                "name": "Nadia No-Detail",
                "permissions": [
                    "conversation:communication:view",
                    "analytics:queueObservation:view",
                    "routing:queue:view",
                ],
            }),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let user: Value = resp.json().await.unwrap();
    assert_eq!(user["email"], "nodetail@demo.example");
    let token = env.login("nodetail@demo.example").await;
    let support = env.emu.world().queue_id("Support").unwrap();
    let obs = env
        .post_json(
            &token,
            "/api/v2/analytics/queues/observations/query",
            &json!({
                "filter": {"type": "or", "predicates": [{"dimension": "queueId", "value": support}]},
                "metrics": ["oInteracting"],
            })
            .to_string(),
        )
        .await;
    assert_eq!(obs.status(), 200, "queue observations are allowed");
    let any = find(&env, |c| c.get("endTime").is_none());
    let read = env
        .get(
            &token,
            &format!("/api/v2/conversations/{}", any["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(read.status(), 200, "conversation view is allowed");
    let msg = error_of(
        details(&env, &token, json!({"interval": wide_interval()})).await,
        403,
        "missing.any.permissions",
    )
    .await;
    assert!(msg.contains("analytics:conversationDetail:view"), "{msg}");
    // Changing an existing user by email: the supervisor loses the permission at once.
    let sup = env.supervisor().await;
    env.control(
        "/users",
        json!({"email": SUPERVISOR_EMAIL, "permissions": ["conversation:communication:view"]}),
    )
    .await;
    assert_eq!(
        details(&env, &sup, json!({"interval": wide_interval()}))
            .await
            .status(),
        403
    );
    let bad = env
        .control("/users", json!({"email": "new@demo.example"}))
        .await;
    assert_eq!(bad.status(), 400, "a new user needs permissions");
    // Reset brings the scenario's users back.
    env.control("/reset", json!({})).await;
    assert!(env.emu.world().user_id("nodetail@demo.example").is_none());
    assert_eq!(
        details(&env, &sup, json!({"interval": wide_interval()}))
            .await
            .status(),
        200
    );
}

fn is_bridge(c: &Value) -> bool {
    c["queueId"].is_null()
        && parts(c)
            .iter()
            .all(|p| p["purpose"] != "acd" && p["queue"].is_null())
}

#[tokio::test]
async fn load_has_queue_less_bridges_seen_only_through_their_users() {
    let env = start_with(EmulatorConfig {
        conversations: 1000,
        ..lagging(ScenarioName::Load)
    })
    .await;
    let sup = env.supervisor().await;
    let world = env.emu.world();
    let convs = world.conversations();
    let bridges: Vec<&Value> = convs.iter().filter(|c| is_bridge(c)).collect();
    assert!(
        (20..=40).contains(&bridges.len()),
        "about 3 % bridges: {}",
        bridges.len()
    );
    let sup_id = world.user_id(SUPERVISOR_EMAIL).unwrap();
    assert!(
        bridges
            .iter()
            .any(|b| parts(b).iter().any(|p| p["user"]["id"] == sup_id.as_str())),
        "some bridges are the supervisor's"
    );
    for b in &bridges {
        let live = live_parties(b);
        assert!(
            (3..=4).contains(&live.len()),
            "a user and 2-3 outside parties"
        );
        assert_eq!(
            live.iter().filter(|p| p["user"].is_object()).count(),
            1,
            "one user party"
        );
    }
    // Never in queue observations.
    let queues: Vec<Value> = world
        .queues()
        .iter()
        .map(|q| json!({"dimension": "queueId", "value": q.id}))
        .collect();
    let obs: Value = env
        .post_json(
            &sup,
            "/api/v2/analytics/queues/observations/query",
            &json!({
                "filter": {"type": "or", "predicates": queues},
                "metrics": ["oInteracting", "oWaiting", "oAlerting"],
                "detailMetrics": ["oInteracting", "oWaiting", "oAlerting"],
            })
            .to_string(),
        )
        .await
        .json()
        .await
        .unwrap();
    let bridge_ids: HashSet<&str> = bridges.iter().map(|b| b["id"].as_str().unwrap()).collect();
    let mut observed = 0;
    for group in obs["results"].as_array().unwrap() {
        for d in group["data"].as_array().unwrap() {
            for o in d["observations"].as_array().into_iter().flatten() {
                observed += 1;
                assert!(!bridge_ids.contains(o["conversationId"].as_str().unwrap()));
            }
        }
    }
    assert!(observed > 500);
    // In the details query when filtered by the user, not when filtered by a queue.
    let b = bridges[1];
    let uid = parts(b)
        .iter()
        .find_map(|p| p["user"]["id"].as_str().map(str::to_owned))
        .unwrap();
    let by_user = details_ok(
        &env,
        &sup,
        json!({
            "interval": wide_interval(),
            "conversationFilters": active_filter(),
            "segmentFilters": [{"type": "and", "predicates": [{"dimension": "userId", "value": uid}]}],
            "paging": {"pageSize": 100},
        }),
    )
    .await;
    let got = ids(&by_user);
    assert!(got.contains(&b["id"].as_str().unwrap().to_owned()));
    let expected: HashSet<String> = convs
        .iter()
        .filter(|c| parts(c).iter().any(|p| p["user"]["id"] == uid.as_str()))
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got.iter().cloned().collect::<HashSet<_>>(), expected);
    let bridge_view = by_user["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["conversationId"] == b["id"])
        .unwrap();
    assert_eq!(bridge_view["originatingDirection"], "outbound");
    for p in bridge_view["participants"].as_array().unwrap() {
        for s in p["sessions"].as_array().unwrap() {
            for seg in s["segments"].as_array().unwrap() {
                assert!(seg.get("queueId").is_none(), "no queueId anywhere");
            }
        }
    }
    for q in world.queues() {
        let by_queue = details_ok(
            &env,
            &sup,
            json!({
                "interval": wide_interval(),
                "segmentFilters": [{"type": "and", "predicates": [{"dimension": "queueId", "value": q.id}]}],
                "conversationFilters": [{"type": "and", "predicates": [{"dimension": "conversationId", "value": b["id"]}]}],
            }),
        )
        .await;
        assert_eq!(by_queue["totalHits"], 0);
    }
    // Agents scale with the calls: a plausible handful each.
    let agents = world
        .users()
        .iter()
        .filter(|u| u.email.starts_with("agent"))
        .count();
    assert!(agents >= 300, "{agents} agents for 1,000 calls");
    let mut per_user = std::collections::HashMap::<String, usize>::new();
    for c in &convs {
        for p in live_parties(c) {
            if let Some(u) = p["user"]["id"].as_str() {
                *per_user.entry(u.to_owned()).or_default() += 1;
            }
        }
    }
    per_user.remove(&sup_id);
    let max = per_user.values().max().copied().unwrap_or(0);
    assert!(max <= 12, "at most a handful of calls per agent, got {max}");
}

#[tokio::test]
async fn bridge_events_reach_user_topics_and_never_queue_topics() {
    let env = start_scenario(ScenarioName::Empty).await;
    let sup = env.supervisor().await;
    let world = env.emu.world();
    let agent = world.user_id(&agent_email(3)).unwrap();
    let mut topics: Vec<String> = world
        .queues()
        .iter()
        .flat_map(|q| {
            [
                format!("v2.routing.queues.{}.conversations.calls", q.id),
                format!("v2.routing.queues.{}.conversations", q.id),
            ]
        })
        .collect();
    let user_topic = format!("v2.users.{agent}.conversations.calls");
    topics.push(user_topic.clone());
    let (_, mut ws) = env.subscribe(&sup, &topics).await;
    // One queue call and one bridge for the same agent.
    let queued = world
        .create_call(NewCallRequest {
            queue_id: world.queue_id("Sales"),
            parties: vec![
                PartyRequest {
                    purpose: "customer".into(),
                    ..Default::default()
                },
                PartyRequest {
                    purpose: "agent".into(),
                    user_id: Some(agent.clone()),
                    ..Default::default()
                },
            ],
        })
        .unwrap();
    let bridge = world
        .create_call(NewCallRequest {
            queue_id: None,
            parties: vec![
                PartyRequest {
                    purpose: "user".into(),
                    user_id: Some(agent.clone()),
                    ..Default::default()
                },
                PartyRequest {
                    purpose: "external".into(),
                    name: Some("Contoso Legal".into()),
                    ..Default::default()
                },
                PartyRequest {
                    purpose: "external".into(),
                    name: Some("Northwind Insurance".into()),
                    ..Default::default()
                },
            ],
        })
        .unwrap();
    let bridge_id = bridge["id"].as_str().unwrap().to_owned();
    let pid = parts(&bridge)[2]["id"].as_str().unwrap().to_owned();
    world.leave(&bridge_id, &pid, None).unwrap();
    let mut on_user = Vec::new();
    let mut on_queue = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(800);
    while let Some(msg) = next_message(
        &mut ws,
        deadline.saturating_duration_since(tokio::time::Instant::now()),
    )
    .await
    {
        let topic = msg["topicName"].as_str().unwrap_or_default().to_owned();
        let id = msg["eventBody"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if topic == user_topic {
            on_user.push(id);
        } else if topic.starts_with("v2.routing.queues.") {
            on_queue.push(id);
        }
    }
    let queued_id = queued["id"].as_str().unwrap().to_owned();
    assert_eq!(
        on_user,
        vec![queued_id.clone(), bridge_id.clone(), bridge_id.clone()],
        "the user topic fires for every call the user is on"
    );
    assert!(on_queue.contains(&queued_id));
    assert!(
        !on_queue.contains(&bridge_id),
        "a bridge never reaches queue topics"
    );
}

#[tokio::test]
async fn user_topics_fire_for_every_call_of_a_load_agent() {
    let env = start_with(EmulatorConfig {
        conversations: 1000,
        ..lagging(ScenarioName::Load)
    })
    .await;
    let sup = env.supervisor().await;
    let world = env.emu.world();
    let convs = world.conversations();
    // An agent with a bridge and queue calls.
    let (uid, mine) = convs
        .iter()
        .filter(|c| is_bridge(c))
        .filter_map(|b| {
            let uid = parts(b)
                .iter()
                .find_map(|p| p["user"]["id"].as_str().map(str::to_owned))?;
            let mine: Vec<String> = convs
                .iter()
                .filter(|c| parts(c).iter().any(|p| p["user"]["id"] == uid.as_str()))
                .map(|c| c["id"].as_str().unwrap().to_owned())
                .collect();
            (mine.len() >= 2).then_some((uid, mine))
        })
        .next()
        .expect("an agent with a bridge and another call");
    let topic = format!("v2.users.{uid}.conversations.calls");
    let (_, mut ws) = env.subscribe(&sup, std::slice::from_ref(&topic)).await;
    for id in &mine {
        world
            .join(
                id,
                PartyRequest {
                    purpose: "external".into(),
                    ..Default::default()
                },
            )
            .unwrap();
    }
    let mut got = HashSet::new();
    while got.len() < mine.len() {
        let Some(msg) = next_event(&mut ws, &topic, Duration::from_secs(2)).await else {
            break;
        };
        got.insert(msg["eventBody"]["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(got, mine.into_iter().collect::<HashSet<_>>());
}

#[tokio::test]
async fn five_thousand_calls_load_fast_and_pages_add_up_to_the_truth() {
    let t0 = Instant::now();
    let env = start_with(EmulatorConfig {
        conversations: 5000,
        ..lagging(ScenarioName::Load)
    })
    .await;
    let loaded = t0.elapsed();
    eprintln!("5,000-call load scenario started in {loaded:?}");
    let sup = env.supervisor().await;
    let truth: HashSet<String> = env
        .emu
        .world()
        .conversations()
        .iter()
        .filter(|c| c.get("endTime").is_none())
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(truth.len(), 5000);
    let mut seen = HashSet::new();
    let mut rows = 0;
    let mut page = 1;
    let t1 = Instant::now();
    loop {
        let body = details_ok(
            &env,
            &sup,
            json!({
                "interval": wide_interval(),
                "conversationFilters": active_filter(),
                "order": "asc",
                "paging": {"pageSize": 100, "pageNumber": page},
            }),
        )
        .await;
        let got = ids(&body);
        if got.is_empty() {
            break;
        }
        rows += got.len();
        seen.extend(got);
        page += 1;
    }
    eprintln!(
        "read {rows} rows in {} pages in {:?}",
        page - 1,
        t1.elapsed()
    );
    assert_eq!(page - 1, 50);
    assert_eq!(rows, seen.len(), "no duplicates without churn");
    assert_eq!(seen, truth);

    // Under churn, pages drift: de-duplicated ids are live calls from the truth, all of them
    // except the few that changed within the lag.
    env.emu.world().set_churn(3000.0);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut seen = HashSet::new();
    for page in 1..=55 {
        let body = details_ok(
            &env,
            &sup,
            json!({
                "interval": wide_interval(),
                "conversationFilters": active_filter(),
                "paging": {"pageSize": 100, "pageNumber": page},
            }),
        )
        .await;
        seen.extend(ids(&body));
    }
    env.emu.world().set_churn(0.0);
    let all: HashSet<String> = env
        .emu
        .world()
        .conversations()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(seen.is_subset(&all), "only real calls");
    assert!(seen.len() > 4800, "nearly all of them: {}", seen.len());
}
