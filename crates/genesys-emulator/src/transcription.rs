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

use crate::change::ChangeError;
use crate::config::EmulatorConfig;
use crate::ids::seeded_uuid;
use crate::model::{Conversation, LegState, Participant};
use crate::render::fmt_time;
use crate::world::{Shared, World};

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

impl World {
    /// Starts the transcription session of a live call now (the start message goes out at once).
    fn ensure_session(&mut self, conv_id: &str, now: Instant) {
        if self.transcription.sessions.contains_key(conv_id) {
            return;
        }
        let Some(conv) = self.conversations.get(conv_id) else {
            return;
        };
        let communication_id = conv
            .participants
            .first()
            .and_then(live_communication)
            .unwrap_or_default();
        let settings = self.transcription.settings;
        let session = Session {
            started: now,
            start_ms: Utc::now().timestamp_millis(),
            communication_id,
            next_heartbeat: now + settings.heartbeat,
            next_speech: (!settings.speech_every.is_zero()).then(|| now + settings.speech_every),
        };
        let body = Transcription::status_body(conv_id, &session, now, "SESSION_ONGOING");
        self.transcription
            .sessions
            .insert(conv_id.to_owned(), session);
        self.publish_transcription(conv_id, &body);
    }

    fn publish_transcription(&mut self, conv_id: &str, body: &Value) {
        let topic = topic(conv_id);
        self.transcription.published += 1;
        if self.notifier.has_subscribers(&topic) {
            self.events_delivered += self.notifier.publish(&topic, &body.to_string(), None) as u64;
        }
    }

