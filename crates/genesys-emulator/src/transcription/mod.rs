//! Real-time transcription, `v2.conversations.{id}.transcription` (docs/genesys-api.md, "Signals
//! for idle and silent legs"): utterances grouped into `TranscriptionTopicTranscriptionMessage`s,
//! delivered a configurable delay after the speech (the platform: about 35 s), a status-only
//! `SESSION_ONGOING` message at session start and every heartbeat interval (the platform: 5 min),
//! and `SESSION_ENDED` when the call ends.
//!
//! A conversation is transcribed while the org is licensed and transcription is switched on
//! (`TranscriptionSettings`). Without the licence the topic stays subscribable but silent: no
//! utterances and no heartbeats, so a client can tell "not transcribed" from "nobody speaks" by the
//! missing heartbeats (the platform's exact answer is unconfirmed). Parties speak when the control
//! plane says so, and, every `speech_every`, each connected party that is not muted, held or
//! silenced says one line. Lines and ids come from an RNG seeded from the world's seed.
//!
//! Everything runs off `tokio::time::Instant`, so tests can pause time or configure short delays.
//!
//! This file holds the settings, the control-plane bodies and the engine's state; `engine` is what
//! the world does with them (sessions, speech, heartbeats, deliveries).

mod engine;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::config::EmulatorConfig;
use crate::ids::seeded_uuid;
use crate::model::{LegState, Participant};
use crate::render::fmt_time;
use crate::world::Shared;

/// Permission to subscribe to the transcription topic (not division-aware).
pub const PERM_TRANSCRIPTION: &str = "conversation:transcription:view";

/// The longest wait of the engine's loop, so new calls get their session start promptly even
/// without a wake-up.
const MAX_IDLE: Duration = Duration::from_millis(250);

/// Lines a party says on its own, by channel (deterministic picks from the seeded RNG).
const INTERNAL_LINES: [&str; 6] = [
    "thank you for holding",
    "let me check that for you",
    "I can see the account here",
    "is there anything else I can help with",
    "one moment please",
    "I will bring my colleague in",
];
const EXTERNAL_LINES: [&str; 6] = [
    "yes that is right",
    "I am calling about my bill",
    "can you repeat that please",
    "okay thank you",
    "my reference number is seven four two",
    "I have been waiting a while",
];

/// Transcription timing and the org's switches (runtime-settable; reset restores them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TranscriptionSettings {
    /// From the speech to the delivery of its utterance.
    pub delay: Duration,
    /// Between status-only `SESSION_ONGOING` messages.
    pub heartbeat: Duration,
    /// Between a party's automatic lines; zero means parties speak only when told.
    pub speech_every: Duration,
    /// Whether the org has a licence that includes transcription.
    pub licensed: bool,
    /// Whether transcription is switched on (the queues' `enableTranscription`).
    pub enabled: bool,
}

impl TranscriptionSettings {
    /// The configured timings with transcription off (scenarios switch it on).
    pub fn from_config(config: &EmulatorConfig) -> Self {
        Self {
            delay: config.transcription_delay,
            heartbeat: config.transcription_heartbeat,
            speech_every: config.speech_every,
            licensed: true,
            enabled: false,
        }
    }

    /// Whether conversations are transcribed at all.
    pub fn active(&self) -> bool {
        self.licensed && self.enabled
    }

    /// The control-plane view (`GET /_emulator/transcription`).
    pub fn to_json(self) -> Value {
        json!({
            "delayMs": self.delay.as_millis() as u64,
            "heartbeatMs": self.heartbeat.as_millis() as u64,
            "speechEveryMs": self.speech_every.as_millis() as u64,
            "licensed": self.licensed,
            "enabled": self.enabled,
        })
    }
}

/// `POST /_emulator/transcription`: new settings; absent fields stay as they are.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TranscriptionRequest {
    /// Delivery delay of utterances, in milliseconds (at most one hour).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Heartbeat interval, in milliseconds (10 ms to one day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_ms: Option<u64>,
    /// Automatic speech interval, in milliseconds (0 = off; else at least 10 ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speech_every_ms: Option<u64>,
    /// Whether the org is licensed for transcription.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licensed: Option<bool>,
    /// Whether transcription is switched on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// `POST /_emulator/conversations/{c}/participants/{p}/speak`: one utterance.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SpeakRequest {
    /// What the party says.
    pub text: String,
}

/// `POST /_emulator/conversations/{c}/participants/{p}/silent`: stop (or resume) a party's
/// automatic speech.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SilentRequest {
    /// True: the party says nothing more on its own; false: it speaks again.
    #[serde(default = "yes")]
    pub silent: bool,
}

