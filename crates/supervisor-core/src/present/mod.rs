//! Words for people, in one place: the sentences the desktop (through the IPC errors and the
//! action outcomes) and the CLI show a supervisor. Rust `Display` on the error types is for logs
//! and support; what a person reads is written here.
//!
//! - [`error`]: a failure that is not an outcome (an [`ActionError`](crate::actions::ActionError),
//!   a Genesys call, the roster, the audit log), as one sentence.
//! - [`outcome`]: what an action ended as (not confirmed, already gone).
//! - [`plan`]: the drop plan's summary, warnings and stale-duplicate note.
//! - [`refusal`]: a platform refusal of an action, from its status and vendor code.
//! - [`sign_in`]: sign-in, session and token-store failures, per variant.
//! - [`vendor`]: the platform's error codes in plain words.

pub mod error;
pub mod outcome;
pub mod plan;
pub mod refusal;
pub mod sign_in;
pub mod vendor;

/// Core clauses ("your session has expired; ...") as the sentence the UI shows.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