    /// Makes a party say `text`: its transcript is delivered after the delay, unless the party
    /// cannot be heard (muted, held, not connected) or the call is not transcribed.
    pub fn speak(
        &mut self,
        conv_id: &str,
        participant_id: &str,
        text: &str,
    ) -> Result<SpeakOutcome, ChangeError> {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            return Err(ChangeError::Invalid("text must not be empty".into()));
        }
        if text.chars().count() > 2000 {
            return Err(ChangeError::Invalid(
                "text must be at most 2000 characters".into(),
            ));
        }
        let p = self.live_party(conv_id, participant_id)?;
        let channel = channel_of(p);
        let communication_id = live_communication(p).unwrap_or_default();
        if let Some(reason) = unheard(&self.transcription.settings, p) {
            return Ok(SpeakOutcome {
                channel: channel.to_owned(),
                transcribed: false,
                utterance_id: None,
                deliver_in_ms: None,
                reason: Some(reason.to_owned()),
            });
        }
        let now = Instant::now();
        self.ensure_session(conv_id, now);
        let (offset, start_ms) = {
            let s = &self.transcription.sessions[conv_id];
            (s.offset_ms(now), s.start_ms)
        };
        let t = self
            .transcription
            .transcript(channel, &text, offset, start_ms);
        let utterance_id = t["utteranceId"].as_str().map(str::to_owned);
        self.transcription
            .schedule(conv_id, &communication_id, vec![t]);
        Ok(SpeakOutcome {
            channel: channel.to_owned(),
            transcribed: true,
            utterance_id,
            deliver_in_ms: Some(self.transcription.settings.delay.as_millis() as u64),
            reason: None,
        })
    }

    /// Stops (or resumes) a party's automatic speech; explicit `speak` still works.
    pub fn set_silent(
        &mut self,
        conv_id: &str,
        participant_id: &str,
        silent: bool,
    ) -> Result<(), ChangeError> {
        self.live_party(conv_id, participant_id)?;
        let key = (conv_id.to_owned(), participant_id.to_owned());
        if silent {
            self.transcription.silenced.insert(key);
        } else {
            self.transcription.silenced.remove(&key);
        }
        Ok(())
    }

    fn live_party(&self, conv_id: &str, participant_id: &str) -> Result<&Participant, ChangeError> {
        let conv = self
            .conversations
            .get(conv_id)
            .ok_or(ChangeError::ConversationNotFound)?;
        if !conv.is_active() {
            return Err(ChangeError::ConversationEnded);
        }
        let p = conv
            .participant(participant_id)
            .ok_or_else(|| ChangeError::ParticipantNotFound(participant_id.to_owned()))?;
        if !p.state.is_live() {
            return Err(ChangeError::LegEnded);
        }
        Ok(p)
    }

    /// One step of the engine at `now`: session starts and ends, heartbeats, automatic speech and
    /// due deliveries. Returns when it next has something to do.
    pub fn transcription_tick(&mut self, now: Instant) -> Option<Instant> {
        let settings = self.transcription.settings;
        if !settings.active() {
            self.transcription.sessions.clear();
            self.transcription.pending.clear();
            return None;
        }
        // Sessions: start for live calls, end (after the utterances still in flight) for ended ones.
        let live: Vec<String> = self
            .ordered_conversations()
            .filter(|c| c.is_active())
            .map(|c| c.id.clone())
            .collect();
        for id in &live {
            self.ensure_session(id, now);
        }
        let ended: Vec<String> = self
            .transcription
            .sessions
            .keys()
            .filter(|id| {
                !self
                    .conversations
                    .get(*id)
                    .is_some_and(Conversation::is_active)
            })
            .cloned()
            .collect();
        for id in ended {
            if let Some(s) = self.transcription.sessions.remove(&id) {
                let body = Transcription::status_body(&id, &s, now, "SESSION_ENDED");
                self.transcription.pending.push(Pending {
                    due: now + settings.delay,
                    conversation_id: id.clone(),
                    body,
                });
                self.transcription.silenced.retain(|(c, _)| *c != id);
            }
        }
        // Heartbeats and automatic speech, per session in call order.
        for id in &live {
            let Some(s) = self.transcription.sessions.get_mut(id) else {
                continue;
            };
            if s.next_heartbeat <= now {
                while s.next_heartbeat <= now {
                    s.next_heartbeat += settings.heartbeat;
                }
                let body = Transcription::status_body(id, s, now, "SESSION_ONGOING");
                self.publish_transcription(id, &body);
            }
            self.auto_speech(id, now);
        }
        // Deliveries that are due, in the order they were scheduled.
        let (due, later): (Vec<Pending>, Vec<Pending>) =
            std::mem::take(&mut self.transcription.pending)
                .into_iter()
                .partition(|p| p.due <= now);
        self.transcription.pending = later;
        for mut p in due {
            if let Value::Object(m) = &mut p.body {
                m.insert("eventTime".into(), fmt_time(Utc::now()).into());
            }
            self.publish_transcription(&p.conversation_id, &p.body);
        }
        let t = &self.transcription;
        t.sessions
            .values()
            .flat_map(|s| std::iter::once(s.next_heartbeat).chain(s.next_speech))
            .chain(t.pending.iter().map(|p| p.due))
            .min()
    }

    /// Every heard, unsilenced connected party of the call says one line, in one grouped message.
    fn auto_speech(&mut self, id: &str, now: Instant) {
        let settings = self.transcription.settings;
        let Some(s) = self.transcription.sessions.get_mut(id) else {
            return;
        };
        let Some(next) = s.next_speech else {
            return;
        };
        if next > now {
            return;
        }
        let mut n = next;
        while n <= now {
            n += settings.speech_every;
        }
        s.next_speech = Some(n);
        let (offset, start_ms) = (s.offset_ms(now), s.start_ms);
        let Some(conv) = self.conversations.get(id) else {
            return;
        };
        let speakers: Vec<(&'static str, String)> = conv
            .participants
            .iter()
            .filter(|p| !p.is_acd() && unheard(&settings, p).is_none())
            .filter(|p| !self.transcription.silenced(id, &p.id))
            .map(|p| (channel_of(p), live_communication(p).unwrap_or_default()))
            .collect();
        let Some(first_comm) = speakers.first().map(|(_, c)| c.clone()) else {
            return;
        };
        let mut transcripts = Vec::new();
        for (k, (channel, _)) in speakers.iter().enumerate() {
            let lines = if *channel == "EXTERNAL" {
                &EXTERNAL_LINES
            } else {
                &INTERNAL_LINES
            };
            let line = lines[self.transcription.rng.gen_range(0..lines.len())];
            let at = offset + 1500 * k as i64;
            transcripts.push(self.transcription.transcript(channel, line, at, start_ms));
        }
        self.transcription.schedule(id, &first_comm, transcripts);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ScenarioName;

    fn world(speech_ms: u64) -> World {
        let mut w = World::new(ScenarioName::Demo, 3, 0);
        w.transcription.settings = TranscriptionSettings {
            delay: Duration::from_secs(35),
            heartbeat: Duration::from_secs(300),
            speech_every: Duration::from_millis(speech_ms),
            licensed: true,
            enabled: true,
        };
        w
    }

    #[tokio::test(start_paused = true)]
    async fn utterances_wait_for_the_delay_and_heartbeats_keep_time() {
        let mut w = world(0);
        let conv = w.ordered_conversations().next().unwrap().clone();
        let customer = &conv.participants[0];
        let t0 = Instant::now();
        w.transcription_tick(t0);
        let started = w.transcription.published;
        assert_eq!(
            started,
            w.transcription.sessions.len() as u64,
            "one start each"
        );
        let out = w.speak(&conv.id, &customer.id, "hello  there").unwrap();
        assert_eq!(out.channel, "EXTERNAL");
        assert!(out.transcribed);
        assert_eq!(out.deliver_in_ms, Some(35_000));
        w.transcription_tick(t0 + Duration::from_secs(34));
        assert_eq!(w.transcription.published, started, "not before the delay");
        let next = w.transcription_tick(t0 + Duration::from_secs(35));
        assert_eq!(w.transcription.published, started + 1);
        assert!(w.transcription.pending.is_empty());
        assert_eq!(next, Some(t0 + Duration::from_secs(300)), "next heartbeat");
        w.transcription_tick(t0 + Duration::from_secs(300));
        assert_eq!(
            w.transcription.published,
            started + 1 + w.transcription.sessions.len() as u64,
            "one heartbeat per session"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn muted_held_and_unlicensed_parties_are_not_transcribed() {
        let mut w = world(0);
        let held = w
            .ordered_conversations()
            .flat_map(|c| {
                c.participants
                    .iter()
                    .map(move |p| (c.id.clone(), p.clone()))
            })
            .find(|(_, p)| p.held)
            .unwrap();
        let out = w.speak(&held.0, &held.1.id, "anyone there").unwrap();
        assert_eq!(out.reason.as_deref(), Some("held"));
        w.transcription.settings.licensed = false;
        let conv = w.ordered_conversations().next().unwrap().clone();
        let out = w.speak(&conv.id, &conv.participants[0].id, "hi").unwrap();
        assert_eq!(out.reason.as_deref(), Some("not_licensed"));
        assert_eq!(w.transcription_tick(Instant::now()), None);
        assert_eq!(
            w.transcription.published, 0,
            "unlicensed: not even heartbeats"
        );
        assert_eq!(
            w.speak(&conv.id, "nobody", "hi"),
            Err(ChangeError::ParticipantNotFound("nobody".into()))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn automatic_speech_is_seeded_and_skips_the_silenced() {
        let lines = |silence: bool| {
            let mut w = world(10_000);
            let conv = w.ordered_conversations().next().unwrap().clone();
            if silence {
                w.set_silent(&conv.id, &conv.participants[0].id, true)
                    .unwrap();
            }
            let t0 = Instant::now();
            w.transcription_tick(t0);
            w.transcription_tick(t0 + Duration::from_secs(10));
            let body = w
                .transcription
                .pending
                .iter()
                .find(|p| p.conversation_id == conv.id)
                .map(|p| p.body["transcripts"].clone())
                .unwrap();
            // Wall-clock fields aside (start times), the lines and ids repeat.
            body.as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    json!({"id": t["utteranceId"], "channel": t["channel"],
                        "text": t["alternatives"][0]["transcript"]})
                })
                .collect::<Vec<_>>()
        };
        let a = lines(false);
        assert_eq!(a, lines(false), "same seed, same lines and ids");
        let channels: Vec<&str> = a.iter().map(|t| t["channel"].as_str().unwrap()).collect();
        assert!(channels.contains(&"EXTERNAL"), "{channels:?}");
        let quiet = lines(true);
        assert!(
            quiet.iter().all(|t| t["channel"] == "INTERNAL") && !quiet.is_empty(),
            "the silenced customer says nothing, the agent still does: {quiet:?}"
        );
    }
}
