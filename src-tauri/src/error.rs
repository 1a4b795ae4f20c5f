//! The error every command returns across IPC: declared once, in `supervisor_core::ipc`, so the
//! generated TypeScript and the Rust side cannot disagree.

pub use supervisor_core::ipc::{ErrorCode, IpcError};
