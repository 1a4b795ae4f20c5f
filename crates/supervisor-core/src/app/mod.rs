//! The use cases of the desktop app and the CLI, Tauri-free and split by area: the session
//! lifecycle ([`session`]), the queue choice ([`queues`]), the live board ([`board`]), the actions
//! over it ([`actions`]), the "Needs attention" panel ([`attention`]) and its whole-call
//! disconnect ([`disconnect`]), the policy page and its enforce switch ([`policy`]), the audit log
//! ([`audit`]), the policy runner ([`policy_run`]) and what is remembered between runs
//! ([`prefs`]). The id rule ([`ids`]) lives here once, for both clients.
//!
//! [`Desktop`] is the app's state: one method per IPC command (the app's generated commands only
//! unpack the request, call one and hand back the answer or the `IpcError`). Locks are held only to
//! read or swap handles, never across a network call, so a slow drop never blocks the board.
//! The CLI uses the free functions of the same modules (resume, roster start, actions).

pub mod actions;
pub mod attention;
pub mod audit;
pub mod board;
pub mod config;
pub mod disconnect;
pub mod ids;
pub mod policy;
pub mod policy_run;
pub mod prefs;
pub mod queues;
pub mod session;
#[cfg(test)]
mod tests;
pub mod transcription;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use genesys_client::Client;
use genesys_notify::NotifyConfig;
use tokio::task::JoinHandle;
use url::Url;

use crate::actions::{Actions, ActionsConfig, DropPlan};
use crate::admin_config::AdminConfig;
use crate::audit::AuditLog;
use crate::auth::{LoopbackConfig, Session};
use crate::ipc::error::{ErrorCode, IpcError};
use crate::ipc::queues::{QueueInfo, WatchedPeople};
use crate::roster::{Roster, RosterConfig};
use crate::token_store::TokenStore;
use prefs::{Prefs, PrefsFile};

pub use queues::{MAX_PEOPLE, MAX_QUEUES};

/// The demo org's remembered queue choice is kept under this account name (its port changes).
const DEMO_ACCOUNT: &str = "demo";
/// The demo org answers its authorize URL at once, so its sign-in needs no 5-minute wait.
const DEMO_CALLBACK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Opens the authorize URL: the system browser in the app, an HTTP client for the demo org.
pub trait Browser: Send + Sync {
    /// Starts the login at `url`; returns once it is under way (the redirect arrives later).
    fn open(&self, url: &Url) -> Result<(), String>;
}

/// Where the desktop keeps its files and how it tunes the core.
#[derive(Clone, Debug)]
pub struct DesktopConfig {
    /// The append-only audit log (`<app data>/audit.jsonl`).
    pub audit_path: PathBuf,
    /// The remembered settings (`<app config>/prefs.json`).
    pub prefs_path: PathBuf,
    /// Where CSV exports go (the Downloads folder, else the app data folder).
    pub export_dir: PathBuf,
    /// The registered browser redirect (`http://localhost:8765/oauth/callback`).
    pub loopback: LoopbackConfig,
    /// Whether "Try the demo organisation" is offered.
    pub demo_available: bool,
    /// Notification client tuning.
    pub notify: NotifyConfig,
    /// Roster tuning.
    pub roster: RosterConfig,
    /// Action verification tuning.
    pub actions: ActionsConfig,
    /// The transcription feed's tuning (used only when the policy has a `silent` rule).
    pub transcription: crate::transcription::FeedConfig,
    /// The admin-managed configuration (none by default); apply it with [`DesktopConfig::with_admin`].
    pub admin: AdminConfig,
    /// The user's policy file for the "Needs attention" panel (`<app config>/policy.toml`); the
    /// built-in rules apply when it is absent or broken.
    pub policy_path: Option<PathBuf>,
}

impl DesktopConfig {
    /// The defaults with the app's file locations.
    pub fn new(audit_path: PathBuf, prefs_path: PathBuf, export_dir: PathBuf) -> Self {
        Self {
            audit_path,
            prefs_path,
            export_dir,
            loopback: LoopbackConfig::default(),
            demo_available: true,
            notify: NotifyConfig::default(),
            roster: RosterConfig::default(),
            actions: ActionsConfig::default(),
            transcription: crate::transcription::FeedConfig::default(),
            admin: AdminConfig::default(),
            policy_path: None,
        }
    }

    /// Applies the admin configuration: its redirect port and demo offer, and its locks.
    pub fn with_admin(mut self, admin: AdminConfig) -> Self {
        self.loopback.port = admin.loopback_port();
        self.demo_available = admin.demo_offered();
        self.admin = admin;
        self
    }
}

