//! REST shapes, headers, error bodies, rate limiting and request faults.
//!
//! One file (over 600 lines) because the REST shapes are checked against one running emulator's fixtures.

mod common;

use std::time::Duration;

use common::*;
use genesys_emulator::{EmulatorConfig, FaultSpec, OBSERVER_EMAIL, SUPERVISOR_EMAIL};
use serde_json::{Value, json};

fn assert_headers(resp: &reqwest::Response) -> String {
    let h = resp.headers();
    let cid = h
        .get("inin-correlation-id")
        .expect("ININ-Correlation-Id")
        .to_str()
        .unwrap()
        .to_owned();
    uuid::Uuid::parse_str(&cid).expect("correlation id is a uuid");
    for name in [
        "inin-ratelimit-allowed",
        "inin-ratelimit-count",
        "inin-ratelimit-reset",
    ] {
        let v = h
            .get(name)
            .unwrap_or_else(|| panic!("{name}"))
            .to_str()
            .unwrap();
        v.parse::<u64>()
            .unwrap_or_else(|_| panic!("{name} is an integer"));
    }
    cid
}

async fn assert_error(resp: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(resp.status(), status);
    let cid = assert_headers(&resp);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], code);
    assert_eq!(body["status"], status);
    assert_eq!(
        body["contextId"],
        cid.as_str(),
        "contextId is the correlation id"
    );
    assert!(body["message"].is_string());
    assert!(body["messageWithParams"].is_string());
    assert!(body["messageParams"].is_object());
    assert!(body["details"].is_array());
    assert!(body["errors"].is_array());
    body
}