impl Default for SilentRequest {
    fn default() -> Self {
        Self { silent: true }
    }
}

fn yes() -> bool {
    true
}

/// What became of a `speak` call.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SpeakOutcome {
    /// The side the platform attributes the speech to: `INTERNAL` or `EXTERNAL`.
    pub channel: String,
    /// Whether a transcript will be delivered.
    pub transcribed: bool,
    /// The utterance's id when transcribed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utterance_id: Option<String>,
    /// In how many milliseconds the transcript is delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliver_in_ms: Option<u64>,
    /// Why nothing will be delivered (`not_licensed`, `transcription_off`, `muted`, `held`,
    /// `not_connected`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The side of the call a party is on: customers and external parties are EXTERNAL; agents,
/// users, IVR, ACD and voicemail INTERNAL (docs/genesys-api.md).
pub fn channel_of(p: &Participant) -> &'static str {
    match p.purpose.as_str() {
        "customer" | "external" => "EXTERNAL",
        _ => "INTERNAL",
    }
}

/// One conversation's transcription session.
#[derive(Debug)]
struct Session {
    started: Instant,
    start_ms: i64,
    communication_id: String,
    next_heartbeat: Instant,
    next_speech: Option<Instant>,
}

impl Session {
    fn offset_ms(&self, at: Instant) -> i64 {
        at.saturating_duration_since(self.started).as_millis() as i64
    }
}

/// A message waiting for its delivery time.
#[derive(Debug)]
struct Pending {
    due: Instant,
    conversation_id: String,
    body: Value,
}

/// The transcription engine's state (inside the world, under its lock).
pub struct Transcription {
    /// Timing and switches in force.
    pub settings: TranscriptionSettings,
    sessions: HashMap<String, Session>,
    silenced: HashSet<(String, String)>,
    pending: Vec<Pending>,
    rng: ChaCha8Rng,
    /// Wakes the engine's loop when something is scheduled sooner than it sleeps.
    pub wake: Arc<Notify>,
    /// Messages published (for `/_emulator/stats`).
    pub published: u64,
}

