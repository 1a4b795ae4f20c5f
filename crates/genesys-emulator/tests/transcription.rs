//! The transcription topic (issue 8): utterances after the configured delay, heartbeats, the
//! permission, the licence, the speak/silent control calls and automatic speech. Delays are
//! configured short (hundreds of milliseconds) so nothing sleeps for long.

mod common;

use std::time::Duration;

use common::*;
use genesys_emulator::test_support::TranscriptionRequest;
use genesys_emulator::{EmulatorConfig, OBSERVER_EMAIL, PERM_TRANSCRIPTION};
use genesys_model::enums::{TranscriptChannel, TranscriptionSessionStatus};
use genesys_model::transcription::TranscriptionTopicTranscriptionMessage;
use serde_json::{Value, json};

const DELAY: Duration = Duration::from_millis(300);
const HEARTBEAT: Duration = Duration::from_millis(500);

fn cfg(speech_every: Duration) -> EmulatorConfig {
    EmulatorConfig {
        transcription_delay: DELAY,
        transcription_heartbeat: HEARTBEAT,
        speech_every,
        ..config()
    }
}

async fn switch_on(env: &Env) {
    env.control
        .set_transcription(&TranscriptionRequest {
            enabled: Some(true),
            ..Default::default()
        })
        .await;
}

fn topic(conv: &str) -> String {
    format!("v2.conversations.{conv}.transcription")
}

/// The next transcription message decoded with the app's model (its envelope checked too).
async fn next_transcription(
    ws: &mut Ws,
    conv: &str,
    within: Duration,
) -> Option<TranscriptionTopicTranscriptionMessage> {
    let msg = next_event(ws, &topic(conv), within).await?;
    assert_eq!(msg["version"], "2", "{msg}");
    Some(serde_json::from_value(msg["eventBody"].clone()).expect("a transcription message"))
}

/// The first live conference's customer and a connected agent.
fn customer_and_agent(env: &Env) -> (String, String, String) {
    let conv = find(env, |c| {
        c.get("endTime").is_none()
            && live_parties(c).iter().any(|p| p["purpose"] == "customer")
            && live_parties(c)
                .iter()
                .any(|p| p["purpose"] == "agent" && p["muted"] == false && p["held"] == false)
    });
    let id = |purpose: &str| {
        live_parties(&conv)
            .into_iter()
            .find(|p| p["purpose"] == purpose && p["muted"] == false && p["held"] == false)
            .map(|p| p["id"].as_str().unwrap().to_owned())
            .unwrap()
    };
    (
        conv["id"].as_str().unwrap().to_owned(),
        id("customer"),
        id("agent"),
    )
}

#[tokio::test]
async fn utterances_arrive_after_the_delay_on_their_channel_between_heartbeats() {
    let env = start_with(cfg(Duration::ZERO)).await;
    switch_on(&env).await;
    let token = env.supervisor().await;
    let (conv, customer, agent) = customer_and_agent(&env);
    let (_, mut ws) = env.subscribe(&token, &[topic(&conv)]).await;

    let beat = next_transcription(&mut ws, &conv, HEARTBEAT * 3)
        .await
        .expect("a heartbeat");
    assert!(beat.is_heartbeat(), "{beat:?}");
    assert_eq!(
        beat.conversation_id.as_ref().map(|c| c.as_str()),
        Some(conv.as_str())
    );

    let spoken = tokio::time::Instant::now();
    let out = env.control.speak(&conv, &customer, "I am still here").await;
    assert!(out.transcribed, "{out:?}");
    assert_eq!(out.channel, "EXTERNAL");
    assert_eq!(out.deliver_in_ms, Some(DELAY.as_millis() as u64));
    let inside = env.control.speak(&conv, &agent, "thanks for waiting").await;
    assert_eq!(inside.channel, "INTERNAL");

    let mut got = Vec::new();
    while got.len() < 2 {
        let m = next_transcription(&mut ws, &conv, DELAY * 4)
            .await
            .expect("the transcripts");
        if m.is_heartbeat() {
            continue;
        }
        assert!(
            spoken.elapsed() >= DELAY - Duration::from_millis(20),
            "delivered {:?} after the speech, before the {DELAY:?} delay",
            spoken.elapsed()
        );
        got.extend(m.transcripts);
    }
    let external = &got[0];
    assert_eq!(external.channel, Some(TranscriptChannel::External));
    assert_eq!(external.is_final, Some(true));
    assert_eq!(external.utterance_id, out.utterance_id);
    assert_eq!(
        external.alternatives[0].transcript.as_deref(),
        Some("I am still here")
    );
    assert_eq!(external.alternatives[0].words.len(), 4);
    assert_eq!(got[1].channel, Some(TranscriptChannel::Internal));

    // Heartbeats keep coming while nobody speaks.
    let beat = next_transcription(&mut ws, &conv, HEARTBEAT * 3)
        .await
        .expect("another heartbeat");
    assert!(beat.is_heartbeat(), "{beat:?}");
}

