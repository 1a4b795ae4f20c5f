//! The desktop app's IPC contract, declared once: one request and one response type per command
//! (camelCase JSON), errors as `{ code, message }`, and the roster's numbered change batches.
//!
//! Only the contract lives here; the use cases behind it are [`crate::app`]. Tauri-free on purpose:
//! the app's commands (`src-tauri/src/commands/`) unpack these types, call the use cases and map
//! errors with the conversions here, so every rule about what crosses IPC is testable
//! without a webview. TypeScript for the UI is generated from these types (see [`bindings`]).

pub mod actions;
pub mod app;
pub mod attention;
pub mod audit;
pub mod bindings;
pub mod config;
pub mod error;
pub mod policy;
pub mod queues;
pub mod roster;
pub mod session;

/// Every contract type under one path, for the code generated from the command list
/// (`crates/ipc-commands` names types bare).
pub mod contract {
    pub use super::actions::*;
    pub use super::app::*;
    pub use super::attention::*;
    pub use super::audit::*;
    pub use super::config::*;
    pub use super::error::*;
    pub use super::policy::*;
    pub use super::queues::*;
    pub use super::roster::*;
    pub use super::session::*;
}

pub use error::{ErrorCode, IpcError};
