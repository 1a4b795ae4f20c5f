//! The engine: per finding, would drop / drop / skip (with why), under safety rules no policy
//! file can switch off, every decision in the audit log with its rule id.
//!
//! Safety rules:
//! 1. A customer leg is acted on only by a rule whose `purposes` names `customer`.
//! 2. No action leaves a customer without an agent unless the rule says `allow_customer_alone`.
//! 3. Every action re-reads the conversation first and is skipped when the finding no longer holds.
//! 4. The cap (`max_drops_per_minute`) holds across restarts: it is counted from the audit log's
//!    `dropping` records of the last 60 s, not from memory.
//! 5. Two copies of a policy never drop a leg twice: acting happens under an exclusive lock on a
//!    file next to the audit log, and a `dropping` record for the leg (written before the request,
//!    read under the lock) means it was already acted on, even by a copy that crashed afterwards.
//!
//! The audit log is not read whole before each action: `History` (`history.rs`) keeps what
//! rules 4 and 5 need in memory, seeded from the whole file once and then brought up to date from
//! the bytes appended since (under the lock, before each action); its header says why that reads
//! the same facts a full read would.
//!
//! The I/O the engine needs is the [`LegActions`] trait ("re-read, then drop"), implemented for the
//! real [`Actions`] and faked in tests.
//!
//! About 950 lines on purpose: the safety rules above are enforced in one decision path, read top
//! to bottom; splitting it would scatter the checks a reviewer must see together.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use genesys_model::{
    CommunicationId, ConversationId, MediaParticipantRequest, ParticipantId, Purpose,
};
use serde::Serialize;

use super::detector::{self, Finding, FindingKind, Observations, Resolution};
use super::file::{Mode, Policy, Rule};
use super::history::History;
use super::observe::AcceptedDrops;
use crate::actions::{ActionError, Actions, PlanOptions, PlanVerdict};
use crate::audit::{
    Actor, AuditAction, AuditError, AuditLog, AuditOutcome, AuditRecord, AuditRequest, Party,
    PolicyDecision, PolicyNote,
};
use crate::roster::{ConversationRecord, RosterError};

/// What a drop through [`LegActions`] came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DropResult {
    /// The outcome, as the audit log spells it.
    pub outcome: AuditOutcome,
    /// The platform accepted the request (a 2xx): the base of the `phantom` rule.
    pub accepted: bool,
    /// In words (the API's message, "still on the line after 8 s").
    pub detail: Option<String>,
}

/// Why a re-read found no conversation to act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadError {
    /// The call no longer exists.
    Gone,
    /// The read failed; nothing is sent.
    Failed(String),
    /// The session ended (expired or revoked, not renewable): the finding is left undecided, with
    /// no record, and the run stops for "sign in again". A 401 the session can recover from (it
    /// refreshes, `auth/session.rs`) is retried once by the re-read and never ends up here.
    SessionEnded,
}

/// "Re-read, then drop": the I/O of the engine, so it can be tested with a fake.
pub trait LegActions: Send + Sync {
    /// One fresh read of the conversation (never the board's copy).
    fn reread(
        &self,
        conversation: &ConversationId,
    ) -> impl Future<Output = Result<Arc<ConversationRecord>, ReadError>> + Send;

    /// The verified drop of one leg.
    fn drop_leg(
        &self,
        conversation: &ConversationId,
        participant: &ParticipantId,
    ) -> impl Future<Output = DropResult> + Send;

    /// The communication disconnect of a leg that outlived an accepted drop, verified the same way.
    fn disconnect_communication(
        &self,
        conversation: &ConversationId,
        participant: &ParticipantId,
        communication: &CommunicationId,
    ) -> impl Future<Output = DropResult> + Send;
}

/// What the engine did with a finding (the `action` of `policy run --json`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionAction {
    /// Dry run: enforcing would drop it.
    WouldDrop,
    /// Enforce: dropped (see the outcome).
    Dropped,
    /// Not acted on (see why).
    Skipped,
}

/// One decision, as `policy run` prints it and the audit log records it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// The call.
    pub conversation_id: ConversationId,
    /// The leg.
    pub participant_id: ParticipantId,
    /// The rule's id.
    pub rule: String,
    /// Why the leg was found.
    pub reason: String,
    /// What was done.
    pub action: DecisionAction,
    /// How a drop ended (`confirmed`, `not_confirmed`, ...), for [`DecisionAction::Dropped`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Why it was skipped, for [`DecisionAction::Skipped`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped_because: Option<String>,
}

