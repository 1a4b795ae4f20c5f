//! Stale and idle legs (issue 8): the policy file, the detector on the board, and the engine that
//! decides (and, only when told to, drops) with safety rules no file can switch off.
//!
//! - [`file`]: the TOML contract, parsed strictly; errors name the line and the field.

pub mod file;

pub use file::{Mode, Policy, PolicyError, PolicyFileError, Rule, RuleKind};