#[tokio::test]
async fn users_me_and_lookups() {
    let env = start().await;
    let token = env.supervisor().await;
    let resp = env
        .get(
            &token,
            "/api/v2/users/me?expand=authorization&unknownParam=1",
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_headers(&resp);
    let me: Value = resp.json().await.unwrap();
    assert_eq!(me["name"], "Sam Supervisor");
    assert_eq!(me["email"], SUPERVISOR_EMAIL);
    assert_eq!(me["state"], "active");
    let perms: Vec<&str> = me["authorization"]["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    for p in [
        "conversation:communication:disconnect",
        "conversation:communication:view",
        "analytics:queueObservation:view",
        "routing:queue:view",
        "analytics:conversationDetail:view",
    ] {
        assert!(perms.contains(&p), "{p}");
    }
    assert!(me["authorization"]["roles"][0]["name"].is_string());
    let plain = env.get_json(&token, "/api/v2/users/me").await;
    assert!(plain.get("authorization").is_none());
    let observer = env.login(OBSERVER_EMAIL).await;
    let me = env
        .get_json(&observer, "/api/v2/users/me?expand=authorization")
        .await;
    assert!(
        !me["authorization"]["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "conversation:communication:disconnect")
    );
    let id = me["id"].as_str().unwrap();
    let user = env.get_json(&token, &format!("/api/v2/users/{id}")).await;
    assert_eq!(user["email"], OBSERVER_EMAIL);
    assert_error(
        env.get(&token, "/api/v2/users/nope").await,
        404,
        "not.found",
    )
    .await;
    let users = env
        .get_json(&token, "/api/v2/users?pageSize=5&pageNumber=2")
        .await;
    assert_eq!(users["entities"].as_array().unwrap().len(), 5);
    assert_eq!(users["total"], 16);
    assert_eq!(users["pageCount"], 4);
    assert!(users["nextUri"].is_string() && users["previousUri"].is_string());
}

#[tokio::test]
async fn routing_queues_search_paging_and_mine() {
    let env = start().await;
    let token = env.supervisor().await;
    let all = env.get_json(&token, "/api/v2/routing/queues").await;
    assert_eq!(all["pageSize"], 25);
    assert_eq!(all["pageNumber"], 1);
    assert_eq!(all["total"], 4);
    let names: Vec<&str> = all["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Billing", "Retention", "Sales", "Support"]);
    let q = &all["entities"][0];
    assert!(q["id"].is_string() && q["division"]["id"].is_string() && q["memberCount"].is_number());
    let found = env
        .get_json(&token, "/api/v2/routing/queues?name=*PORT*")
        .await;
    assert_eq!(found["total"], 1);
    assert_eq!(found["entities"][0]["name"], "Support");
    let found = env.get_json(&token, "/api/v2/routing/queues?name=s*").await;
    assert_eq!(found["total"], 2);
    let ids: Vec<String> = env.emu.world().queues().into_iter().map(|q| q.id).collect();
    let found = env
        .get_json(
            &token,
            &format!("/api/v2/routing/queues?id={}&id={}", ids[0], ids[1]),
        )
        .await;
    assert_eq!(found["total"], 2);
    let page = env
        .get_json(&token, "/api/v2/routing/queues?pageSize=3&pageNumber=2")
        .await;
    assert_eq!(page["entities"].as_array().unwrap().len(), 1);
    assert_eq!(page["pageCount"], 2);
    let one = env
        .get_json(&token, &format!("/api/v2/routing/queues/{}", ids[0]))
        .await;
    assert_eq!(one["id"], ids[0].as_str());
    assert_error(
        env.get(&token, "/api/v2/routing/queues/nope").await,
        404,
        "not.found",
    )
    .await;
    assert_error(
        env.get(&token, "/api/v2/routing/queues?pageSize=abc").await,
        400,
        "invalid.value",
    )
    .await;
    let mine = env.get_json(&token, "/api/v2/routing/queues/me").await;
    assert_eq!(mine["total"], 4);
    assert_eq!(mine["entities"][0]["joined"], true);
    // Agents lack routing:queue:view but see their own queues.
    let agent = env.login("agent1@demo.example").await;
    assert_error(
        env.get(&agent, "/api/v2/routing/queues").await,
        403,
        "missing.any.permissions",
    )
    .await;
    assert_eq!(
        env.get_json(&agent, "/api/v2/routing/queues/me").await["total"],
        1
    );
}

#[tokio::test]
async fn conversation_reads_have_the_platform_shapes() {
    let env = start().await;
    let sup = env.supervisor().await;
    let conv = conference(&env, 3);
    let cid = conv["id"].as_str().unwrap();
    let call = env
        .get_json(&sup, &format!("/api/v2/conversations/calls/{cid}"))
        .await;
    assert_eq!(call["id"], cid);
    assert_eq!(
        call["selfUri"],
        format!("/api/v2/conversations/calls/{cid}")
    );
    assert_eq!(call["recordingState"], "none");
    let ps = call["participants"].as_array().unwrap();
    assert!(ps.len() >= 4);
    for p in ps {
        for f in [
            "id",
            "name",
            "address",
            "startTime",
            "purpose",
            "state",
            "direction",
        ] {
            assert!(p[f].is_string(), "CallMediaParticipant.{f}");
        }
        for f in ["held", "muted", "confined", "wrapupRequired"] {
            assert!(p[f].is_boolean(), "CallMediaParticipant.{f}");
        }
    }
    let agent = ps.iter().find(|p| p["purpose"] == "agent").unwrap();
    assert!(agent["user"]["id"].is_string() && agent["user"]["name"].is_string());
    assert!(agent["queue"]["id"].is_string());
    let acd = ps.iter().find(|p| p["purpose"] == "acd").unwrap();
    assert_eq!(
        acd["state"], "disconnected",
        "ACD leg stays disconnected after answer"
    );

    let generic = env
        .get_json(&sup, &format!("/api/v2/conversations/{cid}"))
        .await;
    assert_eq!(generic["recordingState"], "NONE");
    assert!(generic["startTime"].is_string());
    assert!(generic.get("endTime").is_none());
    for p in generic["participants"].as_array().unwrap() {
        assert!(p.get("state").is_none());
        let c = &p["calls"][0];
        for f in ["id", "state", "direction"] {
            assert!(c[f].is_string(), "Call.{f}");
        }
        assert!(
            c["self"]["addressNormalized"].is_string()
                && c["other"]["addressNormalized"].is_string()
        );
    }
    // The muted and held parties of the demo.
    let truth = env.emu.world().conversations();
    assert!(truth.iter().flat_map(parts).any(|p| p["muted"] == true));
    assert!(truth.iter().flat_map(parts).any(|p| p["held"] == true));

    assert_error(
        env.get(&sup, "/api/v2/conversations/calls/nope").await,
        404,
        "conversation.error.conversation.not.found",
    )
    .await;
    assert_error(
        env.get(&sup, "/api/v2/conversations/nope").await,
        404,
        "conversation.error.conversation.not.found",
    )
    .await;

    // /conversations/calls lists only the token user's own active calls.
    let uid = agent["user"]["id"].as_str().unwrap();
    let email = env
        .emu
        .world()
        .users()
        .into_iter()
        .find(|u| u.id == uid)
        .unwrap()
        .email;
    let agent_token = env.login(&email).await;
    let mine = env
        .get_json(&agent_token, "/api/v2/conversations/calls")
        .await;
    let ids: Vec<&str> = mine["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&cid));
    for c in mine["entities"].as_array().unwrap() {
        assert!(
            c["participants"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["user"]["id"] == uid)
        );
    }
    let generic_mine = env.get_json(&agent_token, "/api/v2/conversations").await;
    assert_eq!(
        generic_mine["entities"].as_array().unwrap().len(),
        ids.len()
    );
    let service = env.service_token().await;
    assert_error(
        env.get(&service, "/api/v2/conversations/calls").await,
        400,
        "not.a.user",
    )
    .await;
}

#[tokio::test]
async fn queue_observations_reflect_live_calls() {
    let env = start().await;
    let sup = env.supervisor().await;
    let support = env.emu.world().queue_id("Support").unwrap();
    let query = json!({
        "filter": {"type": "or", "predicates": [{"dimension": "queueId", "value": support}]},
        "metrics": ["oInteracting", "oWaiting", "oAlerting", "oMemberUsers"],
        "detailMetrics": ["oInteracting", "oWaiting"],
    });
    let resp = env
        .post_json(
            &sup,
            "/api/v2/analytics/queues/observations/query",
            &query.to_string(),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    let result = &body["results"][0];
    assert_eq!(result["group"]["queueId"], support.as_str());
    assert_eq!(result["group"]["mediaType"], "voice");
    let metric = |name: &str| {
        result["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["metric"] == name)
            .unwrap()
            .clone()
    };
    let truth = env.emu.world().conversations();
    let interacting = truth
        .iter()
        .filter(|c| c.get("endTime").is_none())
        .flat_map(parts)
        .filter(|p| {
            p["purpose"] == "agent"
                && p["state"] == "connected"
                && p["queue"]["id"] == support.as_str()
        })
        .count();
    assert_eq!(metric("oInteracting")["stats"]["count"], interacting);
    let obs = metric("oInteracting")["observations"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(obs.len(), interacting);
    for o in &obs {
        for f in [
            "conversationId",
            "sessionId",
            "userId",
            "participantName",
            "direction",
            "observationDate",
        ] {
            assert!(o[f].is_string(), "observation.{f}");
        }
    }
    assert_eq!(metric("oWaiting")["stats"]["count"], 1);
    assert!(metric("oAlerting").get("observations").is_none());
    // A new waiting call shows up at once.
    env.emu
        .world()
        .create_call(genesys_emulator::NewCallRequest {
            queue_id: Some(support.clone()),
            parties: vec![genesys_emulator::PartyRequest {
                purpose: "customer".into(),
                ..Default::default()
            }],
        })
        .unwrap();
    let body: Value = env
        .post_json(
            &sup,
            "/api/v2/analytics/queues/observations/query",
            &query.to_string(),
        )
        .await
        .json()
        .await
        .unwrap();
    let waiting = body["results"][0]["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["metric"] == "oWaiting")
        .unwrap()["stats"]["count"]
        .clone();
    assert_eq!(waiting, 2);
    let bad = json!({"filter": {"type": "or", "predicates": [{"dimension": "queueId", "value": support}]}, "metrics": ["oNope"]});
    assert_error(
        env.post_json(
            &sup,
            "/api/v2/analytics/queues/observations/query",
            &bad.to_string(),
        )
        .await,
        400,
        "invalid.value",
    )
    .await;
    let agent = env.login("agent1@demo.example").await;
    assert_error(
        env.post_json(
            &agent,
            "/api/v2/analytics/queues/observations/query",
            &query.to_string(),
        )
        .await,
        403,
        "missing.any.permissions",
    )
    .await;
}

#[tokio::test]
async fn conversation_detail_query_finds_active_calls_on_a_queue() {
    let env = start().await;
    let sup = env.supervisor().await;
    let sales = env.emu.world().queue_id("Sales").unwrap();
    let now = chrono::Utc::now();
    let interval = format!(
        "{}/{}",
        (now - chrono::Duration::hours(2)).to_rfc3339(),
        (now + chrono::Duration::minutes(5)).to_rfc3339()
    );
    let query = json!({
        "interval": interval,
        "conversationFilters": [{"type": "and", "predicates": [{"dimension": "conversationEnd", "operator": "notExists"}]}],
        "segmentFilters": [{"type": "and", "predicates": [{"dimension": "queueId", "value": sales}, {"dimension": "mediaType", "value": "voice"}]}],
        "paging": {"pageSize": 1, "pageNumber": 1},
        "order": "desc",
    });
    let body: Value = env
        .post_json(
            &sup,
            "/api/v2/analytics/conversations/details/query",
            &query.to_string(),
        )
        .await
        .json()
        .await
        .unwrap();
    let expected = env
        .emu
        .world()
        .conversations()
        .iter()
        .filter(|c| c.get("endTime").is_none() && c["queueId"] == sales.as_str())
        .count();
    assert!(expected >= 2);
    assert_eq!(body["totalHits"], expected);
    let convs = body["conversations"].as_array().unwrap();
    assert_eq!(convs.len(), 1, "paged");
    let c = &convs[0];
    assert!(c["conversationId"].is_string() && c["conversationStart"].is_string());
    assert!(c.get("conversationEnd").is_none());
    let p = &c["participants"][0];
    assert!(p["participantId"].is_string() && p["purpose"].is_string());
    let s = &p["sessions"][0];
    assert_eq!(s["mediaType"], "voice");
    assert!(s["segments"][0]["segmentStart"].is_string());
    let no_interval = json!({"conversationFilters": []});
    assert_error(
        env.post_json(
            &sup,
            "/api/v2/analytics/conversations/details/query",
            &no_interval.to_string(),
        )
        .await,
        400,
        "bad.request",
    )
    .await;
    let bad_interval = json!({"interval": "yesterday"});
    assert_error(
        env.post_json(
            &sup,
            "/api/v2/analytics/conversations/details/query",
            &bad_interval.to_string(),
        )
        .await,
        400,
        "invalid.date",
    )
    .await;
    // An empty result has totalHits 0 and no conversations.
    let past = json!({"interval": "2020-01-01T00:00:00Z/2020-01-02T00:00:00Z"});
    let body: Value = env
        .post_json(
            &sup,
            "/api/v2/analytics/conversations/details/query",
            &past.to_string(),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body, json!({"totalHits": 0}));
}

#[tokio::test]
async fn unknown_paths_and_methods_get_error_bodies() {
    let env = start().await;
    let token = env.supervisor().await;
    let resp = env
        .post_json(
            &token,
            "/api/v2/conversations/voice/legactions/participants",
            "{}",
        )
        .await;
    assert_error(resp, 404, "not.found").await;
    let resp = env
        .post_json(
            &token,
            "/api/v2/conversations/c1/participants/p1/disconnect",
            "{}",
        )
        .await;
    assert_error(resp, 404, "not.found").await;
    let resp = env
        .send(reqwest::Method::PUT, &token, "/api/v2/users/me", Some("{}"))
        .await;
    assert_error(resp, 405, "method.not.allowed").await;
    // Control-plane responses carry the headers too.
    let resp = env
        .http
        .get(env.url("/_emulator/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_headers(&resp);
    let users: Value = resp.json().await.unwrap();
    assert_eq!(users["entities"].as_array().unwrap().len(), 16);
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let env = start_with(EmulatorConfig {
        rate_limit_per_minute: 5,
        ..config()
    })
    .await;
    let token = env.supervisor().await;
    for i in 1..=5 {
        let resp = env.get(&token, "/api/v2/users/me").await;
        assert_eq!(resp.status(), 200);
        assert_eq!(
            resp.headers()["inin-ratelimit-count"].to_str().unwrap(),
            i.to_string()
        );
        assert_eq!(
            resp.headers()["inin-ratelimit-allowed"].to_str().unwrap(),
            "5"
        );
    }
    let resp = env.get(&token, "/api/v2/users/me").await;
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    let body = assert_error(resp, 429, "too.many.requests").await;
    assert_eq!(
        body["message"],
        "Rate limit exceeded the maximum [5] requests within [60] seconds"
    );
    // Another token has its own window.
    let other = env.login("agent2@demo.example").await;
    assert_eq!(env.get(&other, "/api/v2/users/me").await.status(), 200);
}

#[tokio::test]
async fn request_faults_rate_limit_server_error_and_latency() {
    let env = start().await;
    let token = env.supervisor().await;
    let world = env.emu.world();
    world
        .add_fault(FaultSpec::RateLimit {
            count: Some(2),
            rate: None,
            retry_after: Some(7),
            path_prefix: None,
        })
        .unwrap();
    for _ in 0..2 {
        let resp = env.get(&token, "/api/v2/users/me").await;
        assert_eq!(resp.headers()["retry-after"], "7");
        assert_error(resp, 429, "too.many.requests").await;
    }
    assert_eq!(env.get(&token, "/api/v2/users/me").await.status(), 200);
    let resp = env
        .control("/faults", json!({"kind": "server_error", "status": 503, "count": 1, "pathPrefix": "/api/v2/routing"}))
        .await;
    assert_eq!(resp.status(), 201);
    assert_eq!(
        env.get(&token, "/api/v2/users/me").await.status(),
        200,
        "prefix limits the fault"
    );
    assert_error(
        env.get(&token, "/api/v2/routing/queues").await,
        503,
        "service.unavailable",
    )
    .await;
    assert_eq!(
        env.get(&token, "/api/v2/routing/queues").await.status(),
        200
    );
    world
        .add_fault(FaultSpec::Latency {
            ms: 250,
            path_prefix: Some("/api/v2/users".into()),
        })
        .unwrap();
    let t = std::time::Instant::now();
    assert_eq!(env.get(&token, "/api/v2/users/me").await.status(), 200);
    assert!(t.elapsed() >= Duration::from_millis(240));
    let listed: Value = env
        .http
        .get(env.url("/_emulator/faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["entities"][0]["kind"], "latency");
    let resp = env
        .http
        .delete(env.url("/_emulator/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert!(world.faults().is_empty());
    let bad = env
        .control("/faults", json!({"kind": "server_error", "status": 200}))
        .await;
    assert_eq!(bad.status(), 400);
    let bad = env
        .control("/faults", json!({"kind": "meteor_strike"}))
        .await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn server_error_rate_uses_the_seeded_rng_reproducibly() {
    async fn pattern() -> Vec<u16> {
        let env = start().await;
        let token = env.supervisor().await;
        env.emu
            .world()
            .add_fault(FaultSpec::ServerError {
                status: 500,
                count: None,
                rate: Some(0.5),
                path_prefix: None,
            })
            .unwrap();
        let mut out = Vec::new();
        for _ in 0..16 {
            out.push(env.get(&token, "/api/v2/users/me").await.status().as_u16());
        }
        out
    }
    let a = pattern().await;
    assert_eq!(a, pattern().await);
    assert!(a.contains(&500) && a.contains(&200));
}
