//! "Needs attention": the detector ([`crate::policy::detect`]) over the live board, for the desktop
//! panel. The rules come from the user's policy file when there is one, else from the built-in
//! [`DESKTOP_POLICY`]; the panel only shows and explains (it never acts by itself: each resolution
//! goes through the usual confirmation: the drop dialog, or for a call with nobody left on it the
//! whole-conversation disconnect of [`super::disconnect`]). The [`Evaluator`] here is also what the
//! policy page's preview ([`super::policy`]) evaluates with.

use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

use super::{Desktop, Live, lock};
use crate::audit::AuditLog;
use crate::ipc::attention::AttentionResponse;
use crate::ipc::error::IpcError;
use crate::ipc::queues::QueueInfo;
use crate::policy::{
    AcceptedDrops, Detection, Directory, FlagTracker, Observations, Policy, Transcription, detect,
};
use crate::roster::{ChangeKind, ConversationRecord, Roster};

/// The rules the panel uses when the user has no policy file: findings only (dry run), with
/// thresholds a supervisor would call "something is wrong" rather than "a long call".
pub const DESKTOP_POLICY: &str = r#"
mode = "dry-run"

[[rule]]
id = "phantom-leg"
when = "phantom"
for = "30s"

[[rule]]
id = "alone-on-call"
when = "alone"
for = "2m"

[[rule]]
id = "no-outside-party"
when = "no_outside_party"
for = "5m"

[[rule]]
id = "held-too-long"
when = "held"
for = "10m"

[[rule]]
id = "muted-too-long"
when = "muted"
for = "10m"
"#;

/// The rules in force, where they came from, and why a policy file was not used.
#[derive(Debug)]
pub(super) struct DesktopPolicy {
    pub(super) policy: Policy,
    pub(super) source: String,
    pub(super) error: Option<String>,
}

impl DesktopPolicy {
    /// The rules in force.
    pub(super) fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The file's rules, or the built-in ones (saying why) when there is no file or it is broken;
    /// the file is only read, never changed.
    pub(super) fn load(path: Option<&Path>) -> Self {
        let built_in = || Policy::parse(DESKTOP_POLICY).expect("the built-in policy is valid");
        match path {
            Some(path) if path.exists() => match Policy::load(path) {
                Ok(policy) => Self {
                    policy,
                    source: path.display().to_string(),
                    error: None,
                },
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "the policy file is not valid; the built-in rules are used");
                    Self {
                        policy: built_in(),
                        source: "built-in".into(),
                        error: Some(error.to_string()),
                    }
                }
            },
            _ => Self {
                policy: built_in(),
                source: "built-in".into(),
                error: None,
            },
        }
    }
}

/// When each leg's mute and hold were first seen: fed by every roster change while the board is
/// watched, so a mute's age counts from the moment it appeared, not from when the panel looked.
pub(super) struct FlagWatch {
    flags: Arc<Mutex<FlagTracker>>,
    task: JoinHandle<()>,
}

impl FlagWatch {
    /// Starts following `roster`'s changes.
    pub(super) fn start(roster: &Roster) -> Self {
        let (snapshot, mut changes) = roster.subscribe();
        let flags = Arc::new(Mutex::new(FlagTracker::new()));
        lock(&flags).observe(&snapshot.conversations, Utc::now());
        let fed = Arc::clone(&flags);
        let task = tokio::spawn(async move {
            loop {
                match changes.recv().await {
                    Ok(change) => {
                        if let ChangeKind::Upserted { conversation } = &change.kind {
                            lock(&fed).observe_record(conversation, Utc::now());
                        }
                    }
                    // The next evaluation observes the whole board, which covers what was missed.
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => break,
                }
            }
        });
        Self { flags, task }
    }
}

impl Drop for FlagWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What one evaluation needs besides the policy: the board, when mutes and holds were first seen,
/// the queue names and the audit log (for accepted drops); the policy page's preview
/// ([`super::policy`]) evaluates with it too.
#[derive(Clone)]
pub(super) struct Evaluator {
    roster: Roster,
    flags: Arc<Mutex<FlagTracker>>,
    directory: Directory,
    audit: Option<AuditLog>,
    /// The live calls' transcription as the feed last published it, when a rule needs it.
    transcript: Option<Arc<Mutex<Transcription>>>,
}

/// One evaluation, owning what the detector and the engine read, so the engine can be awaited
/// with it.
pub(super) struct Evaluation {
    /// The board it looked at.
    pub board: Vec<Arc<ConversationRecord>>,
    flags: FlagTracker,
    accepted: AcceptedDrops,
    transcription: Transcription,
    directory: Directory,
    /// What the detector found.
    pub detection: Detection,
}

impl Evaluation {
    /// The observations the detector used, for the engine.
    pub fn observations(&self) -> Observations<'_> {
        Observations {
            flags: &self.flags,
            accepted_drops: &self.accepted,
            transcription: &self.transcription,
            directory: &self.directory,
        }
    }
}

