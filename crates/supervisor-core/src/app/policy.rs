//! The policy page: the rules in force in words and where they come from, a dry-run preview of what
//! enforcing would do now, and the enforce switch.
//!
//! The preview uses the engine's dry-run rules ([`crate::policy::engine::preview`]) and records
//! nothing in the audit log: it is a view asked for on demand (and refreshed every few seconds while
//! the page is open), not a decision; recording it would write a line per leg per refresh. The
//! decisions enforcement makes are recorded by the engine, every one of them.
//!
//! Enforcement starts off at every launch and is never remembered: an app that drops legs by itself
//! should do so only after someone chose it on this run, having read the confirmation; a remembered
//! "on" would start dropping at the next sign-in, perhaps on another org's board, before anyone
//! looked. It runs over one live board and stops with it (a new queue choice, sign-out), in the
//! policy runner the CLI's `policy run` uses; the engine does the deciding, the safety rules and
//! the records. Its drops count as actions under way ([`Counted`]), like a supervisor's, so an
//! update never installs in the middle of one.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use genesys_model::{CommunicationId, ConversationId, ParticipantId};

use super::{Desktop, InFlight, lock};
use crate::actions::Actions;
use crate::admin_config::Field;
use crate::audit;
use crate::ipc::attention::UnavailableRuleView;
use crate::ipc::error::{ErrorCode, IpcError};
use crate::ipc::policy::{
    EnforceView, PolicyRuleView, PolicyViewResponse, PreviewDecisionView, SetEnforceRequest,
};
use crate::policy::{
    Directory, DropResult, Engine, LegActions, Mode, PolicyRunner, ReadError, engine,
};
use crate::roster::ConversationRecord;

/// The engine's I/O with each drop and disconnect counted as an action under way (the counter
/// `update_install` reads), so the app never installs an update in the middle of one that
/// enforcement makes; a re-read is not an action and is not counted.
pub(super) struct Counted<A> {
    inner: A,
    in_flight: InFlight,
}

impl<A: LegActions> LegActions for Counted<A> {
    async fn reread(
        &self,
        conversation: &ConversationId,
    ) -> Result<Arc<ConversationRecord>, ReadError> {
        self.inner.reread(conversation).await
    }

    async fn drop_leg(
        &self,
        conversation: &ConversationId,
        participant: &ParticipantId,
    ) -> DropResult {
        let _busy = self.in_flight.enter();
        self.inner.drop_leg(conversation, participant).await
    }

    async fn disconnect_communication(
        &self,
        conversation: &ConversationId,
        participant: &ParticipantId,
        communication: &CommunicationId,
    ) -> DropResult {
        let _busy = self.in_flight.enter();
        self.inner
            .disconnect_communication(conversation, participant, communication)
            .await
    }
}

/// What the enforce loop reports to the page.
#[derive(Debug, Default)]
struct EnforceStatus {
    decisions: AtomicU32,
    last_error: std::sync::Mutex<Option<String>>,
}

/// Enforcement running over one live board: the engine in enforce mode, driven by the policy
/// runner ([`PolicyRunner`], the same loop as `bridgekeeper-cli policy run`).
pub(super) struct Enforcer {
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    since: DateTime<Utc>,
    status: Arc<EnforceStatus>,
}

impl Enforcer {
    fn start(
        mut runner: PolicyRunner<Counted<Actions>>,
        session: watch::Receiver<crate::auth::SessionStatus>,
    ) -> Self {
        let (stop, stopped) = watch::channel(false);
        let status = Arc::new(EnforceStatus::default());
        let reported = Arc::clone(&status);
        let task = tokio::spawn(async move {
            let counted = Arc::clone(&reported);
            let result = runner
                .run(stopped, Some(session), move |pass| {
                    let made = u32::try_from(pass.decisions.len()).unwrap_or(u32::MAX);
                    counted.decisions.fetch_add(made, Ordering::SeqCst);
                })
                .await;
            if let Err(error) = result {
                tracing::warn!(%error, "policy enforcement stopped");
                *lock(&reported.last_error) = Some(format!("enforcement stopped: {error}"));
            }
        });
        tracing::info!("policy enforcement switched on");
        Self {
            stop,
            task: Some(task),
            since: Utc::now(),
            status,
        }
    }

    /// Stops after the pass under way: an action in flight finishes and is recorded.
    async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        tracing::info!("policy enforcement switched off");
    }
}

