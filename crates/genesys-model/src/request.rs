//! Bodies the app sends for call control.

use serde::{Deserialize, Serialize};

use crate::common::null_as_default;
use crate::enums::ParticipantState;
use crate::time::Timestamp;

/// The participant PATCH body. Every field is optional and `None` is never written, so a request
/// changes exactly what it names (there is no `dispositionCode`/`dropReason`: see docs/genesys-api.md,
/// "Dropping one party").
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaParticipantRequest {
    /// Wrap-up to apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapup: Option<WrapupInput>,
    /// `disconnected` hangs the leg up; `connected` answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ParticipantState>,
    /// Ad-hoc recording on or off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<bool>,
    /// Mute or unmute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted: Option<bool>,
    /// Confine or release (ad-hoc conferences only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confined: Option<bool>,
    /// Hold or resume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<bool>,
    /// Skip wrap-up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapup_skipped: Option<bool>,
    /// When a parked leg resumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_time: Option<Timestamp>,
}

impl MediaParticipantRequest {
    /// `{"state":"disconnected"}`: the one body that drops a single leg.
    pub fn disconnect() -> Self {
        Self {
            state: Some(ParticipantState::Disconnected),
            ..Self::default()
        }
    }

    /// `{"muted":…}`.
    pub fn mute(muted: bool) -> Self {
        Self {
            muted: Some(muted),
            ..Self::default()
        }
    }

    /// `{"held":…}`.
    pub fn hold(held: bool) -> Self {
        Self {
            held: Some(held),
            ..Self::default()
        }
    }

    /// `{"confined":…}`.
    pub fn confine(confined: bool) -> Self {
        Self {
            confined: Some(confined),
            ..Self::default()
        }
    }

    /// True when no field is set: the server would accept it and change nothing (the phantom-drop trap).
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// Wrap-up data on a participant PATCH.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WrapupInput {
    /// Wrap-up code id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Wrap-up code name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Tags.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tags: Vec<String>,
    /// Duration in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<i64>,
    /// End time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<Timestamp>,
    /// Provisional wrap-up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisional: Option<bool>,
    /// Keep the end time fixed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_end_time_updates: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_named_fields_are_written() {
        assert_eq!(
            serde_json::to_string(&MediaParticipantRequest::disconnect()).unwrap(),
            r#"{"state":"disconnected"}"#
        );
        assert_eq!(
            serde_json::to_string(&MediaParticipantRequest::mute(true)).unwrap(),
            r#"{"muted":true}"#
        );
        assert_eq!(
            serde_json::to_string(&MediaParticipantRequest::hold(false)).unwrap(),
            r#"{"held":false}"#
        );
        assert_eq!(
            serde_json::to_string(&MediaParticipantRequest::default()).unwrap(),
            "{}"
        );
    }

    #[test]
    fn empty_body_is_detected() {
        assert!(MediaParticipantRequest::default().is_empty());
        assert!(!MediaParticipantRequest::disconnect().is_empty());
        // Unknown fields are ignored on decode, so the phantom-trap body decodes to an empty request.
        let trap: MediaParticipantRequest =
            serde_json::from_str(r#"{"dispositionCode":"X","dropReason":"Y"}"#).unwrap();
        assert!(trap.is_empty());
    }
}