impl Evaluator {
    /// An evaluator over a live board and its watched queues.
    pub(super) fn new(live: &Live, queues: &[QueueInfo], audit: Option<AuditLog>) -> Self {
        let directory = queues.iter().fold(Directory::new(), |d, q| {
            d.queue(genesys_model::QueueId::new(q.id.clone()), q.name.clone())
        });
        Self {
            roster: live.roster.clone(),
            flags: Arc::clone(&live.flags.flags),
            directory,
            audit,
            transcript: live.transcript.as_ref().map(|feed| feed.shared()),
        }
    }

    /// Runs the detector with `policy` over the board now.
    pub(super) async fn evaluate(&self, policy: &Policy) -> Result<Evaluation, IpcError> {
        let accepted = match &self.audit {
            Some(audit) => {
                let audit = audit.clone();
                let report = tokio::task::spawn_blocking(move || audit.read_all())
                    .await
                    .map_err(|e| IpcError::internal(e.to_string()))??;
                AcceptedDrops::from_audit(&report.records)
            }
            None => AcceptedDrops::new(),
        };
        let transcription = match &self.transcript {
            Some(shared) => lock(shared).clone(),
            None => super::transcription::current(None),
        };
        let board = self.roster.snapshot().conversations;
        let now = Utc::now();
        let flags = {
            let mut flags = lock(&self.flags);
            flags.observe(&board, now);
            flags.clone()
        };
        let mut evaluation = Evaluation {
            board,
            flags,
            accepted,
            transcription,
            directory: self.directory.clone(),
            detection: Detection::default(),
        };
        evaluation.detection = detect(&evaluation.board, policy, &evaluation.observations(), now);
        Ok(evaluation)
    }
}

impl Desktop {
    /// The evaluator of the watched board, or `None` when no board is watched.
    pub(super) async fn evaluator(&self) -> Result<Option<Evaluator>, IpcError> {
        let (live, queues) = self
            .with_signed(|s| (s.live.clone(), s.queues.clone()))
            .await?;
        let audit = self.audit.as_ref().ok().cloned();
        Ok(live.map(|live| Evaluator::new(&live, &queues, audit)))
    }

    /// `attention_list`: what the detector finds on the board now, with the rules it could not use.
    pub async fn attention_list(&self) -> Result<AttentionResponse, IpcError> {
        let policy = &self.policy;
        let Some(evaluator) = self.evaluator().await? else {
            return Ok(AttentionResponse {
                findings: Vec::new(),
                unavailable: Vec::new(),
                policy_source: policy.source.clone(),
                policy_error: policy.error.clone(),
                watching: false,
            });
        };
        let evaluation = evaluator.evaluate(&policy.policy).await?;
        Ok(AttentionResponse::new(
            &evaluation.detection,
            policy.source.clone(),
            policy.error.clone(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(tag: &str, text: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!(
            "bk-attention-{tag}-{}-{}.toml",
            std::process::id(),
            Utc::now().timestamp_nanos_opt().unwrap_or_default()
        ));
        std::fs::write(&path, text).expect("policy file");
        path
    }

    #[test]
    fn the_built_in_rules_are_valid_and_dry_run() {
        let policy = Policy::parse(DESKTOP_POLICY).expect("built-in policy");
        assert_eq!(policy.mode, crate::policy::Mode::DryRun);
        assert_eq!(policy.rules.len(), 5);
    }

    #[test]
    fn no_file_means_the_built_in_rules() {
        let loaded = DesktopPolicy::load(Some(Path::new("/nonexistent/bridgekeeper/policy.toml")));
        assert_eq!(loaded.source, "built-in");
        assert_eq!(loaded.error, None);
        let none = DesktopPolicy::load(None);
        assert_eq!(none.source, "built-in");
    }

    #[test]
    fn a_broken_file_is_named_with_its_line_and_field_and_left_as_it_is() {
        let text =
            "mode = \"dry-run\"\n\n[[rule]]\nid = \"x\"\nwhen = \"held\"\nfor = \"ten minutes\"\n";
        let path = temp_file("broken", text);
        let loaded = DesktopPolicy::load(Some(&path));
        let error = loaded.error.clone().expect("an error");
        assert!(error.contains("line 6"), "{error}");
        assert!(error.contains("for"), "{error}");
        assert_eq!(loaded.source, "built-in");
        assert_eq!(std::fs::read_to_string(&path).expect("still there"), text);
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn a_good_file_is_used() {
        let path = temp_file(
            "good",
            "[[rule]]\nid = \"a\"\nwhen = \"alone\"\nfor = \"90s\"\n",
        );
        let loaded = DesktopPolicy::load(Some(&path));
        assert_eq!(loaded.error, None);
        assert_eq!(loaded.source, path.display().to_string());
        assert_eq!(loaded.policy.rules.len(), 1);
        let _ = std::fs::remove_file(path);
    }
}
