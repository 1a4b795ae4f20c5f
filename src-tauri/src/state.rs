//! State the app keeps for its whole life, managed by Tauri and read by commands.

use std::sync::Arc;

use genesys_emulator::RunningEmulator;
use supervisor_core::ipc::Desktop;

/// The demo organisation as decided at launch (`--demo`).
pub enum DemoOrg {
    /// A real Genesys Cloud organisation; the demo starts only if the user asks for it.
    Off,
    /// The built-in emulator, running in-process; the handle keeps it alive as long as the app.
    Running {
        /// Where the emulator listens, e.g. `http://127.0.0.1:41234`.
        base_url: String,
        /// Kept so the emulator lives exactly as long as the app state (and for its control plane).
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
pub struct AppState {
    launch_demo: DemoOrg,
    /// The demo org started later by "Try the demo organisation" (or the one from `--demo`).
    demo: tokio::sync::Mutex<Option<Arc<RunningEmulator>>>,
    desktop: Arc<Desktop>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("launch_demo", &self.launch_demo)
            .field("desktop", &self.desktop)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Creates the state for an app running on the given organisation with its use cases.
    pub fn new(demo: DemoOrg, desktop: Desktop) -> Self {
        Self {
            launch_demo: demo,
            demo: tokio::sync::Mutex::new(None),
            desktop: Arc::new(desktop),
        }
    }

    /// The organisation mode chosen at launch.
    pub fn demo(&self) -> &DemoOrg {
        &self.launch_demo
    }

    /// The use cases behind the commands.
    pub fn desktop(&self) -> &Desktop {
        &self.desktop
    }

    /// The running demo emulator: the one from `--demo`, else one started now (and kept).
    pub async fn demo_emulator(&self) -> Result<DemoHandle, String> {
        if let DemoOrg::Running { emulator, .. } = &self.launch_demo {
            return Ok(DemoHandle {
                base_url: emulator.base_url(),
                world: emulator.world(),
            });
        }
        if let DemoOrg::Failed { reason } = &self.launch_demo {
            return Err(reason.clone());
        }
        let mut slot = self.demo.lock().await;
        if slot.is_none() {
            match crate::demo::start(None).await {
                DemoOrg::Running { emulator, .. } => *slot = Some(Arc::new(emulator)),
                DemoOrg::Failed { reason } => return Err(reason),
                DemoOrg::Off => return Err("the demo organisation is off".into()),
            }
        }
        let emulator = slot.as_ref().ok_or("the demo organisation did not start")?;
        Ok(DemoHandle {
            base_url: emulator.base_url(),
            world: emulator.world(),
        })
    }
}

/// What the demo sign-in needs of the running emulator.
pub struct DemoHandle {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The emulator's world, to register the app's loopback redirect.
    pub world: genesys_emulator::WorldHandle,
}
