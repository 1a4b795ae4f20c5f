//! The desktop app's IPC contract, declared once: one request and one response type per command
//! (camelCase JSON), errors as `{ code, message }`, and the roster's numbered change batches.
//!
//! Tauri-free on purpose: the app's commands (`src-tauri/src/commands/`) unpack these types, call the
//! core and map errors with the conversions here, so every rule about what crosses IPC is testable
//! without a webview. TypeScript for the UI is generated from these types (see [`bindings`]).

pub mod actions;
pub mod app;
pub mod audit;
pub mod bindings;
pub mod desktop;
#[cfg(test)]
mod desktop_tests;
pub mod error;
pub mod prefs;
pub mod queues;
pub mod roster;
pub mod session;

pub use desktop::{Browser, DemoSignIn, Desktop, DesktopConfig};
pub use error::{ErrorCode, IpcError, explain_vendor_code};
