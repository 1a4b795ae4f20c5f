//! Bridgekeeper's Tauri-free core: sign-in over an injected token store, the live conference
//! roster, the verified drop/mute/hold actions, the audit log, the stale/idle-leg policy and its transcription feed, the
//! admin-managed configuration and the permission self-check, the use cases over them ([`app`])
//! and the desktop's IPC contract ([`ipc`]).
//!
//! Each area is its own module; the desktop app and the CLI call them, neither knows Tauri.

pub mod actions;
pub mod admin_config;
pub mod app;
pub mod audit;
pub mod auth;
pub mod error;
pub mod ipc;
pub mod permissions;
pub mod policy;
pub mod present;
pub mod roster;
pub mod token_store;
pub mod transcription;
