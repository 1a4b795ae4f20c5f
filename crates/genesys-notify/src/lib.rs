//! Placeholder: filled in by the supervisor-core issue.
