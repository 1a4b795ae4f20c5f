//! The error codes shared by every layer (actions, auth, the IPC contract): each one is a
//! different thing the UI or the CLI does. Here, below both `actions` and `ipc`, so the actions
//! can name their code without depending on the IPC contract.

use serde::Serialize;
use ts_rs::TS;

/// What kind of failure this is. Each code exists because the UI does something different for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[non_exhaustive]
pub enum ErrorCode {
    /// No session: the UI shows the sign-in screen.
    NotSignedIn,
    /// The session ended (token expired or revoked): the UI says "sign in again" and shows sign-in.
    SessionExpired,
    /// The signed-in user lacks a permission: the UI says so and offers nothing to retry.
    Forbidden,
    /// The party (or the whole call) is no longer on the line: the UI refreshes that row instead of acting.
    ParticipantGone,
    /// Genesys asked us to slow down: the UI offers a retry after `retryAfterSecs`.
    RateLimited,
    /// Genesys (or the emulator) could not be reached or answered with a server error: the UI offers retry.
    Unreachable,
    /// No usable OS keyring: the UI shows how to enable one (the message says how).
    KeyringUnavailable,
    /// The request itself was wrong (empty client id, bad API base, unknown region, ...): the UI marks the form.
    InvalidArgument,
    /// The fixed sign-in redirect port is taken by another program: the UI explains what to close.
    PortInUse,
    /// The browser sign-in did not complete (declined, timed out, code refused): the UI offers to start again.
    SignInFailed,
    /// A drop plan is unknown, used or too old: the UI plans again with fresh data before asking again.
    PlanExpired,
    /// `--demo` was asked for but the built-in emulator could not start, so there is no org to show.
    DemoUnavailable,
    /// An update could not be checked, was refused (its signature does not match) or must wait for an
    /// action under way: the UI says which, and nothing was installed.
    UpdateFailed,
    /// Anything else (a bug, a disk error): shown with its message for support.
    Internal,
}

impl ErrorCode {
    /// The code as the UI receives it (also used in logs).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotSignedIn => "NotSignedIn",
            Self::SessionExpired => "SessionExpired",
            Self::Forbidden => "Forbidden",
            Self::ParticipantGone => "ParticipantGone",
            Self::RateLimited => "RateLimited",
            Self::Unreachable => "Unreachable",
            Self::KeyringUnavailable => "KeyringUnavailable",
            Self::InvalidArgument => "InvalidArgument",
            Self::PortInUse => "PortInUse",
            Self::SignInFailed => "SignInFailed",
            Self::PlanExpired => "PlanExpired",
            Self::DemoUnavailable => "DemoUnavailable",
            Self::UpdateFailed => "UpdateFailed",
            Self::Internal => "Internal",
        }
    }

    /// Every code, so the UI's list of known codes is checked against this one in tests.
    pub const ALL: &'static [ErrorCode] = &[
        Self::NotSignedIn,
        Self::SessionExpired,
        Self::Forbidden,
        Self::ParticipantGone,
        Self::RateLimited,
        Self::Unreachable,
        Self::KeyringUnavailable,
        Self::InvalidArgument,
        Self::PortInUse,
        Self::SignInFailed,
        Self::PlanExpired,
        Self::DemoUnavailable,
        Self::UpdateFailed,
        Self::Internal,
    ];
}