/// Why the engine could not decide at all (as opposed to skipping one finding).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The audit log could not be read or written: nothing is acted on without a record.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// The lock next to the audit log could not be taken.
    #[error("cannot lock {path}: {source}")]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

type Key = (String, ConversationId, ParticipantId);

/// Decides on findings and, in enforce mode, acts; cheap state only (the rest is in the audit log).
pub struct Engine<A> {
    policy: Policy,
    mode: Mode,
    actions: A,
    audit: AuditLog,
    actor: Actor,
    lock_path: PathBuf,
    /// The last decision per (rule, leg), so a long run records a decision once, not every pass.
    last: HashMap<Key, (DecisionAction, Option<String>)>,
    /// What the audit log says (intents, accepted drops), read incrementally.
    history: Arc<std::sync::Mutex<History>>,
    /// Dry run: when each "would drop" was decided, so the cap is simulated over 60 s as enforcing
    /// counts it, not per pass.
    would_drops: Vec<DateTime<Utc>>,
    /// Once this says `true`, no new decision is taken (the ones under way finish).
    stop: Option<tokio::sync::watch::Receiver<bool>>,
}

/// The lock file beside an audit log (`audit.jsonl` → `audit.jsonl.policy.lock`).
pub fn lock_path_for(audit: &Path) -> PathBuf {
    let mut name = audit
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".policy.lock");
    audit.with_file_name(name)
}

impl<A: LegActions> Engine<A> {
    /// An engine for `policy` in `mode` (the file's mode, or `--dry-run`'s override).
    pub fn new(policy: Policy, mode: Mode, actions: A, audit: AuditLog, actor: Actor) -> Self {
        let lock_path = lock_path_for(audit.path());
        Self {
            policy,
            mode,
            actions,
            audit,
            actor,
            lock_path,
            last: HashMap::new(),
            history: Arc::default(),
            would_drops: Vec::new(),
            stop: None,
        }
    }

    /// The policy it runs.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The mode it runs in.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The actions it acts through.
    pub fn actions(&self) -> &A {
        &self.actions
    }

    /// Stops taking new decisions once `stop` says `true` (a decision already under way, such as
    /// a drop waiting for its confirmation, finishes and is recorded).
    pub fn stop_when(&mut self, stop: tokio::sync::watch::Receiver<bool>) {
        self.stop = Some(stop);
    }

    fn stopping(&self) -> bool {
        self.stop.as_ref().is_some_and(|s| *s.borrow())
    }

    /// Reads what was appended to the audit log since the last look (the whole log the first
    /// time): drops accepted since, by this process or another, feed the `phantom` rule.
    pub async fn catch_up(&self) -> Result<(), EngineError> {
        let history = Arc::clone(&self.history);
        let log = self.audit.clone();
        tokio::task::spawn_blocking(move || {
            history
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .catch_up(&log)
        })
        .await
        .map_err(|e| AuditError::Io {
            path: self.audit.path().to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })??;
        Ok(())
    }

    /// Drops the platform accepted, as of the last [`Engine::catch_up`] (the `phantom` rule's input).
    pub fn accepted_drops(&self) -> AcceptedDrops {
        self.history().accepted().clone()
    }

    /// Audit records read since the engine started (each once: the cost of a long run).
    pub fn audit_records_read(&self) -> u64 {
        self.history().records_read()
    }

