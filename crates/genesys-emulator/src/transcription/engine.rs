//! The transcription engine's steps on the world: sessions start and end with calls, parties
//! speak (on command or on their own), heartbeats keep time, and messages go out when due.

use chrono::Utc;
use rand::Rng;
use serde_json::Value;
use tokio::time::Instant;

use super::{
    EXTERNAL_LINES, INTERNAL_LINES, Pending, Session, SpeakOutcome, Transcription, channel_of,
    live_communication, topic, unheard,
};
use crate::change::ChangeError;
use crate::model::{Conversation, Participant};
use crate::render::fmt_time;
use crate::world::World;

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
            let text = if self.faults.malformed_transcription() {
                // The `malformed_transcription` fault: a body the SDK model refuses.
                serde_json::json!({"conversationId": conv_id, "transcripts": [{"isFinal": "yes"}]})
                    .to_string()
            } else {
                body.to_string()
            };
            self.events_delivered += self.notifier.publish(&topic, &text, None) as u64;
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::config::ScenarioName;
    use crate::transcription::TranscriptionSettings;

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
