//! Audit commands: `audit_list` (filtered history) and `audit_export_csv`.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::actions::ActionKind;
use crate::audit::{AuditAction, AuditOutcome, AuditRecord};

/// How an audited action ended (the audit log's outcomes, in IPC spelling).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum AuditOutcomeKind {
    /// Seen to happen.
    Confirmed,
    /// Accepted but not seen in time.
    NotConfirmed,
    /// Refused by Genesys.
    Refused,
    /// The party had already left.
    AlreadyGone,
    /// Could not be made or answered.
    Failed,
    /// A policy's dry run or skip: nothing was sent.
    NotSent,
    /// A policy was about to send it (a later record tells the outcome).
    Pending,
}

impl From<AuditOutcome> for AuditOutcomeKind {
    fn from(outcome: AuditOutcome) -> Self {
        match outcome {
            AuditOutcome::Confirmed => Self::Confirmed,
            AuditOutcome::NotConfirmed => Self::NotConfirmed,
            AuditOutcome::Refused => Self::Refused,
            AuditOutcome::AlreadyGone => Self::AlreadyGone,
            AuditOutcome::Failed => Self::Failed,
            AuditOutcome::NotSent => Self::NotSent,
            AuditOutcome::Pending => Self::Pending,
        }
    }
}

impl From<AuditAction> for ActionKind {
    fn from(action: AuditAction) -> Self {
        match action {
            AuditAction::Drop => Self::Drop,
            AuditAction::Mute => Self::Mute,
            AuditAction::Unmute => Self::Unmute,
            AuditAction::Hold => Self::Hold,
            AuditAction::Unhold => Self::Unhold,
            AuditAction::EndConversation => Self::EndConversation,
        }
    }
}

/// Which records to show or export; every field narrows, empty fields do not.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct AuditFilters {
    /// Words to find in the party, actor, conversation or participant id, detail or correlation id.
    pub text: Option<String>,
    /// Only these actions (empty: all).
    pub actions: Vec<ActionKind>,
    /// Only these outcomes (empty: all).
    pub outcomes: Vec<AuditOutcomeKind>,
    /// Only records at or after this time (ms since the Unix epoch).
    #[ts(type = "number | null")]
    pub from_ms: Option<i64>,
    /// Only records before this time (ms since the Unix epoch).
    #[ts(type = "number | null")]
    pub to_ms: Option<i64>,
}

impl AuditFilters {
    /// True when `record` passes every filter.
    pub fn matches(&self, record: &AuditRecord) -> bool {
        let time = record.time.timestamp_millis();
        if self.from_ms.is_some_and(|from| time < from) || self.to_ms.is_some_and(|to| time >= to) {
            return false;
        }
        if !self.actions.is_empty() && !self.actions.contains(&record.action.into()) {
            return false;
        }
        if !self.outcomes.is_empty() && !self.outcomes.contains(&record.outcome.into()) {
            return false;
        }
        match self
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            None => true,
            Some(text) => {
                let needle = text.to_lowercase();
                [
                    record.party.name.as_str(),
                    record.party.purpose.as_str(),
                    record.actor.name.as_str(),
                    record.actor.user_id.as_str(),
                    record.conversation_id.as_str(),
                    record.participant_id.as_str(),
                    record.detail.as_deref().unwrap_or_default(),
                    record.correlation_id.as_deref().unwrap_or_default(),
                ]
                .iter()
                .any(|field| field.to_lowercase().contains(&needle))
            }
        }
    }
}

/// `audit_list`: the filters to apply.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct AuditListRequest {
    /// Which records.
    pub filters: AuditFilters,
}

/// One row of the audit screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// Record id.
    pub id: String,
    /// When the action was requested (ms since the Unix epoch).
    #[ts(type = "number")]
    pub time_ms: i64,
    /// The supervisor's display name.
    pub actor_name: String,
    /// The supervisor's Genesys user id.
    pub actor_user_id: String,
    /// What was attempted.
    pub action: ActionKind,
    /// The call.
    pub conversation_id: String,
    /// The leg.
    pub participant_id: String,
    /// Who, as shown at the time.
    pub party_name: String,
    /// Their purpose at the time.
    pub party_purpose: String,
    /// The request sent: method, path and JSON body.
    pub request: String,
    /// How it ended.
    pub outcome: AuditOutcomeKind,
    /// From the command to the outcome.
    #[ts(type = "number")]
    pub latency_ms: u64,
    /// For support.
    pub correlation_id: Option<String>,
    /// Explanation (error message, "still on the line after 5 s", ...).
    pub detail: Option<String>,
}