    fn history(&self) -> std::sync::MutexGuard<'_, History> {
        self.history
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Decides on every finding of one evaluation of `board` at `now`; returns the decisions that
    /// are new since the last call (a leg still waiting for the same reason is not repeated).
    pub async fn decide(
        &mut self,
        board: &[Arc<ConversationRecord>],
        findings: &[Finding],
        obs: &Observations<'_>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Decision>, EngineError> {
        let records: HashMap<&ConversationId, &Arc<ConversationRecord>> =
            board.iter().map(|r| (&r.id, r)).collect();
        let mut planned: HashMap<ConversationId, HashSet<ParticipantId>> = HashMap::new();
        let window_start = now - chrono::Duration::seconds(60);
        self.would_drops.retain(|t| *t > window_start);
        let mut decisions = Vec::new();
        let mut seen: HashSet<Key> = HashSet::new();
        for finding in findings {
            if self.stopping() {
                break; // stopping: decisions under way are done; take no new one
            }
            if !actionable(finding) {
                continue; // marked on the board; the policy never acts on it
            }
            let key = key_of(finding);
            if !seen.insert(key.clone()) {
                continue;
            }
            let Some(rule) = self.policy.rule(&finding.rule).cloned() else {
                continue;
            };
            let record = records.get(&finding.conversation_id).map(|r| r.as_ref());
            if self.mode == Mode::DryRun
                && matches!(self.last.get(&key), Some((DecisionAction::WouldDrop, _)))
            {
                // Said once for this finding: enforcing would have dropped it then. It stays
                // planned (for the customer check of other legs) but is not said again.
                plan(&mut planned, finding);
                continue;
            }
            let decision = match self.mode {
                Mode::DryRun => {
                    // The cap over the last minute (a long dry run), not per pass.
                    let would_drops = u32::try_from(self.would_drops.len()).unwrap_or(u32::MAX);
                    match dry_run_skip(
                        &self.policy,
                        &rule,
                        finding,
                        obs,
                        record,
                        &planned,
                        would_drops,
                    ) {
                        Some(why) => skipped(finding, why),
                        None => {
                            self.would_drops.push(now);
                            plan(&mut planned, finding);
                            would_drop(finding)
                        }
                    }
                }
                Mode::Enforce => match static_skip(&rule, finding, obs) {
                    Some(why) => skipped(finding, why),
                    None => match self.enforce(&rule, finding, obs, now).await? {
                        Some(decision) => decision,
                        // The session ended: no record (not a skip of this finding); every
                        // later re-read would fail the same way, so take no further decision.
                        None => break,
                    },
                },
            };
            let signature = (decision.action, decision.skipped_because.clone());
            if decision.action != DecisionAction::Dropped && self.last.get(&key) == Some(&signature)
            {
                continue;
            }
            self.last.insert(key, signature);
            if decision.action != DecisionAction::Dropped {
                // Enforced drops wrote their own records (intent, then outcome).
                let record = self.record(finding, &decision, now, None, 0);
                self.audit.append_async(record).await?;
            }
            decisions.push(decision);
        }
        // Forget legs no longer found, so a finding that comes back is decided (and recorded) again.
        let found: HashSet<Key> = findings.iter().map(key_of).collect();
        self.last.retain(|k, _| found.contains(k));
        Ok(decisions)
    }

