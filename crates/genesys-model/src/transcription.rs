//! The body of `v2.conversations.{id}.transcription`, shaped like the official SDK's
//! `TranscriptionTopicTranscriptionMessage` (purecloudplatformclientv2 models).

use serde::{Deserialize, Serialize};

use crate::common::null_as_default;
use crate::enums::{TranscriptChannel, TranscriptionSessionStatus};
use crate::ids::{CommunicationId, ConversationId};
use crate::time::Timestamp;

/// One transcription event: grouped utterances, or a status-only heartbeat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptionTopicTranscriptionMessage {
    /// When the platform produced the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_time: Option<Timestamp>,
    /// The org.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    /// The conversation transcribed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<ConversationId>,
    /// The communication transcribed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub communication_id: Option<CommunicationId>,
    /// Session start, epoch milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_start_time_ms: Option<i64>,
    /// Transcription start, epoch milliseconds (utterance offsets count from here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcription_start_time_ms: Option<i64>,
    /// The utterances; empty on a heartbeat.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub transcripts: Vec<TranscriptionTopicTranscriptResult>,
    /// Session status; `SESSION_ONGOING` with no transcripts is the heartbeat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TranscriptionTopicTranscriptionRequestStatus>,
    /// Speech and text analytics program.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speech_text_analytics_program_id: Option<String>,
}

impl TranscriptionTopicTranscriptionMessage {
    /// Whether this is a heartbeat (status only, no utterances): proof the topic is alive.
    pub fn is_heartbeat(&self) -> bool {
        self.transcripts.is_empty()
            && self
                .status
                .as_ref()
                .and_then(|s| s.status.as_ref())
                .is_some_and(|s| *s == TranscriptionSessionStatus::SessionOngoing)
    }
}

/// A session status with its offset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptionTopicTranscriptionRequestStatus {
    /// Milliseconds from the transcription start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_ms: Option<i64>,
    /// The session's state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TranscriptionSessionStatus>,
}

/// One utterance (final or interim) on one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptionTopicTranscriptResult {
    /// Utterance id; interim results and the final one share it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utterance_id: Option<String>,
    /// Whether this is the utterance's final text (silence rules count only these).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_final: Option<bool>,
    /// Which side spoke.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<TranscriptChannel>,
    /// Recognition alternatives, best first.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub alternatives: Vec<TranscriptionTopicTranscriptAlternative>,
    /// Agent assistant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_assistant_id: Option<String>,
    /// Engine provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_provider: Option<String>,
    /// Engine id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_id: Option<String>,
    /// Engine name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_name: Option<String>,
    /// Dialect, e.g. `en-US`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialect: Option<String>,
    /// Speech and text analytics program.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speech_text_analytics_program_id: Option<String>,
    /// Whether agent assist is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_assist_enabled: Option<bool>,
    /// Whether voice transcription is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice_transcription_enabled: Option<bool>,
}

/// One recognition alternative.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptionTopicTranscriptAlternative {
    /// 0..1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// Milliseconds from the transcription start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_ms: Option<i64>,
    /// Length of the speech.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<i64>,
    /// The text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript: Option<String>,
    /// Per-word detail.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub words: Vec<TranscriptionTopicTranscriptWord>,
    /// The text after decoration (e.g. numbers formatted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decorated_transcript: Option<String>,
    /// Per-word detail of the decorated text.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub decorated_words: Vec<TranscriptionTopicTranscriptWord>,
}

/// One recognised word.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptionTopicTranscriptWord {
    /// 0..1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// Start, epoch milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time_ms: Option<i64>,
    /// Milliseconds from the transcription start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_ms: Option<i64>,
    /// Length of the word.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<i64>,
    /// The word.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub word: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utterances_and_heartbeats_decode_and_round_trip() {
        let text = r#"{"eventTime":"2026-01-02T03:04:05.000Z","conversationId":"c1","communicationId":"m1",
            "sessionStartTimeMs":1,"transcriptionStartTimeMs":2,
            "status":{"offsetMs":0,"status":"SESSION_ONGOING"},
            "transcripts":[{"utteranceId":"u1","isFinal":true,"channel":"EXTERNAL",
              "alternatives":[{"confidence":0.9,"offsetMs":10,"durationMs":500,"transcript":"hello",
                "words":[{"confidence":0.9,"offsetMs":10,"durationMs":500,"word":"hello"}]}]},
              {"utteranceId":"u2","isFinal":false,"channel":"SOMETHING_NEW","alternatives":null}]}"#;
        let m: TranscriptionTopicTranscriptionMessage = serde_json::from_str(text).unwrap();
        assert!(!m.is_heartbeat());
        assert_eq!(m.transcripts[0].channel, Some(TranscriptChannel::External));
        assert_eq!(m.transcripts[0].is_final, Some(true));
        assert_eq!(
            m.transcripts[0].alternatives[0].words[0].word.as_deref(),
            Some("hello")
        );
        let odd = m.transcripts[1].channel.as_ref().unwrap();
        assert!(odd.is_unknown(), "new values are kept, not refused");
        let back: TranscriptionTopicTranscriptionMessage =
            serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(back, m);

        let beat: TranscriptionTopicTranscriptionMessage = serde_json::from_str(
            r#"{"conversationId":"c1","status":{"offsetMs":300000,"status":"SESSION_ONGOING"}}"#,
        )
        .unwrap();
        assert!(beat.is_heartbeat());
        let ended: TranscriptionTopicTranscriptionMessage =
            serde_json::from_str(r#"{"status":{"status":"SESSION_ENDED"},"transcripts":[]}"#)
                .unwrap();
        assert!(!ended.is_heartbeat());
    }
}
