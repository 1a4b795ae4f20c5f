//! The IPC commands, one module per area. Each command is thin: unpack, call, map the error.
//! Request and response types live in `supervisor_core::ipc`, from which the UI's TypeScript is generated.

pub mod actions;
pub mod app;
pub mod audit;
pub mod queues;
pub mod roster;
pub mod session;
