//! Verified supervisor actions: drop one party, mute/unmute, hold/unhold.
//!
//! A drop is two steps. [`Actions::plan_drop`] re-checks the leg (the board when it is trusted,
//! else one GET), resolves a stale duplicate to the person's live leg, refuses locally when the
//! signed-in user may not act on someone else's leg, and returns a [`DropPlan`] naming who remains
//! and what to warn about (last agent, customer left without an agent, the call will end). The UI
//! shows it; [`Actions::execute_drop`] then re-checks that nothing material changed, sends exactly
//! one `PATCH /api/v2/conversations/calls/{c}/participants/{p}` with `{"state":"disconnected"}`,
//! and waits for the roster to show the leg ended (and the others still connected), with one
//! re-read when the event is late, up to a timeout.
//!
//! Mute and hold send one PATCH and wait for the `muted`/`held` flag the same way.
//!
//! Outcomes ([`ActionOutcome`]): `Confirmed` (only after seeing the change), `NotConfirmed` (with
//! what the platform still shows), `Refused` (vendor code, message, status, correlation id and plain
//! words), `AlreadyGone` (nothing sent, or the platform said so). Failures that are not outcomes
//! are [`ActionError`]s with a code the UI switches on. Every action appends an audit record, fsynced
//! before the answer is returned.
//!
//! A 401 latches the actions: every later action answers `SessionExpired` without sending anything,
//! so nothing can run behind the supervisor's back after they sign in again.

mod audit_trail;
mod error;
mod judge;
mod outcome;
mod plan;
mod service;
mod verify;

pub use error::ActionError;
pub use outcome::{
    ActionKind, ActionOutcome, ActionReport, ActionTimings, ConfirmedVia, LegView, PartySummary,
};
pub use plan::{DropPlan, DropWarning, PlanOptions, PlanVerdict};
pub use service::{Actions, ActionsConfig, Actor};
