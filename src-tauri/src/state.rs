//! State the app keeps for its whole life, managed by Tauri and read by commands.

use std::sync::Arc;

use genesys_emulator::RunningEmulator;
use supervisor_core::app::Desktop;

/// The demo organisation as decided at launch (`--demo`).
pub enum DemoOrg {
    /// A real Genesys Cloud organisation; the demo starts only if the user asks for it.
    Off,
    /// The demo emulator is running: in-process (`--demo`), or in another process (`--demo-url`).
    Running {
        /// Where the emulator listens, e.g. `http://127.0.0.1:41234`.
        base_url: String,
        /// The in-process emulator, kept so it lives exactly as long as the app state (and for its
        /// control plane); `None` when it runs in another process, reached over HTTP at `base_url`.
        emulator: Option<RunningEmulator>,
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
        if let DemoOrg::Running { base_url, emulator } = &self.launch_demo {
            return Ok(match emulator {
                Some(emulator) => DemoHandle {
                    base_url: emulator.base_url(),
                    world: DemoControl::InProcess(emulator.world()),
                },
                None => DemoHandle {
                    base_url: base_url.clone(),
                    world: DemoControl::Http(base_url.clone()),
                },
            });
        }
        if let DemoOrg::Failed { reason } = &self.launch_demo {
            return Err(reason.clone());
        }
        let mut slot = self.demo.lock().await;
        if slot.is_none() {
            match crate::demo::start(None).await {
                DemoOrg::Running {
                    emulator: Some(emulator),
                    ..
                } => *slot = Some(Arc::new(emulator)),
                DemoOrg::Running { emulator: None, .. } => {
                    return Err("the demo organisation did not start in the app".into());
                }
                DemoOrg::Failed { reason } => return Err(reason),
                DemoOrg::Off => return Err("the demo organisation is off".into()),
            }
        }
        let emulator = slot.as_ref().ok_or("the demo organisation did not start")?;
        Ok(DemoHandle {
            base_url: emulator.base_url(),
            world: DemoControl::InProcess(emulator.world()),
        })
    }
}

/// What the demo sign-in needs of the running emulator.
pub struct DemoHandle {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The emulator's control plane, to register the app's loopback redirect.
    pub world: DemoControl,
}

/// How the app reaches the demo emulator's control plane.
#[derive(Clone)]
pub enum DemoControl {
    /// The in-process emulator's world, called directly.
    InProcess(genesys_emulator::WorldHandle),
    /// An emulator in another process: its `/_emulator` routes under this origin, over HTTP.
    Http(String),
}