#[tokio::test]
async fn the_session_ends_with_the_call() {
    let env = start_with(cfg(Duration::ZERO)).await;
    switch_on(&env).await;
    let token = env.supervisor().await;
    let (conv, _, _) = customer_and_agent(&env);
    let (_, mut ws) = env.subscribe(&token, &[topic(&conv)]).await;
    env.control.end_call(&conv).await;
    let deadline = tokio::time::Instant::now() + DELAY * 6;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let m = next_transcription(&mut ws, &conv, left)
            .await
            .expect("SESSION_ENDED");
        let status = m.status.as_ref().and_then(|s| s.status.clone());
        if status == Some(TranscriptionSessionStatus::SessionEnded) {
            assert!(m.transcripts.is_empty());
            break;
        }
    }
    let resp = env
        .control(
            &format!("/conversations/{conv}/participants/x/speak"),
            json!({"text": "hello"}),
        )
        .await;
    assert_eq!(resp.status(), 400, "an ended call says nothing");
}

#[tokio::test]
async fn the_topic_needs_the_transcription_permission() {
    let env = start_with(cfg(Duration::ZERO)).await;
    let observer = env.login(OBSERVER_EMAIL).await;
    let (conv, _, _) = customer_and_agent(&env);
    let ch: Value = env
        .post_json(&observer, "/api/v2/notifications/channels", "")
        .await
        .json()
        .await
        .unwrap();
    let path = format!(
        "/api/v2/notifications/channels/{}/subscriptions",
        ch["id"].as_str().unwrap()
    );
    let body = json!([{"id": topic(&conv)}]).to_string();
    let resp = env
        .send(reqwest::Method::PUT, &observer, &path, Some(&body))
        .await;
    assert_eq!(resp.status(), 403);
    let err: Value = resp.json().await.unwrap();
    assert_eq!(err["code"], "missing.any.permissions");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains(PERM_TRANSCRIPTION),
        "{err}"
    );

    let resp = env
        .send(
            reqwest::Method::PUT,
            &observer,
            &format!("{path}?ignoreErrors=true"),
            Some(&body),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let listing: Value = resp.json().await.unwrap();
    let entity = &listing["entities"][0];
    assert_eq!(entity["state"], "Rejected", "{listing}");
    assert_eq!(entity["missingPermissions"], json!([PERM_TRANSCRIPTION]));

    let topics = env
        .get_json(&observer, "/api/v2/notifications/availabletopics")
        .await;
    let t = topics["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "v2.conversations.{id}.transcription")
        .expect("the topic is listed");
    assert_eq!(t["requiresPermissions"], json!([PERM_TRANSCRIPTION]));
}

#[tokio::test]
async fn an_unlicensed_org_accepts_the_subscription_and_sends_nothing() {
    let env = start_with(cfg(Duration::from_millis(100))).await;
    env.control
        .set_transcription(&TranscriptionRequest {
            licensed: Some(false),
            enabled: Some(true),
            ..Default::default()
        })
        .await;
    let token = env.supervisor().await;
    let (conv, customer, _) = customer_and_agent(&env);
    let (_, mut ws) = env.subscribe(&token, &[topic(&conv)]).await;
    let out = env.control.speak(&conv, &customer, "hello").await;
    assert!(!out.transcribed);
    assert_eq!(out.reason.as_deref(), Some("not_licensed"));
    assert!(
        next_transcription(&mut ws, &conv, HEARTBEAT * 3)
            .await
            .is_none(),
        "no utterance and no heartbeat without the licence"
    );
    let queues = env.get_json(&token, "/api/v2/routing/queues").await;
    assert!(
        queues["entities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|q| q["enableTranscription"] == false),
        "{queues}"
    );

    // With the licence the same subscription starts to deliver.
    env.control
        .set_transcription(&TranscriptionRequest {
            licensed: Some(true),
            ..Default::default()
        })
        .await;
    let m = next_transcription(&mut ws, &conv, HEARTBEAT * 3)
        .await
        .expect("the session starts");
    assert!(m.is_heartbeat(), "{m:?}");
    let queues = env.get_json(&token, "/api/v2/routing/queues").await;
    assert_eq!(queues["entities"][0]["enableTranscription"], true);
}

#[tokio::test]
async fn parties_speak_on_their_own_until_silenced() {
    let env = start_with(cfg(Duration::from_millis(100))).await;
    switch_on(&env).await;
    let token = env.supervisor().await;
    let (conv, customer, _) = customer_and_agent(&env);
    env.control.set_silent(&conv, &customer, true).await;
    let (_, mut ws) = env.subscribe(&token, &[topic(&conv)]).await;

    let mut channels = Vec::new();
    let deadline = tokio::time::Instant::now() + DELAY + Duration::from_millis(700);
    while let Some(m) = next_transcription(
        &mut ws,
        &conv,
        deadline.saturating_duration_since(tokio::time::Instant::now()),
    )
    .await
    {
        channels.extend(m.transcripts.into_iter().filter_map(|t| t.channel));
    }
    assert!(
        channels.contains(&TranscriptChannel::Internal),
        "the agents keep talking: {channels:?}"
    );
    assert!(
        !channels.contains(&TranscriptChannel::External),
        "the silenced customer says nothing: {channels:?}"
    );

    env.control.set_silent(&conv, &customer, false).await;
    let deadline = tokio::time::Instant::now() + DELAY + Duration::from_secs(2);
    let mut heard = false;
    while let Some(m) = next_transcription(
        &mut ws,
        &conv,
        deadline.saturating_duration_since(tokio::time::Instant::now()),
    )
    .await
    {
        if m.transcripts
            .iter()
            .any(|t| t.channel == Some(TranscriptChannel::External))
        {
            heard = true;
            break;
        }
    }
    assert!(heard, "the customer speaks again");
}

#[tokio::test]
async fn the_control_calls_refuse_bad_input() {
    let env = start_with(cfg(Duration::ZERO)).await;
    let (conv, customer, _) = customer_and_agent(&env);
    let speak = |p: &str| format!("/conversations/{conv}/participants/{p}/speak");
    let resp = env.control(&speak(&customer), json!({"text": "  "})).await;
    assert_eq!(resp.status(), 400);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("text must not be empty")
    );
    let resp = env.control(&speak("nobody"), json!({"text": "hi"})).await;
    assert_eq!(resp.status(), 404);
    let resp = env
        .control(&speak(&customer), json!({"text": "hi", "loud": true}))
        .await;
    assert_eq!(resp.status(), 400, "unknown fields are named");
    let resp = env
        .control("/transcription", json!({"heartbeatMs": 1}))
        .await;
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains("heartbeatMs"));
    // Off by default in the demo; the flags' timings show.
    let s = env.control.transcription().await;
    assert_eq!(
        s,
        json!({"delayMs": 300, "heartbeatMs": 500, "speechEveryMs": 0,
               "licensed": true, "enabled": false})
    );
    let out = env.control.speak(&conv, &customer, "hello").await;
    assert_eq!(out.reason.as_deref(), Some("transcription_off"));
    // Reset brings the scenario's switches back.
    switch_on(&env).await;
    env.control.reset().await;
    assert_eq!(env.control.transcription().await["enabled"], false);
}
