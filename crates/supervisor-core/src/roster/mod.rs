//! The live conference roster of a set of queues: a REST snapshot, then notification events
//! applied in place.
//!
//! - **Snapshot** ([`snapshot`](self) module): queue observations (plus the conversation detail
//!   query and the conversations already shown) name the conversations; each is read over REST with
//!   bounded concurrency.
//! - **Events**: every `v2.routing.queues.{id}.conversations.calls` event is a full conversation
//!   snapshot, merged by the ordering rule documented on [`RosterModel`] (legs only move forward,
//!   ended conversations stay ended, the newest observation wins for flags, duplicates are free).
//! - **Resync**: the notification client announces every new socket with a `Resync`; the roster
//!   then re-reads those queues and the board is *untrusted* ([`RosterStatus::trusted`] false,
//!   `stale_since` set) until the snapshot lands. Events keep being applied meanwhile (the merge
//!   rule makes the order of snapshot and events irrelevant for legs and endings).
//! - **Output**: [`Roster::snapshot`] (shared `Arc` records; unchanged conversations keep their
//!   allocation) and a numbered change stream ([`RosterChange`]: upserted, removed, resynced,
//!   status) for the UI, the CLI and the action verifier.
//!
//! Each conversation is split into live parties (the only actionable legs), ended legs, stale
//! duplicates (an ended leg of a person who also has a live leg) and legs in unknown states.

mod change;
mod live;
mod merge;
mod model;
mod normalize;
mod record;
mod snapshot;

pub use change::{
    ChangeKind, Completeness, ConnectionState, RejectedQueue, RemovalReason, RosterChange,
    RosterSnapshot, RosterStatus,
};
pub use live::{Roster, RosterConfig, RosterError, WatchRequest};
pub use model::{Effect, RosterModel, Watch};
pub use record::{ConversationRecord, LegStatus, Party};
pub use snapshot::{DETAILS_PERMISSION, OBSERVATIONS_PERMISSION, SnapshotRead};
