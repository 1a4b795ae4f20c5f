//! The policy page's contract: the rules in force in words and where they come from, the enforce
//! switch (and why it may be locked), the dry-run preview of what enforcing would do now, and the
//! whole-conversation disconnect offered by the "Needs attention" panel.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::attention::UnavailableRuleView;
use crate::policy::{Decision, DecisionAction};

/// One rule of the policy in force, as the page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRuleView {
    /// The rule's id (every decision in the audit log carries it).
    pub id: String,
    /// What it looks for: `held`, `muted`, `alone`, `no_outside_party`, `silent`, `on_call`, `phantom`.
    pub when: String,
    /// The rule in words (`Rule::explain`).
    pub explanation: String,
}

/// What enforcing would do with one finding now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum PreviewAction {
    /// Enforcing would drop the leg.
    WouldDrop,
    /// Enforcing would leave it (see `skippedBecause`).
    Skipped,
}

/// One line of the dry-run preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PreviewDecisionView {
    /// The call.
    pub conversation_id: String,
    /// The leg.
    pub participant_id: String,
    /// Who the leg is, as the board names it.
    pub party_name: String,
    /// The rule's id.
    pub rule: String,
    /// Why the leg was found.
    pub reason: String,
    /// Would drop, or skipped.
    pub action: PreviewAction,
    /// Why it would be skipped.
    pub skipped_because: Option<String>,
}

impl PreviewDecisionView {
    /// The view of one engine decision, with the leg's name from the finding.
    pub fn new(decision: &Decision, party_name: String) -> Self {
        Self {
            conversation_id: decision.conversation_id.as_str().to_owned(),
            participant_id: decision.participant_id.as_str().to_owned(),
            party_name,
            rule: decision.rule.clone(),
            reason: decision.reason.clone(),
            action: match decision.action {
                DecisionAction::WouldDrop => PreviewAction::WouldDrop,
                // A preview never drops; anything else is shown as not acted on.
                DecisionAction::Dropped | DecisionAction::Skipped => PreviewAction::Skipped,
            },
            skipped_because: decision.skipped_because.clone(),
        }
    }
}

/// The enforce switch: whether the app drops legs by itself now, and whether it may.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EnforceView {
    /// The app is enforcing the policy on the live board now.
    pub on: bool,
    /// False when the configuration forbids enforcement (`allow_policy_enforcement = false`).
    pub allowed: bool,
    /// True when that setting comes from the administrator's system-wide file (shown locked).
    pub locked_by_admin: bool,
    /// Why it is not allowed, naming the file, when it is not.
    pub not_allowed_reason: Option<String>,
    /// When enforcement was switched on (ms since the Unix epoch).
    #[ts(type = "number | null")]
    pub since_ms: Option<i64>,
    /// Decisions made since then (each is in the audit log).
    pub decisions: u32,
    /// Why the last evaluation failed, if it did (enforcement keeps trying).
    pub last_error: Option<String>,
}

/// `policy_view`: the rules in force, the switch and what enforcing would do now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PolicyViewResponse {
    /// Where the rules come from: the policy file's path, or `built-in`.
    pub source: String,
    /// The policy file that would be read (shown so the user knows where to put one).
    pub file_path: Option<String>,
    /// Why the policy file was not used (its line and field), when it is broken.
    pub error: Option<String>,
    /// The mode the file asks for (`dry-run` or `enforce`); the app enforces only when switched on.
    pub file_mode: String,
    /// The cap on drops in any 60 s.
    pub max_drops_per_minute: u32,
    /// The policy in words (`Policy::explain`): the mode and the cap, then one line per rule.
    pub explanation: Vec<String>,
    /// The rules.
    pub rules: Vec<PolicyRuleView>,
    /// The enforce switch.
    pub enforce: EnforceView,
    /// What enforcing would do with the board now (nothing is sent or recorded to compute it).
    pub preview: Vec<PreviewDecisionView>,
    /// Rules that could not be evaluated.
    pub unavailable: Vec<UnavailableRuleView>,
    /// Whether the board is watched (no preview otherwise).
    pub watching: bool,
}

/// `policy_set_enforce`: switch enforcement on (after the page's confirmation) or off.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SetEnforceRequest {
    /// On or off.
    pub on: bool,
}

/// `conversation_disconnect`: which call to end for everyone.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DisconnectConversationRequest {
    /// The call.
    pub conversation_id: String,
}

/// How a whole-conversation disconnect ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum DisconnectOutcome {
    /// The call is seen ended (on the board or by one re-read).
    Confirmed,
    /// The platform accepted it but the call still shows.
    NotConfirmed,
}

/// `conversation_disconnect`: the verified, audited outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DisconnectConversationResult {
    /// The call.
    pub conversation_id: String,
    /// Confirmed or not.
    pub outcome: DisconnectOutcome,
    /// In words, for the panel and screen readers.
    pub message: String,
    /// From the request to the outcome.
    #[ts(type = "number")]
    pub latency_ms: u64,
}