impl Drop for Enforcer {
    fn drop(&mut self) {
        // The board went away (sign-out, another queue choice): stop at once.
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl Desktop {
    /// Whether enforcement is allowed, and if not, why (naming the file) and whether the
    /// administrator's system-wide file says so (shown locked).
    fn enforcement_permit(&self) -> (bool, bool, Option<String>) {
        let admin = &self.config.admin;
        if admin.policy_enforcement_allowed() {
            return (true, false, None);
        }
        let locked = admin.is_locked(Field::AllowPolicyEnforcement);
        let reason = if locked {
            format!(
                "Set by your administrator: allow_policy_enforcement = false in {}. The preview \
                 still shows what the rules find; nothing is dropped by the app.",
                admin.system_path().map_or_else(
                    || "the system-wide config.toml".to_owned(),
                    |p| p.display().to_string()
                )
            )
        } else {
            format!(
                "Turned off in your configuration file: allow_policy_enforcement = false in {}.",
                admin
                    .locations()
                    .user
                    .as_deref()
                    .map_or_else(|| "config.toml".to_owned(), |p| p.display().to_string())
            )
        };
        (false, locked, Some(reason))
    }

    async fn enforce_view(&self) -> Result<EnforceView, IpcError> {
        let (allowed, locked_by_admin, not_allowed_reason) = self.enforcement_permit();
        let live = self.with_signed(|s| s.live.clone()).await?;
        let mut view = EnforceView {
            on: false,
            allowed,
            locked_by_admin,
            not_allowed_reason,
            since_ms: None,
            decisions: 0,
            last_error: None,
        };
        if let Some(live) = live {
            if let Some(running) = live.enforcer.lock().await.as_ref() {
                view.on = true;
                view.since_ms = Some(running.since.timestamp_millis());
                view.decisions = running.status.decisions.load(Ordering::SeqCst);
                view.last_error = lock(&running.status.last_error).clone();
            }
        }
        Ok(view)
    }

    /// `policy_view`: the rules in force, the switch, and what enforcing would do now (a dry run
    /// computed on demand: nothing is sent and nothing is recorded).
    pub async fn policy_view(&self) -> Result<PolicyViewResponse, IpcError> {
        let desktop = &self.policy;
        let policy = &desktop.policy;
        let enforce = self.enforce_view().await?;
        let mut view = PolicyViewResponse {
            source: desktop.source.clone(),
            file_path: self
                .config
                .policy_path
                .as_ref()
                .map(|p| p.display().to_string()),
            error: desktop.error.clone(),
            file_mode: policy.mode.as_str().to_owned(),
            max_drops_per_minute: policy.max_drops_per_minute,
            explanation: policy.explain(),
            rules: policy
                .rules
                .iter()
                .map(|r| PolicyRuleView {
                    id: r.id.clone(),
                    when: r.when.as_str().to_owned(),
                    explanation: r.explain(),
                })
                .collect(),
            enforce,
            preview: Vec::new(),
            unavailable: Vec::new(),
            watching: false,
        };
        let Some(evaluator) = self.evaluator().await? else {
            return Ok(view);
        };
        let evaluation = evaluator.evaluate(policy).await?;
        let findings = &evaluation.detection.findings;
        view.preview = engine::preview(
            policy,
            &evaluation.board,
            findings,
            &evaluation.observations(),
        )
        .iter()
        .map(|d| {
            let name = findings
                .iter()
                .find(|f| f.participant_id == d.participant_id && f.rule == d.rule)
                .map(|f| f.party_name.clone())
                .unwrap_or_default();
            PreviewDecisionView::new(d, name)
        })
        .collect();
        view.unavailable = evaluation
            .detection
            .unavailable
            .iter()
            .map(UnavailableRuleView::from)
            .collect();
        view.watching = true;
        Ok(view)
    }

    /// `policy_set_enforce`: on (the page asked for a confirmation first) runs the engine in enforce
    /// mode over the live board; off stops it after the pass under way. Refused when the
    /// configuration forbids enforcement or the policy file is broken.
    pub async fn policy_set_enforce(
        &self,
        request: SetEnforceRequest,
    ) -> Result<EnforceView, IpcError> {
        let live = self.with_signed(|s| s.live.clone()).await?;
        if !request.on {
            if let Some(live) = live {
                let running = live.enforcer.lock().await.take();
                if let Some(running) = running {
                    running.stop().await;
                }
            }
            return self.enforce_view().await;
        }
        let (allowed, _, reason) = self.enforcement_permit();
        if !allowed {
            return Err(IpcError::new(
                ErrorCode::Forbidden,
                reason.unwrap_or_else(|| "Policy enforcement is not allowed.".into()),
            ));
        }
        if let Some(error) = &self.policy.error {
            return Err(IpcError::invalid(format!(
                "Your policy file has an error, so it cannot be enforced: {error}. Fix it and \
                 restart the app; nothing was switched on."
            )));
        }
        let Some(live) = live else {
            return Err(IpcError::invalid(
                "Choose the queues to watch first; the policy is enforced on the watched calls.",
            ));
        };
        let audit = self.audit()?.clone();
        let actions = self.actions().await?;
        let (session, queues) = self
            .with_signed(|s| (s.session.subscribe(), s.queues.clone()))
            .await?;
        let directory = queues.iter().fold(Directory::new(), |d, q| {
            d.queue(genesys_model::QueueId::new(q.id.clone()), q.name.clone())
        });
        let transcription = match &live.transcript {
            Some(feed) => feed.shared(),
            None => Arc::new(std::sync::Mutex::new(super::transcription::current(None))),
        };
        {
            let mut slot = live.enforcer.lock().await;
            if slot.is_none() {
                let me = actions.actor();
                let actor = audit::Actor {
                    user_id: me.user_id.to_string(),
                    name: me.name.clone(),
                };
                let counted = Counted {
                    inner: actions,
                    in_flight: self.in_flight.clone(),
                };
                let engine = Engine::new(
                    self.policy.policy.clone(),
                    Mode::Enforce,
                    counted,
                    audit,
                    actor,
                );
                // svc's runner: re-evaluates on board changes and on its tick, once per finding,
                // and stops after the decision under way.
                let runner =
                    PolicyRunner::new(engine, live.roster.clone(), directory, transcription);
                *slot = Some(Enforcer::start(runner, session));
            }
        }
        self.enforce_view().await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use genesys_model::{CommunicationId, ConversationId, ParticipantId};
    use tokio::sync::Notify;

    use super::{Counted, InFlight};
    use crate::audit::AuditOutcome;
    use crate::policy::{DropResult, LegActions, ReadError};
    use crate::roster::ConversationRecord;

    /// A drop and a disconnect that wait until the test lets them finish.
    struct Held(Arc<Notify>);

    impl LegActions for Held {
        async fn reread(&self, _: &ConversationId) -> Result<Arc<ConversationRecord>, ReadError> {
            self.0.notified().await;
            Err(ReadError::Gone)
        }

        async fn drop_leg(&self, _: &ConversationId, _: &ParticipantId) -> DropResult {
            self.0.notified().await;
            DropResult {
                outcome: AuditOutcome::Confirmed,
                accepted: true,
                detail: None,
            }
        }

        async fn disconnect_communication(
            &self,
            conversation: &ConversationId,
            participant: &ParticipantId,
            _: &CommunicationId,
        ) -> DropResult {
            self.drop_leg(conversation, participant).await
        }
    }

    /// Lets the spawned task run until it is counted, a bounded number of turns (no hang when it
    /// never is: the assertion after it fails instead).
    async fn started(in_flight: &InFlight) {
        for _ in 0..1_000 {
            if in_flight.count() > 0 {
                return;
            }
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn an_enforcement_drop_counts_as_an_action_under_way_until_it_ends() {
        let release = Arc::new(Notify::new());
        let in_flight = InFlight::default();
        let counted = Arc::new(Counted {
            inner: Held(Arc::clone(&release)),
            in_flight: in_flight.clone(),
        });
        let (c, p) = (ConversationId::new("c-1"), ParticipantId::new("p-1"));
        let comm = CommunicationId::new("comm-1");

        let dropping = tokio::spawn({
            let counted = Arc::clone(&counted);
            let (c, p) = (c.clone(), p.clone());
            async move { counted.drop_leg(&c, &p).await }
        });
        started(&in_flight).await;
        assert_eq!(in_flight.count(), 1, "the drop under way is counted");
        release.notify_one();
        assert_eq!(dropping.await.unwrap().outcome, AuditOutcome::Confirmed);
        assert_eq!(in_flight.count(), 0, "a finished drop is no longer counted");

        let disconnecting = tokio::spawn({
            let counted = Arc::clone(&counted);
            async move { counted.disconnect_communication(&c, &p, &comm).await }
        });
        started(&in_flight).await;
        assert_eq!(in_flight.count(), 1, "the disconnect under way is counted");
        disconnecting.abort();
        let _ = disconnecting.await;
        assert_eq!(
            in_flight.count(),
            0,
            "a cancelled disconnect is no longer counted"
        );

        let reading = tokio::spawn({
            let counted = Arc::clone(&counted);
            async move { counted.reread(&ConversationId::new("c-2")).await }
        });
        tokio::task::yield_now().await;
        assert_eq!(in_flight.count(), 0, "a re-read is not an action");
        release.notify_one();
        assert!(matches!(reading.await.unwrap(), Err(ReadError::Gone)));
    }
}
