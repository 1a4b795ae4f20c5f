//! State the app keeps for its whole life, managed by Tauri and read by commands.

use genesys_emulator::RunningEmulator;

/// Which organisation the app talks to, decided once at launch.
pub enum DemoOrg {
    /// A real Genesys Cloud organisation (sign-in comes later).
    Off,
    /// The built-in emulator, running in-process; the handle keeps it alive as long as the app.
    Running {
        /// Where the emulator listens, e.g. `http://127.0.0.1:41234`.
        base_url: String,
        /// Kept (not read) so the emulator lives exactly as long as the app state.
        emulator: RunningEmulator,
    },
    /// `--demo` was asked for but the emulator failed to start; the reason is shown to the user.
    Failed {
        /// Why it failed, in words (the emulator's error).
        reason: String,
    },
}

impl std::fmt::Debug for DemoOrg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Off => f.write_str("Off"),
            Self::Running { base_url, .. } => f
                .debug_struct("Running")
                .field("base_url", base_url)
                .finish_non_exhaustive(),
            Self::Failed { reason } => f.debug_struct("Failed").field("reason", reason).finish(),
        }
    }
}

/// The app's managed state: one value, so commands take a single `State<AppState>`.
#[derive(Debug)]
pub struct AppState {
    demo: DemoOrg,
}

impl AppState {
    /// Creates the state for an app running on the given organisation.
    pub fn new(demo: DemoOrg) -> Self {
        Self { demo }
    }

    /// The organisation mode chosen at launch.
    pub fn demo(&self) -> &DemoOrg {
        &self.demo
    }
}
