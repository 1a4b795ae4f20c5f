//! The "Needs attention" panel's contract: what the detector finds on the board, in the words and
//! ids the panel shows, and the rules it could not evaluate.

use serde::Serialize;
use ts_rs::TS;

use crate::policy::{Detection, Finding, FindingKind, Resolution, Unavailable};

/// What resolving a finding takes, as the panel offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ResolutionView {
    /// The usual verified drop (through the drop dialog).
    DropLeg,
    /// The leg outlived an accepted drop: its communication must be disconnected.
    DisconnectCommunication,
    /// Nobody is left on a call that still shows: end the whole conversation
    /// (`conversation_disconnect`, after a confirmation).
    DisconnectConversation,
    /// Nothing to send (an ended copy of a person, shown so the board is explained).
    None,
}

/// One leg that needs attention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FindingView {
    /// The call.
    pub conversation_id: String,
    /// The leg.
    pub participant_id: String,
    /// Who the leg is, as the board names it.
    pub party_name: String,
    /// The leg's purpose (`agent`, `external`, …; `unknown` when absent).
    pub purpose: String,
    /// The rule's id from the policy (`stale_duplicate` for the built-in marking).
    pub rule: String,
    /// What the rule looks for: `held`, `muted`, `alone`, `no_outside_party`, `silent`, `on_call`,
    /// `phantom`, `stale_duplicate` or `no_live_party`.
    pub kind: String,
    /// Since when the condition holds (ms since the Unix epoch).
    #[ts(type = "number")]
    pub since_ms: i64,
    /// False when the real start is earlier and unknown (a mute already set when watching began).
    pub since_known: bool,
    /// Why, in words ("on hold for 12 min").
    pub reason: String,
    /// What resolving it takes.
    pub resolution: ResolutionView,
    /// Who would remain on the call once it is resolved.
    pub remaining: Vec<String>,
}

/// A rule the detector could not evaluate, and why (never reported as "nothing found").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UnavailableRuleView {
    /// The rule's id.
    pub rule: String,
    /// The call, or `null` when the rule is unavailable everywhere.
    pub conversation_id: Option<String>,
    /// Why, naming the permission or licence.
    pub reason: String,
}

/// `attention_list`: the findings on the board now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AttentionResponse {
    /// Every finding, by call then rule then leg.
    pub findings: Vec<FindingView>,
    /// Rules that could not be evaluated.
    pub unavailable: Vec<UnavailableRuleView>,
    /// Where the rules come from: the policy file's path, or `built-in`.
    pub policy_source: String,
    /// Why the policy file was not used (its line and field), when it is broken.
    pub policy_error: Option<String>,
    /// Whether the board is being watched (no findings are looked for otherwise).
    pub watching: bool,
}

impl From<&Finding> for FindingView {
    fn from(f: &Finding) -> Self {
        Self {
            conversation_id: f.conversation_id.as_str().to_owned(),
            participant_id: f.participant_id.as_str().to_owned(),
            party_name: f.party_name.clone(),
            purpose: f
                .purpose
                .as_ref()
                .map_or_else(|| "unknown".to_owned(), |p| p.as_str().to_owned()),
            rule: f.rule.clone(),
            kind: match f.kind {
                FindingKind::Rule(kind) => kind.as_str().to_owned(),
                FindingKind::StaleDuplicate => crate::policy::detector::STALE_DUPLICATE.to_owned(),
                FindingKind::NoLiveParty => crate::policy::detector::NO_LIVE_PARTY.to_owned(),
            },
            since_ms: f.since.timestamp_millis(),
            since_known: f.since_known,
            reason: f.reason.clone(),
            resolution: match f.resolution {
                Resolution::DropLeg => ResolutionView::DropLeg,
                Resolution::DisconnectCommunication { .. } => {
                    ResolutionView::DisconnectCommunication
                }
                Resolution::DisconnectConversation => ResolutionView::DisconnectConversation,
                Resolution::None => ResolutionView::None,
            },
            remaining: f.remaining.clone(),
        }
    }
}

impl From<&Unavailable> for UnavailableRuleView {
    fn from(u: &Unavailable) -> Self {
        Self {
            rule: u.rule.clone(),
            conversation_id: u.conversation_id.as_ref().map(|c| c.as_str().to_owned()),
            reason: u.reason.clone(),
        }
    }
}

impl AttentionResponse {
    /// The panel's answer for one detection.
    pub fn new(detection: &Detection, policy_source: String, policy_error: Option<String>) -> Self {
        Self {
            findings: detection.findings.iter().map(FindingView::from).collect(),
            unavailable: detection
                .unavailable
                .iter()
                .map(UnavailableRuleView::from)
                .collect(),
            policy_source,
            policy_error,
            watching: true,
        }
    }
}
