//! The policy over a live board for as long as it runs (`policy run` without `--once`; the desktop
//! can run the same loop): the detector on every board change and on a short tick, the engine's
//! decisions handed to the caller, until told to stop.
//!
//! - **When it looks.** After a burst of board changes (at most every [`RunnerConfig::min_gap`])
//!   and at least every [`RunnerConfig::tick`], so a leg crossing its threshold while nothing
//!   changes is acted on within a tick. It looks only while the board is trusted (the socket live
//!   and a snapshot taken on it): a reconnecting roster pauses the policy instead of feeding it a
//!   board that may have missed events; the roster reconnects and re-sweeps by itself.
//! - **Once per finding.** The engine does not repeat a decision for a finding that stays (its
//!   per-leg memory, also in dry run), so a leg is printed and recorded once per episode.
//! - **Stopping.** When `stop` turns `true` no new decision is taken; a decision under way (a
//!   drop waiting for its confirmation) finishes and is recorded, then [`PolicyRunner::run`]
//!   returns `Ok`. The session's end (not renewable, revoked) ends the run with an error.
//! - **Cost.** The audit log is read incrementally (the engine's `history.rs`); the board is a
//!   snapshot of shared records; mute first-seen times are fed from the change stream.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;
use tokio::time::Instant;

use super::detector::{Unavailable, detect};
use super::engine::{Decision, Engine, EngineError, LegActions};
use super::metrics::PolicyMetrics;
use super::observe::{Directory, FlagTracker, Transcription};
use crate::auth::SessionStatus;
use crate::roster::{ChangeKind, ConnectionState, Roster};

/// How often the runner looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunnerConfig {
    /// The longest time between two evaluations (a threshold is noticed within this).
    pub tick: Duration,
    /// The shortest time between two evaluations caused by board changes (bursts coalesce; 250 ms
    /// keeps the policy under 10% of the roster's event rate, docs/SERVICE.md section 6).
    pub min_gap: Duration,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            tick: Duration::from_millis(500),
            min_gap: Duration::from_millis(250),
        }
    }
}

/// What one evaluation decided.
#[derive(Clone, Debug, Default)]
pub struct Pass {
    /// New decisions (a finding already decided is not repeated).
    pub decisions: Vec<Decision>,
    /// The rules that cannot be evaluated, when that changed since the last pass (the first
    /// pass always says; `None`: unchanged).
    pub unavailable: Option<Vec<Unavailable>>,
}

/// Why a run ended other than by being told to stop.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The engine could not record (nothing is acted on without a record).
    #[error("the policy could not decide: {0}")]
    Engine(#[from] EngineError),
    /// The session is over: sign in again.
    #[error("the session has ended; sign in again")]
    SessionEnded,
    /// The notification connection closed for good (refused, or shut down).
    #[error("the notification connection closed: {0}")]
    Closed(String),
}

/// The policy loop over one roster.
pub struct PolicyRunner<A> {
    engine: Engine<A>,
    roster: Roster,
    directory: Directory,
    transcription: Arc<Mutex<Transcription>>,
    flags: FlagTracker,
    metrics: Arc<PolicyMetrics>,
    config: RunnerConfig,
    unavailable: Option<Vec<(String, Option<String>, String)>>,
}

impl<A: LegActions> PolicyRunner<A> {
    /// A runner of `engine` over `roster`; `transcription` is shared with whoever feeds it.
    pub fn new(
        engine: Engine<A>,
        roster: Roster,
        directory: Directory,
        transcription: Arc<Mutex<Transcription>>,
    ) -> Self {
        let metrics = Arc::new(PolicyMetrics::new(engine.policy(), engine.mode()));
        let mut flags = FlagTracker::new();
        flags.observe(&roster.snapshot().conversations, Utc::now());
        Self {
            engine,
            roster,
            directory,
            transcription,
            flags,
            metrics,
            config: RunnerConfig::default(),
            unavailable: None,
        }
    }

    /// Other timings (tests, the desktop).
    pub fn with_config(mut self, config: RunnerConfig) -> Self {
        self.config = config;
        self
    }

    /// The run's metrics (for `--metrics`).
    pub fn metrics(&self) -> Arc<PolicyMetrics> {
        Arc::clone(&self.metrics)
    }

    /// The engine (its policy, mode, audit cost).
    pub fn engine(&self) -> &Engine<A> {
        &self.engine
    }