/// The demo organisation to sign in to: the in-process emulator's origin and its public client.
#[derive(Clone, Debug)]
pub struct DemoSignIn {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The emulator's public PKCE client (`bridgekeeper-desktop`).
    pub client_id: String,
}

/// The roster and the actions over it, alive while queues are watched.
struct Live {
    roster: Roster,
    actions: tokio::sync::OnceCell<Actions>,
    /// When mutes and holds were first seen, for the "Needs attention" rules.
    flags: attention::FlagWatch,
    /// The live calls' transcription, when a rule of the policy is `silent`.
    transcript: Option<crate::transcription::TranscriptFeed>,
    /// The app's own policy enforcement, when switched on (off at every start; it ends with the board).
    enforcer: tokio::sync::Mutex<Option<policy::Enforcer>>,
}

/// A signed-in session and what hangs off it.
struct Signed {
    session: Session,
    client: Client,
    demo: bool,
    /// The prefs key of the queue choice.
    account: String,
    environment: String,
    queues: Vec<QueueInfo>,
    people: WatchedPeople,
    live: Option<Arc<Live>>,
}

#[derive(Default)]
struct State {
    signed: Option<Signed>,
    /// The last session ended by itself (expired or revoked), so the UI says "sign in again".
    expired: bool,
    /// Resuming from the keyring is tried once, at the first `session_info`.
    resume_tried: bool,
}

/// The app's use cases; one per app, shared by every command.
pub struct Desktop {
    config: DesktopConfig,
    keyring: Arc<dyn TokenStore>,
    audit: Result<AuditLog, String>,
    prefs: PrefsFile,
    state: tokio::sync::Mutex<State>,
    plans: Mutex<HashMap<String, DropPlan>>,
    forwarder: Mutex<Option<JoinHandle<()>>>,
    policy: attention::DesktopPolicy,
    in_flight: InFlight,
}

/// Counts the actions under way; each holds a guard from [`InFlight::enter`] until it is done.
#[derive(Clone, Debug, Default)]
struct InFlight(Arc<std::sync::atomic::AtomicUsize>);

/// One action under way, counted until it is dropped (also when the action fails or is cancelled).
struct InFlightGuard(Arc<std::sync::atomic::AtomicUsize>);

impl InFlight {
    fn enter(&self) -> InFlightGuard {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        InFlightGuard(Arc::clone(&self.0))
    }

    fn count(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl std::fmt::Debug for Desktop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desktop")
            .field("audit_path", &self.config.audit_path)
            .field("prefs_path", &self.config.prefs_path)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Desktop {
    /// Opens the audit log and the prefs file; the keyring is the store for real-org sessions.
    pub fn new(config: DesktopConfig, keyring: Arc<dyn TokenStore>) -> Self {
        let audit = AuditLog::open(&config.audit_path).map_err(|e| {
            tracing::error!(path = %config.audit_path.display(), error = %e, "the audit log cannot be opened; actions are disabled");
            e.to_string()
        });
        let prefs = PrefsFile::new(&config.prefs_path);
        let policy = attention::DesktopPolicy::load(config.policy_path.as_deref());
        Self {
            config,
            keyring,
            audit,
            prefs,
            state: tokio::sync::Mutex::new(State::default()),
            plans: Mutex::new(HashMap::new()),
            forwarder: Mutex::new(None),
            policy,
            in_flight: InFlight::default(),
        }
    }

    fn audit(&self) -> Result<&AuditLog, IpcError> {
        self.audit.as_ref().map_err(|reason| {
            IpcError::internal(format!(
                "The audit log at {} cannot be opened ({reason}). Actions are disabled until it can \
                 be written, because every action must be recorded.",
                self.config.audit_path.display()
            ))
        })
    }

    fn save_prefs(&self, prefs: &Prefs) {
        if let Err(error) = self.prefs.save(prefs) {
            tracing::warn!(path = %self.prefs.path().display(), %error, "preferences could not be saved");
        }
    }

    /// The signed-in state's handles, or the error the UI acts on.
    async fn with_signed<T>(&self, f: impl FnOnce(&Signed) -> T) -> Result<T, IpcError> {
        let mut state = self.state.lock().await;
        self.drop_if_ended(&mut state);
        match &state.signed {
            Some(signed) => Ok(f(signed)),
            None if state.expired => Err(IpcError::new(
                ErrorCode::SessionExpired,
                "Your session has expired or was revoked. Sign in again.",
            )),
            None => Err(IpcError::not_signed_in()),
        }
    }
}