    async fn enforce(
        &self,
        rule: &Rule,
        finding: &Finding,
        obs: &Observations<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<Decision>, EngineError> {
        let _lock = PolicyLock::acquire(self.lock_path.clone()).await?;
        // Under the lock: everything another copy recorded before releasing it is read now (only
        // the bytes appended since the last look, see `history.rs`).
        self.catch_up().await?;
        let escalation = matches!(
            finding.resolution,
            Resolution::DisconnectCommunication { .. }
        );
        let (recent, acted) = {
            let mut history = self.history();
            (
                history.recent_intents(now),
                history.acted_on(
                    finding.conversation_id.as_str(),
                    finding.participant_id.as_str(),
                    escalation,
                ),
            )
        };
        if let Some(at) = acted {
            return Ok(Some(skipped(
                finding,
                format!(
                    "already acted on by this policy at {} (another copy, or before a restart)",
                    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
            )));
        }
        if recent >= self.policy.max_drops_per_minute {
            return Ok(Some(skipped(
                finding,
                format!(
                    "the cap of {} drops a minute is reached ({recent} in the last 60 s)",
                    self.policy.max_drops_per_minute
                ),
            )));
        }
        let fresh = match self.actions.reread(&finding.conversation_id).await {
            Ok(record) => record,
            Err(ReadError::Gone) => {
                return Ok(Some(skipped(
                    finding,
                    "no longer holds: the call has ended".into(),
                )));
            }
            Err(ReadError::SessionEnded) => return Ok(None),
            Err(ReadError::Failed(why)) => {
                return Ok(Some(skipped(
                    finding,
                    format!("the call could not be re-read: {why}"),
                )));
            }
        };
        let single = Policy {
            mode: self.policy.mode,
            max_drops_per_minute: self.policy.max_drops_per_minute,
            rules: vec![rule.clone()],
        };
        let still = detector::detect_record(&fresh, &single, obs, now)
            .findings
            .into_iter()
            .find(|f| f.rule == finding.rule && f.participant_id == finding.participant_id);
        let Some(still) = still else {
            return Ok(Some(skipped(
                finding,
                "no longer holds: a fresh read of the call shows otherwise".into(),
            )));
        };
        if let Some(why) = customer_alone_skip(rule, &fresh, &finding.participant_id, None) {
            return Ok(Some(skipped(finding, why)));
        }
        // The intent first: a crash or a second copy after this line never sends it again.
        let communication = match &still.resolution {
            Resolution::DisconnectCommunication { communication_id } => {
                Some(communication_id.clone().or_else(|| {
                    fresh
                        .live_party(&finding.participant_id)
                        .and_then(|p| p.communication_id.clone())
                }))
            }
            _ => None,
        };
        if let Some(None) = communication {
            return Ok(Some(skipped(
                finding,
                "the leg's communication id is not known, so it cannot be disconnected".into(),
            )));
        }
        let communication = communication.flatten();
        let intent = Decision {
            action: DecisionAction::Dropped,
            ..skipped(&still, String::new())
        };
        let mut record = self.record(&still, &intent, now, communication.as_ref(), 0);
        if let Some(note) = record.policy.as_mut() {
            note.decision = PolicyDecision::Dropping;
            note.skipped_because = None;
        }
        record.outcome = AuditOutcome::Pending;
        record.detail = Some(format!(
            "policy rule \"{}\" ({}): dropping: {}",
            finding.rule,
            self.mode.as_str(),
            still.reason
        ));
        self.audit.append_async(record).await?;
        let started = std::time::Instant::now();
        let result = match &communication {
            Some(m) => {
                self.actions
                    .disconnect_communication(&finding.conversation_id, &finding.participant_id, m)
                    .await
            }
            None => {
                self.actions
                    .drop_leg(&finding.conversation_id, &finding.participant_id)
                    .await
            }
        };
        let decision = Decision {
            conversation_id: finding.conversation_id.clone(),
            participant_id: finding.participant_id.clone(),
            rule: finding.rule.clone(),
            reason: still.reason.clone(),
            action: DecisionAction::Dropped,
            outcome: Some(result.outcome.as_str().to_owned()),
            skipped_because: None,
        };
        let mut done = self.record(
            &still,
            &decision,
            now,
            communication.as_ref(),
            u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        );
        done.outcome = result.outcome;
        if let Some(detail) = &result.detail {
            done.detail = Some(format!("{}; {detail}", done.detail.unwrap_or_default()));
        }
        self.audit.append_async(done).await?;
        Ok(Some(decision))
    }

    fn record(
        &self,
        finding: &Finding,
        decision: &Decision,
        now: DateTime<Utc>,
        communication: Option<&CommunicationId>,
        latency_ms: u64,
    ) -> AuditRecord {
        let (decided, outcome, words) = match decision.action {
            DecisionAction::WouldDrop => (
                PolicyDecision::WouldDrop,
                AuditOutcome::NotSent,
                "would drop".to_owned(),
            ),
            DecisionAction::Skipped => (
                PolicyDecision::Skipped,
                AuditOutcome::NotSent,
                format!(
                    "skipped ({})",
                    decision.skipped_because.as_deref().unwrap_or("")
                ),
            ),
            DecisionAction::Dropped => (
                PolicyDecision::Dropped,
                AuditOutcome::Pending,
                format!(
                    "dropped ({})",
                    decision.outcome.as_deref().unwrap_or("pending")
                ),
            ),
        };
        let mut path = format!(
            "/api/v2/conversations/calls/{}/participants/{}",
            finding.conversation_id, finding.participant_id
        );
        if let Some(m) = communication {
            path.push_str(&format!("/communications/{m}"));
        }
        AuditRecord {
            id: uuid::Uuid::new_v4(),
            time: now,
            actor: self.actor.clone(),
            action: AuditAction::Drop,
            conversation_id: finding.conversation_id.to_string(),
            participant_id: finding.participant_id.to_string(),
            party: Party {
                name: finding.party_name.clone(),
                purpose: finding
                    .purpose
                    .as_ref()
                    .map_or("unknown", Purpose::as_str)
                    .to_owned(),
            },
            request: AuditRequest {
                method: "PATCH".into(),
                path,
                body: serde_json::json!({"state": "disconnected"}),
            },
            outcome,
            latency_ms,
            correlation_id: None,
            detail: Some(format!(
                "policy rule \"{}\" ({}): {words}: {}",
                finding.rule,
                self.mode.as_str(),
                finding.reason
            )),
            policy: Some(PolicyNote {
                rule: finding.rule.clone(),
                decision: decided,
                mode: self.mode.as_str().to_owned(),
                reason: finding.reason.clone(),
                skipped_because: decision.skipped_because.clone(),
            }),
        }
    }
}

/// What a dry run would decide on `findings` now, with the same rules as [`Engine::decide`] in
/// dry-run mode, but recording nothing and needing no actions: the desktop's policy preview, asked
/// for on demand and refreshed every few seconds, which is a view, not a decision (recording it
/// would add a line per leg per refresh to the audit log).
pub fn preview(
    policy: &Policy,
    board: &[Arc<ConversationRecord>],
    findings: &[Finding],
    obs: &Observations<'_>,
) -> Vec<Decision> {
    let records: HashMap<&ConversationId, &Arc<ConversationRecord>> =
        board.iter().map(|r| (&r.id, r)).collect();
    let mut pass = DryRunPass::default();
    let mut seen: HashSet<Key> = HashSet::new();
    let mut out = Vec::new();
    for finding in findings.iter().filter(|f| actionable(f)) {
        if !seen.insert(key_of(finding)) {
            continue;
        }
        let Some(rule) = policy.rule(&finding.rule) else {
            continue;
        };
        let record = records.get(&finding.conversation_id).map(|r| r.as_ref());
        out.push(pass.decide(policy, rule, finding, obs, record));
    }
    out
}

/// Whether the policy may act on a finding: only its own rules' findings with something to send
/// (never the board's markings: a stale duplicate, or a call with nobody left, which only a
/// supervisor ends, after a confirmation).
fn actionable(finding: &Finding) -> bool {
    matches!(finding.kind, FindingKind::Rule(_)) && finding.resolution != Resolution::None
}

fn key_of(finding: &Finding) -> Key {
    (
        finding.rule.clone(),
        finding.conversation_id.clone(),
        finding.participant_id.clone(),
    )
}

/// Counts the leg as already dropped in this pass, so the customer rule sees it gone.
fn plan(planned: &mut HashMap<ConversationId, HashSet<ParticipantId>>, finding: &Finding) {
    planned
        .entry(finding.conversation_id.clone())
        .or_default()
        .insert(finding.participant_id.clone());
}

/// Why a dry run would not drop the leg now (`None`: it would), the one judgement of the engine's
/// dry run and the preview: the static skips, then the customer rule against the legs already
/// planned, then the cap (`would_drops` counted as the caller counts it).
fn dry_run_skip(
    policy: &Policy,
    rule: &Rule,
    finding: &Finding,
    obs: &Observations<'_>,
    record: Option<&ConversationRecord>,
    planned: &HashMap<ConversationId, HashSet<ParticipantId>>,
    would_drops: u32,
) -> Option<String> {
    static_skip(rule, finding, obs)
        .or_else(|| {
            record.and_then(|r| {
                customer_alone_skip(rule, r, &finding.participant_id, planned.get(&r.id))
            })
        })
        .or_else(|| {
            (would_drops >= policy.max_drops_per_minute).then(|| {
                format!(
                    "the cap of {} drops a minute would be reached first",
                    policy.max_drops_per_minute
                )
            })
        })
}

fn would_drop(finding: &Finding) -> Decision {
    Decision {
        conversation_id: finding.conversation_id.clone(),
        participant_id: finding.participant_id.clone(),
        rule: finding.rule.clone(),
        reason: finding.reason.clone(),
        action: DecisionAction::WouldDrop,
        outcome: None,
        skipped_because: None,
    }
}

fn skipped(finding: &Finding, why: String) -> Decision {
    Decision {
        conversation_id: finding.conversation_id.clone(),
        participant_id: finding.participant_id.clone(),
        rule: finding.rule.clone(),
        reason: finding.reason.clone(),
        action: DecisionAction::Skipped,
        outcome: None,
        skipped_because: Some(why),
    }
}

/// One dry-run pass over the findings: the legs it would already drop (so the customer rule sees
/// them gone) and how many (so the cap holds within the pass).
#[derive(Default)]
struct DryRunPass {
    planned: HashMap<ConversationId, HashSet<ParticipantId>>,
    would_drops: u32,
}

impl DryRunPass {
    fn decide(
        &mut self,
        policy: &Policy,
        rule: &Rule,
        finding: &Finding,
        obs: &Observations<'_>,
        record: Option<&ConversationRecord>,
    ) -> Decision {
        let skip = dry_run_skip(
            policy,
            rule,
            finding,
            obs,
            record,
            &self.planned,
            self.would_drops,
        );
        if let Some(why) = skip {
            return skipped(finding, why);
        }
        self.would_drops += 1;
        plan(&mut self.planned, finding);
        would_drop(finding)
    }
}

/// Skips that need no I/O: the customer rule and the exclusions (re-checked here whatever the
/// detector did).
fn static_skip(rule: &Rule, finding: &Finding, obs: &Observations<'_>) -> Option<String> {
    if matches!(finding.purpose, Some(Purpose::Customer)) && !rule.names_customer() {
        return Some(
            "a customer leg is acted on only by a rule whose purposes name customer".into(),
        );
    }
    if !rule.covers_purpose(finding.purpose.as_ref()) {
        return Some("the rule's purposes do not cover this leg".into());
    }
    if detector::is_excluded(rule, finding.user_id.as_ref(), obs.directory) {
        return Some("the person is in the rule's exclude_users".into());
    }
    None
}

/// Skips an action that would leave a live customer without an agent-like party (unless the rule
/// allows it); `planned` are legs already to be dropped from this call in the same pass.
fn customer_alone_skip(
    rule: &Rule,
    record: &ConversationRecord,
    target: &ParticipantId,
    planned: Option<&HashSet<ParticipantId>>,
) -> Option<String> {
    if rule.allow_customer_alone {
        return None;
    }
    let gone = |id: &ParticipantId| id == target || planned.is_some_and(|p| p.contains(id));
    let remaining: Vec<_> = record
        .live_people()
        .filter(|p| !gone(&p.participant_id))
        .collect();
    let customer_left = remaining.iter().any(|p| p.is_customer());
    let agent_left = remaining.iter().any(|p| p.is_agent_like());
    (customer_left && !agent_left).then(|| {
        "it would leave a customer without an agent (the rule does not set allow_customer_alone)"
            .to_owned()
    })
}

/// An exclusive advisory lock on the file beside the audit log, held while one action is decided
/// and made; released when dropped (and by the OS if the process dies).
struct PolicyLock {
    #[allow(dead_code)] // Held for its lock.
    file: std::fs::File,
    #[allow(dead_code)] // Removed on release where there is no flock.
    path: PathBuf,
}

impl PolicyLock {
    async fn acquire(path: PathBuf) -> Result<Self, EngineError> {
        let p = path.clone();
        tokio::task::spawn_blocking(move || Self::acquire_blocking(&p))
            .await
            .map_err(|e| EngineError::Lock {
                path: path.clone(),
                source: std::io::Error::other(e.to_string()),
            })?
            .map_err(|source| EngineError::Lock { path, source })
    }

    #[cfg(unix)]
    fn acquire_blocking(path: &Path) -> std::io::Result<Self> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(path)?;
        rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)?;
        Ok(Self {
            file,
            path: path.to_path_buf(),
        })
    }