impl Transcription {
    /// An idle engine with its RNG seeded from the world's seed.
    pub fn new(seed: u64, settings: TranscriptionSettings) -> Self {
        Self {
            settings,
            sessions: HashMap::new(),
            silenced: HashSet::new(),
            pending: Vec::new(),
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x7a5c_51b0),
            wake: Arc::new(Notify::new()),
            published: 0,
        }
    }

    /// Forgets sessions, silences and undelivered messages (scenario load); keeps the wake-up.
    pub fn restart(&mut self, seed: u64, licensed: bool, enabled: bool) {
        self.sessions.clear();
        self.silenced.clear();
        self.pending.clear();
        self.rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7a5c_51b0);
        self.settings.licensed = licensed;
        self.settings.enabled = enabled;
        self.wake.notify_one();
    }

    /// Back to the configured timings (reset); the licence and switch stay the scenario's.
    pub fn set_timing(&mut self, config: &EmulatorConfig) {
        let t = TranscriptionSettings::from_config(config);
        self.settings.delay = t.delay;
        self.settings.heartbeat = t.heartbeat;
        self.settings.speech_every = t.speech_every;
        self.wake.notify_one();
    }

    /// Applies new settings (validated); returns the ones in force.
    pub fn update(&mut self, req: &TranscriptionRequest) -> Result<TranscriptionSettings, String> {
        let mut s = self.settings;
        if let Some(ms) = req.delay_ms {
            if ms > 3_600_000 {
                return Err("delayMs must be at most 3600000".into());
            }
            s.delay = Duration::from_millis(ms);
        }
        if let Some(ms) = req.heartbeat_ms {
            if !(10..=86_400_000).contains(&ms) {
                return Err("heartbeatMs must be within 10..86400000".into());
            }
            s.heartbeat = Duration::from_millis(ms);
        }
        if let Some(ms) = req.speech_every_ms {
            if ms != 0 && !(10..=86_400_000).contains(&ms) {
                return Err("speechEveryMs must be 0 (off) or within 10..86400000".into());
            }
            s.speech_every = Duration::from_millis(ms);
        }
        if let Some(l) = req.licensed {
            s.licensed = l;
        }
        if let Some(e) = req.enabled {
            s.enabled = e;
        }
        let now = Instant::now();
        for session in self.sessions.values_mut() {
            if req.heartbeat_ms.is_some() {
                session.next_heartbeat = now + s.heartbeat;
            }
            if req.speech_every_ms.is_some() {
                session.next_speech = (!s.speech_every.is_zero()).then(|| now + s.speech_every);
            }
        }
        self.settings = s;
        self.wake.notify_one();
        Ok(s)
    }

    /// Marks a party as never speaking on its own (scenario load).
    pub fn silence(&mut self, conversation_id: String, participant_id: String) {
        self.silenced.insert((conversation_id, participant_id));
    }

    fn silenced(&self, conversation_id: &str, participant_id: &str) -> bool {
        self.silenced
            .contains(&(conversation_id.to_owned(), participant_id.to_owned()))
    }

    /// The body of a status-only message (session start, heartbeat, end).
    fn status_body(conv_id: &str, s: &Session, at: Instant, status: &str) -> Value {
        json!({
            "eventTime": fmt_time(Utc::now()),
            "organizationId": crate::scenario::ORG_ID,
            "conversationId": conv_id,
            "communicationId": s.communication_id,
            "sessionStartTimeMs": s.start_ms,
            "transcriptionStartTimeMs": s.start_ms,
            "status": {"offsetMs": s.offset_ms(at), "status": status},
        })
    }

    /// One final utterance as a `TranscriptionTopicTranscriptResult`.
    fn transcript(&mut self, channel: &str, text: &str, offset_ms: i64, start_ms: i64) -> Value {
        let utterance_id = seeded_uuid(&mut self.rng);
        let confidence = 0.8 + f64::from(self.rng.gen_range(0..20u32)) / 100.0;
        let mut words = Vec::new();
        let mut at = offset_ms;
        for w in text.split_whitespace() {
            let dur = 120 + 40 * w.chars().count().min(10) as i64;
            words.push(json!({
                "confidence": confidence,
                "startTimeMs": start_ms + at,
                "offsetMs": at,
                "durationMs": dur,
                "word": w,
            }));
            at += dur + 80;
        }
        json!({
            "utteranceId": utterance_id,
            "isFinal": true,
            "channel": channel,
            "alternatives": [{
                "confidence": confidence,
                "offsetMs": offset_ms,
                "durationMs": (at - offset_ms).max(0),
                "transcript": text,
                "words": words,
            }],
            "engineProvider": "GENESYS",
            "engineName": "Genesys Cloud Transcription",
            "dialect": "en-US",
            "voiceTranscriptionEnabled": true,
            "agentAssistEnabled": false,
        })
    }

    /// Queues a message with utterances for delivery after the delay.
    fn schedule(&mut self, conv_id: &str, communication_id: &str, transcripts: Vec<Value>) {
        let Some(s) = self.sessions.get(conv_id) else {
            return;
        };
        let body = json!({
            "organizationId": crate::scenario::ORG_ID,
            "conversationId": conv_id,
            "communicationId": communication_id,
            "sessionStartTimeMs": s.start_ms,
            "transcriptionStartTimeMs": s.start_ms,
            "transcripts": transcripts,
        });
        self.pending.push(Pending {
            due: Instant::now() + self.settings.delay,
            conversation_id: conv_id.to_owned(),
            body,
        });
        self.wake.notify_one();
    }
}

/// The topic of a conversation's transcription.
pub fn topic(conversation_id: &str) -> String {
    format!("v2.conversations.{conversation_id}.transcription")
}

fn live_communication(p: &Participant) -> Option<String> {
    p.calls
        .iter()
        .find(|c| c.state.is_live())
        .or(p.calls.last())
        .map(|c| c.id.clone())
}

/// Why a party's speech is not transcribed, if it is not.
fn unheard(settings: &TranscriptionSettings, p: &Participant) -> Option<&'static str> {
    if !settings.licensed {
        Some("not_licensed")
    } else if !settings.enabled {
        Some("transcription_off")
    } else if p.state != LegState::Connected {
        Some("not_connected")
    } else if p.muted {
        Some("muted")
    } else if p.held {
        Some("held")
    } else {
        None
    }
}

/// The engine's loop: ticks when something is due, when woken, or every `MAX_IDLE`.
pub(crate) async fn run(shared: Arc<Shared>) {
    let wake = shared.lock().transcription.wake.clone();
    let mut shutdown = shared.shutdown.clone();
    loop {
        let now = Instant::now();
        let next = shared.lock().transcription_tick(now);
        let until = next.map_or(now + MAX_IDLE, |t| t.min(now + MAX_IDLE));
        tokio::select! {
            _ = tokio::time::sleep_until(until) => {}
            _ = wake.notified() => {}
            _ = shutdown.changed() => break,
        }
    }
}