impl From<&AuditRecord> for AuditEntry {
    fn from(r: &AuditRecord) -> Self {
        let body = if r.request.body.is_null() {
            String::new()
        } else {
            format!(" {}", r.request.body)
        };
        Self {
            id: r.id.to_string(),
            time_ms: r.time.timestamp_millis(),
            actor_name: r.actor.name.clone(),
            actor_user_id: r.actor.user_id.clone(),
            action: r.action.into(),
            conversation_id: r.conversation_id.clone(),
            participant_id: r.participant_id.clone(),
            party_name: r.party.name.clone(),
            party_purpose: r.party.purpose.clone(),
            request: format!("{} {}{body}", r.request.method, r.request.path),
            outcome: r.outcome.into(),
            latency_ms: r.latency_ms,
            correlation_id: r.correlation_id.clone(),
            detail: r.detail.clone(),
        }
    }
}

/// `audit_list`: matching records, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditListResponse {
    /// Matching records, newest first.
    pub entries: Vec<AuditEntry>,
    /// Records in the log before filtering.
    pub total: u32,
    /// Lines that could not be read (a crash mid-write): shown so nothing is silently lost.
    pub skipped_lines: u32,
    /// Where the log file is, for support.
    pub path: String,
}

/// `audit_export_csv`: which records to export.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct AuditExportRequest {
    /// Which records (the same filters as the list).
    pub filters: AuditFilters,
}

/// `audit_export_csv`: where the CSV was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditExportResponse {
    /// The file written (in the user's Downloads folder, else the app's data folder).
    pub path: String,
    /// Records written.
    pub rows: u32,
}

/// Filters records and returns them newest first, for both the list and the export.
pub fn select<'a>(records: &'a [AuditRecord], filters: &AuditFilters) -> Vec<&'a AuditRecord> {
    let mut chosen: Vec<&AuditRecord> = records.iter().filter(|r| filters.matches(r)).collect();
    chosen.sort_by_key(|r| std::cmp::Reverse(r.time));
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Actor, AuditRequest, Party};
    use chrono::{TimeZone, Timelike, Utc};

    fn record(minute: u32, action: AuditAction, outcome: AuditOutcome, party: &str) -> AuditRecord {
        AuditRecord {
            id: uuid::Uuid::new_v4(),
            time: Utc
                .with_ymd_and_hms(2025, 1, 2, 10, minute, 0)
                .single()
                .expect("valid time"),
            actor: Actor {
                user_id: "u-sam".into(),
                name: "Sam Supervisor".into(),
            },
            action,
            conversation_id: "conv-1".into(),
            participant_id: format!("p-{party}"),
            party: Party {
                name: party.into(),
                purpose: "agent".into(),
            },
            request: AuditRequest {
                method: "PATCH".into(),
                path: "/api/v2/conversations/calls/conv-1/participants/p".into(),
                body: serde_json::json!({"state": "disconnected"}),
            },
            outcome,
            latency_ms: 120,
            correlation_id: Some("corr-9".into()),
            detail: None,
            policy: None,
        }
    }

    #[test]
    fn filters_narrow_and_results_are_newest_first() {
        let records = vec![
            record(1, AuditAction::Drop, AuditOutcome::Confirmed, "Jane Doe"),
            record(2, AuditAction::Mute, AuditOutcome::Refused, "Ann Other"),
            record(3, AuditAction::Drop, AuditOutcome::NotConfirmed, "Jane Doe"),
        ];
        let all = select(&records, &AuditFilters::default());
        assert_eq!(
            all.iter().map(|r| r.time.minute()).collect::<Vec<_>>(),
            vec![3, 2, 1]
        );
        let drops = AuditFilters {
            actions: vec![ActionKind::Drop],
            ..Default::default()
        };
        assert_eq!(select(&records, &drops).len(), 2);
        let jane_confirmed = AuditFilters {
            text: Some("jane".into()),
            outcomes: vec![AuditOutcomeKind::Confirmed],
            ..Default::default()
        };
        assert_eq!(select(&records, &jane_confirmed).len(), 1);
        let window = AuditFilters {
            from_ms: Some(records[1].time.timestamp_millis()),
            to_ms: Some(records[2].time.timestamp_millis()),
            ..Default::default()
        };
        let got = select(&records, &window);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].party.name, "Ann Other");
        let by_correlation = AuditFilters {
            text: Some("corr-9".into()),
            ..Default::default()
        };
        assert_eq!(select(&records, &by_correlation).len(), 3);
    }

    #[test]
    fn entry_shows_the_request_and_camel_case_outcome() {
        let r = record(1, AuditAction::Drop, AuditOutcome::NotConfirmed, "Jane Doe");
        let entry = AuditEntry::from(&r);
        assert_eq!(
            entry.request,
            r#"PATCH /api/v2/conversations/calls/conv-1/participants/p {"state":"disconnected"}"#
        );
        let json = serde_json::to_value(&entry).expect("json");
        assert_eq!(json["outcome"], "notConfirmed");
        assert_eq!(json["action"], "drop");
        assert_eq!(json["timeMs"], r.time.timestamp_millis());
    }
}
