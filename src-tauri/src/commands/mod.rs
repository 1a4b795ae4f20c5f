//! The IPC commands, one module per area. Each command is thin: unpack, call, map the error.

pub mod app;
