//! The error every command returns across IPC: a stable `code` the UI switches on, and a message for people.

use serde::Serialize;
use std::fmt;

/// Codes the UI acts on. Add one only when the UI does something different for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `--demo` was asked for but the built-in emulator could not start, so there is no org to show.
    DemoUnavailable,
}

/// A command failure as the UI receives it (`{ "code": "...", "message": "..." }`), never a bare string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IpcError {
    /// What kind of failure, for the UI to decide what to offer.
    pub code: ErrorCode,
    /// A sentence a supervisor can read; never contains tokens.
    pub message: String,
}

impl IpcError {
    /// Builds an error from its code and a human-readable message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for IpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl std::error::Error for IpcError {}