    /// Evaluates the board now and decides (acting in enforce mode): the `--once` pass, and each
    /// pass of [`PolicyRunner::run`].
    pub async fn evaluate(&mut self) -> Result<Pass, RunError> {
        self.metrics.board(&self.roster.status());
        self.engine.catch_up().await?;
        let now = Utc::now();
        let board = self.roster.snapshot().conversations;
        self.flags.observe(&board, now);
        let accepted = self.engine.accepted_drops();
        let transcription = self
            .transcription
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let obs = super::detector::Observations {
            flags: &self.flags,
            accepted_drops: &accepted,
            transcription: &transcription,
            directory: &self.directory,
        };
        let detection = detect(&board, self.engine.policy(), &obs, now);
        self.metrics.evaluated(&detection);
        let decisions = self
            .engine
            .decide(&board, &detection.findings, &obs, now)
            .await?;
        self.metrics.decided(&decisions);
        let key: Vec<_> = detection
            .unavailable
            .iter()
            .map(|u| {
                (
                    u.rule.clone(),
                    u.conversation_id.as_ref().map(|c| c.to_string()),
                    u.reason.clone(),
                )
            })
            .collect();
        let unavailable = (self.unavailable.as_ref() != Some(&key)).then(|| {
            self.unavailable = Some(key);
            detection.unavailable
        });
        Ok(Pass {
            decisions,
            unavailable,
        })
    }

    /// Runs until `stop` turns `true` (then `Ok`, after the decision under way), or the session
    /// or the connection ends for good; `on_pass` gets every pass that decided something new.
    pub async fn run(
        &mut self,
        mut stop: watch::Receiver<bool>,
        mut session: Option<watch::Receiver<SessionStatus>>,
        mut on_pass: impl FnMut(&Pass),
    ) -> Result<(), RunError> {
        self.engine.stop_when(stop.clone());
        let mut changes = self.roster.changes();
        let mut last = Instant::now()
            .checked_sub(self.config.tick)
            .unwrap_or_else(Instant::now);
        let mut dirty = true;
        loop {
            if *stop.borrow() {
                return Ok(());
            }
            if let Some(s) = &session {
                if *s.borrow() != SessionStatus::Active {
                    return Err(RunError::SessionEnded);
                }
            }
            let status = self.roster.status();
            self.metrics.board(&status);
            match &status.connection {
                c if c.is_session_expired() => return Err(RunError::SessionEnded),
                ConnectionState::Closed { message, .. } => {
                    return Err(RunError::Closed(message.clone()));
                }
                _ => {}
            }
            let due = if dirty {
                last + self.config.min_gap
            } else {
                last + self.config.tick
            };
            if status.trusted && Instant::now() >= due {
                let pass = self.evaluate().await?;
                last = Instant::now();
                dirty = false;
                if !pass.decisions.is_empty() || pass.unavailable.is_some() {
                    on_pass(&pass);
                }
                continue;
            }
            let wake = if status.trusted {
                due
            } else {
                Instant::now() + self.config.tick
            };
            tokio::select! {
                biased;
                changed = stop.changed() => {
                    if changed.is_err() {
                        return Ok(()); // nobody can tell us to stop any more: stop now
                    }
                }
                () = session_changed(&mut session) => {}
                () = tokio::time::sleep_until(wake) => {}
                change = changes.recv() => match change {
                    Ok(change) => {
                        match &change.kind {
                            ChangeKind::Upserted { conversation } => {
                                self.flags.observe_record(conversation, Utc::now());
                                self.metrics.event();
                            }
                            ChangeKind::Removed { .. } => self.metrics.event(),
                            ChangeKind::Resynced { .. } | ChangeKind::Status { .. } => {}
                        }
                        dirty = true;
                    }
                    // Missed changes: the next pass reads the whole board, which covers them.
                    Err(RecvError::Lagged(_)) => dirty = true,
                    Err(RecvError::Closed) => {
                        return Err(RunError::Closed("the board stopped".into()));
                    }
                },
            }
        }
    }
}

/// The next change of the session's status (never, without a session or once it is dropped).
async fn session_changed(session: &mut Option<watch::Receiver<SessionStatus>>) {
    match session {
        Some(s) => {
            if s.changed().await.is_err() {
                *session = None;
            }
        }
        None => std::future::pending().await,
    }
}
