//! Stale and idle legs (issue 8): the policy file, the detector on the board, and the engine that
//! decides (and, only when told to, drops) with safety rules no file can switch off.
//!
//! - [`file`]: the TOML contract, parsed strictly; errors name the line and the field.
//! - [`observe`]: what the detector needs besides the board (first-seen mutes, accepted drops,
//!   transcription, names behind ids), fed by the caller.
//! - [`detector`]: a pure function of (board, observations, now) to findings.
//! - [`engine`]: per finding would drop / drop / skip, under the safety rules, all audited; it
//!   reads the audit log incrementally (`history.rs`).
//! - [`runner`]: the continuous loop (`policy run` without `--once`): re-evaluates on board
//!   changes and on a short tick, stops cleanly, and keeps [`metrics`] for `--metrics`.

pub mod detector;
pub mod engine;
#[cfg(test)]
mod engine_tests;
pub mod file;
mod history;
pub mod metrics;
pub mod observe;
pub mod runner;

pub use detector::{
    Detection, Finding, FindingKind, Observations, Resolution, Unavailable, detect,
};
pub use engine::{
    Decision, DecisionAction, DropResult, Engine, EngineError, LegActions, ReadError,
};
pub use file::{Mode, Policy, PolicyError, PolicyFileError, Rule, RuleKind};
pub use metrics::{MetricsError, PolicyMetrics};
pub use observe::{
    AcceptedDrops, Channel, Directory, FlagSeen, FlagTracker, TranscriptEvent, Transcription,
    TranscriptionAccess,
};
pub use runner::{Pass, PolicyRunner, RunError, RunnerConfig};
