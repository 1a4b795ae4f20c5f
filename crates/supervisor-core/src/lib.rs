//! Bridgekeeper's Tauri-free core: sign-in over an injected token store, and the audit log.
//!
//! Each area is its own module so the roster and action use cases can be added beside them.

pub mod audit;
pub mod auth;
pub mod ipc;
pub mod token_store;