    #[cfg(not(unix))]
    fn acquire_blocking(path: &Path) -> std::io::Result<Self> {
        // No flock: an O_EXCL lock file, taken over when older than a minute (a crashed holder).
        let started = std::time::Instant::now();
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
            {
                Ok(file) => {
                    return Ok(Self {
                        file,
                        path: path.to_path_buf(),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let stale = std::fs::metadata(path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|m| m.elapsed().ok())
                        .is_some_and(|age| age > Duration::from_secs(60));
                    if stale {
                        let _ = std::fs::remove_file(path);
                    } else if started.elapsed() > Duration::from_secs(120) {
                        return Err(e);
                    } else {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(not(unix))]
impl Drop for PolicyLock {
    fn drop(&mut self) {
        // Best effort; a left-over file is taken over after a minute.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The real "re-read, then drop": the verified drop of [`Actions`] (plan, then execute, audited
/// by the actions as a supervisor's drop is), and a verified communication disconnect.
impl LegActions for Actions {
    async fn reread(
        &self,
        conversation: &ConversationId,
    ) -> Result<Arc<ConversationRecord>, ReadError> {
        // A 401 makes a renewable session refresh before its next request (`auth/session.rs`,
        // `on_unauthorized`), so one retry goes with a new token; only a session that really
        // ended (its lifecycle says so: a second 401 right after a refresh ends it) is
        // `SessionEnded`; a retry that fails otherwise is an ordinary failed read.
        let mut retried = false;
        loop {
            match self.roster().reread(conversation).await {
                Ok(record) if record.ended => return Err(ReadError::Gone),
                Ok(record) => return Ok(record),
                Err(RosterError::ConversationNotFound(_)) => return Err(ReadError::Gone),
                Err(_) if self.session_expired() => return Err(ReadError::SessionEnded),
                Err(e) if !retried && (e.is_session_expired() || is_not_signed_in(&e)) => {
                    retried = true;
                }
                Err(e) => return Err(ReadError::Failed(e.to_string())),
            }
        }
    }

    async fn drop_leg(
        &self,
        conversation: &ConversationId,
        participant: &ParticipantId,
    ) -> DropResult {
        let plan = match self
            .plan_drop_with(conversation, participant, PlanOptions::default())
            .await
        {
            Ok(plan) => plan,
            Err(e) => return action_error(&e),
        };
        if plan.verdict == PlanVerdict::AlreadyGone {
            return DropResult {
                outcome: AuditOutcome::AlreadyGone,
                accepted: false,
                detail: Some("the leg had already left; nothing was sent".into()),
            };
        }
        match self.execute_drop(&plan).await {
            Ok(report) => {
                let outcome = report.outcome.audit_outcome();
                DropResult {
                    outcome,
                    accepted: matches!(
                        outcome,
                        AuditOutcome::Confirmed | AuditOutcome::NotConfirmed
                    ),
                    detail: None,
                }
            }
            Err(e) => action_error(&e),
        }
    }

    async fn disconnect_communication(
        &self,
        conversation: &ConversationId,
        participant: &ParticipantId,
        communication: &CommunicationId,
    ) -> DropResult {
        let request = match genesys_client::request::build::patch_communication(
            conversation,
            participant,
            communication,
            &MediaParticipantRequest::disconnect(),
        ) {
            Ok(r) => r,
            Err(e) => {
                return DropResult {
                    outcome: AuditOutcome::Failed,
                    accepted: false,
                    detail: Some(e.to_string()),
                };
            }
        };
        if let Err(e) = self.client().execute(request).await {
            let refused = e.status().is_some();
            return DropResult {
                outcome: if refused {
                    AuditOutcome::Refused
                } else {
                    AuditOutcome::Failed
                },
                accepted: false,
                detail: Some(e.to_string()),
            };
        }
        // Verified the same way as a drop: the leg must show ended.
        let deadline = std::time::Instant::now() + Duration::from_secs(8);
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            match self.roster().reread(conversation).await {
                Ok(r) if r.live_party(participant).is_none() => {
                    return DropResult {
                        outcome: AuditOutcome::Confirmed,
                        accepted: true,
                        detail: None,
                    };
                }
                Err(RosterError::ConversationNotFound(_)) => {
                    return DropResult {
                        outcome: AuditOutcome::Confirmed,
                        accepted: true,
                        detail: Some("the call has ended".into()),
                    };
                }
                _ if std::time::Instant::now() >= deadline => {
                    return DropResult {
                        outcome: AuditOutcome::NotConfirmed,
                        accepted: true,
                        detail: Some(
                            "the leg was still on the call 8 s after the communication disconnect"
                                .into(),
                        ),
                    };
                }
                _ => {}
            }
        }
    }
}

/// The session would not hand out a token (it is over, or it could not refresh).
fn is_not_signed_in(e: &RosterError) -> bool {
    matches!(e, RosterError::Api(e) if e.kind() == genesys_client::ErrorKind::NotSignedIn)
}

fn action_error(e: &ActionError) -> DropResult {
    let outcome = match e {
        ActionError::ParticipantGone { .. } => AuditOutcome::AlreadyGone,
        ActionError::Forbidden { .. } => AuditOutcome::Refused,
        _ => AuditOutcome::Failed,
    };
    DropResult {
        outcome,
        accepted: false,
        detail: Some(crate::present::error::action(e)),
    }
}
