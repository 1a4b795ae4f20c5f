//! The desktop app's use cases, one method per command, Tauri-free: the app's commands only unpack
//! the request, call one of these and hand back the answer (or the `IpcError`).
//!
//! [`Desktop`] owns the session lifecycle (sign-in through the browser, resume from the keyring at
//! start, sign-out), the chosen queues (remembered in the prefs file), the live roster and the
//! actions over it, the drop plans waiting for confirmation, and the forwarding of roster changes
//! to the one board that subscribed. Locks are held only to read or swap handles, never across a
//! network call, so a slow drop never blocks the board.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::Utc;
use genesys_client::{Client, Environment, QueueQuery};
use genesys_model::{ClientSecret, ConversationId, ParticipantId, QueueId, UserId};
use genesys_notify::NotifyConfig;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;
use url::Url;

use super::actions::{
    ActionResult, DropPlanView, ExecuteDropRequest, PlanDropRequest, SetFlagRequest,
};
use super::audit::{
    AuditEntry, AuditExportRequest, AuditExportResponse, AuditListRequest, AuditListResponse,
    select,
};
use super::error::{ErrorCode, IpcError};
use super::prefs::{Prefs, PrefsFile};
use super::queues::{
    ListQueuesRequest, ListQueuesResponse, QUEUE_PAGE_SIZE, QueueInfo, SelectQueuesRequest,
    SelectQueuesResponse, WatchedPeople,
};
use super::roster::{ConnectionStatusResponse, ConnectionView, RosterEvent, RosterSnapshot};
use super::session::{
    LastSignIn, SessionInfo, SessionInfoResponse, SessionState, SignInRequest, SignInResponse,
    SignOutResponse, region_options,
};
use crate::actions::{Actions, ActionsConfig, DropPlan};
use crate::audit::{AuditLog, write_csv};
use crate::auth::{LoopbackConfig, Session, SessionOptions, SessionStatus, SignIn, SignInConfig};
use crate::roster::{Roster, RosterConfig, Watch, WatchRequest};
use crate::token_store::{MemoryStore, TokenStore};

/// The most queues one board watches (each is a notification topic; a channel takes 1,000).
pub const MAX_QUEUES: usize = 200;
/// People one board may watch by choice (each is one topic; 1,000 fit on a channel).
pub const MAX_PEOPLE: usize = 500;
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
        }
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

fn session_info(signed: &Signed) -> SessionInfo {
    let user = signed.session.user();
    SessionInfo {
        user_id: user.id.clone(),
        user_name: user.name.clone().unwrap_or_else(|| user.id.clone()),
        environment: signed.environment.clone(),
        client_id: signed.session.client_id().to_owned(),
        demo: signed.demo,
        renewable: signed.session.is_renewable(),
        expires_at_ms: signed.session.expires_at().timestamp_millis(),
    }
}

/// How people know an environment: the region's label, "Demo organisation", or the API base.
fn environment_name(environment: &Environment, demo: bool) -> String {
    if demo {
        return "Demo organisation".to_owned();
    }
    match environment {
        Environment::Region(r) => region_options()
            .into_iter()
            .find(|o| o.name == r.name())
            .map_or_else(|| r.name().to_owned(), |o| o.label),
        other => other.api_base().as_str().trim_end_matches('/').to_owned(),
    }
}

fn parse_ids(ids: &[String], what: &str) -> Result<Vec<String>, IpcError> {
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        let id = id.trim();
        if id.is_empty() || id.len() > 128 || id.chars().any(|c| c.is_control() || c == '/') {
            return Err(IpcError::invalid(format!(
                "“{id}” is not a valid {what} id."
            )));
        }
        if !out.iter().any(|o| o == id) {
            out.push(id.to_owned());
        }
    }
    Ok(out)
}

/// What the roster watches for a queue choice and a people choice (`me`: the signed-in user).
fn watch_request(queues: &[QueueInfo], people: &WatchedPeople, me: &str) -> WatchRequest {
    let mut users: std::collections::BTreeSet<UserId> = people
        .user_ids
        .iter()
        .map(|u| UserId::new(u.clone()))
        .collect();
    if people.watch_self {
        users.insert(UserId::new(me));
    }
    WatchRequest {
        watch: Watch {
            queues: queues.iter().map(|q| QueueId::new(q.id.clone())).collect(),
            users,
        },
        queue_people: people.watch_queue_people,
    }
}

fn one_id(id: &str, what: &str) -> Result<String, IpcError> {
    parse_ids(&[id.to_owned()], what)?
        .pop()
        .ok_or_else(|| IpcError::invalid(format!("A {what} id is required.")))
}

impl Desktop {
    /// Opens the audit log and the prefs file; the keyring is the store for real-org sessions.
    pub fn new(config: DesktopConfig, keyring: Arc<dyn TokenStore>) -> Self {
        let audit = AuditLog::open(&config.audit_path).map_err(|e| {
            tracing::error!(path = %config.audit_path.display(), error = %e, "the audit log cannot be opened; actions are disabled");
            e.to_string()
        });
        let prefs = PrefsFile::new(&config.prefs_path);
        Self {
            config,
            keyring,
            audit,
            prefs,
            state: tokio::sync::Mutex::new(State::default()),
            plans: Mutex::new(HashMap::new()),
            forwarder: Mutex::new(None),
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

    // ---------------------------------------------------------------- session

    /// `session_info`: resumes the remembered sign-in from the keyring the first time.
    pub async fn session_info(&self) -> SessionInfoResponse {
        let prefs = self.prefs.load();
        let mut state = self.state.lock().await;
        if !state.resume_tried && state.signed.is_none() {
            state.resume_tried = true;
            if let Some(last) = &prefs.last_sign_in {
                match self.resume(last, &prefs).await {
                    Ok(signed) => state.signed = Some(signed),
                    Err(e) if e.code == ErrorCode::SessionExpired => state.expired = true,
                    Err(e) => {
                        tracing::info!(code = e.code.as_str(), message = %e.message, "no session resumed")
                    }
                }
            }
        }
        self.drop_if_ended(&mut state);
        let (session_state, session, selected) = match &state.signed {
            Some(signed) => (
                SessionState::SignedIn,
                Some(session_info(signed)),
                signed.queues.clone(),
            ),
            None if state.expired => (SessionState::Expired, None, Vec::new()),
            None => (SessionState::SignedOut, None, Vec::new()),
        };
        SessionInfoResponse {
            state: session_state,
            session,
            regions: region_options(),
            last_sign_in: prefs.last_sign_in,
            redirect_uri: format!(
                "http://localhost:{}{}",
                self.config.loopback.port, self.config.loopback.path
            ),
            demo_available: self.config.demo_available,
            selected_queues: selected,
        }
    }

    async fn resume(&self, last: &LastSignIn, prefs: &Prefs) -> Result<Signed, IpcError> {
        let request = SignInRequest {
            region: last.region.clone(),
            api_base: last.api_base.clone(),
            client_id: last.client_id.clone(),
            client_secret: None,
        };
        let environment = request.environment()?;
        let session = Session::resume(
            &environment,
            request.client_id()?,
            Arc::clone(&self.keyring),
            SessionOptions::default(),
        )
        .await?;
        self.signed(session, false, prefs)
    }

    /// A session that ended by itself (expired, revoked) is torn down and remembered as expired.
    fn drop_if_ended(&self, state: &mut State) {
        let ended = state.signed.as_ref().is_some_and(|s| {
            s.session.status() != SessionStatus::Active
                || s.live.as_ref().is_some_and(|l| {
                    l.roster.status().connection.is_session_expired()
                        || l.actions.get().is_some_and(Actions::session_expired)
                })
        });
        if ended {
            if let Some(signed) = state.signed.take() {
                tracing::info!("the session ended; sign in again");
                self.tear_down(signed);
            }
            state.expired = true;
        }
    }

    fn signed(&self, session: Session, demo: bool, prefs: &Prefs) -> Result<Signed, IpcError> {
        let client = session.api_client()?;
        let environment = environment_name(session.environment(), demo);
        let account = if demo {
            DEMO_ACCOUNT.to_owned()
        } else {
            session.account_key().as_str().to_owned()
        };
        let queues = prefs.queues_for(&account);
        let people = prefs.people_for(&account);
        let live = self.start_live(&client, watch_request(&queues, &people, &session.user().id));
        Ok(Signed {
            session,
            client,
            demo,
            account,
            environment,
            queues,
            people,
            live,
        })
    }

    fn start_live(&self, client: &Client, watch: WatchRequest) -> Option<Arc<Live>> {
        if watch.watch.is_empty() {
            return None;
        }
        let roster = Roster::connect_watching(
            client.clone(),
            watch,
            self.config.notify.clone(),
            self.config.roster.clone(),
        );
        Some(Arc::new(Live {
            roster,
            actions: tokio::sync::OnceCell::new(),
        }))
    }

    fn tear_down(&self, signed: Signed) {
        self.stop_forwarder();
        lock(&self.plans).clear();
        if let Some(live) = signed.live {
            tokio::spawn(async move { live.roster.shutdown().await });
        }
    }

    /// `sign_in`: PKCE (or a confidential client) through the system browser and the loopback
    /// redirect; remembers the settings (never the secret) for next time.
    pub async fn sign_in(
        &self,
        request: SignInRequest,
        browser: &dyn Browser,
    ) -> Result<SignInResponse, IpcError> {
        let environment = request.environment()?;
        let client_id = request.client_id()?.to_owned();
        let mut config = match request.client_secret() {
            Some(secret) => SignInConfig::confidential(
                environment.clone(),
                &client_id,
                ClientSecret::new(secret),
            ),
            None => SignInConfig::pkce(environment.clone(), &client_id),
        };
        config.loopback = self.config.loopback.clone();
        let session = self
            .browser_sign_in(config, Arc::clone(&self.keyring), browser)
            .await?;
        let mut prefs = self.prefs.load();
        prefs.last_sign_in = Some(LastSignIn {
            region: match &environment {
                Environment::Region(r) => Some(r.name().to_owned()),
                _ => None,
            },
            api_base: match &environment {
                Environment::Region(_) => None,
                other => Some(other.api_base().as_str().trim_end_matches('/').to_owned()),
            },
            client_id,
            confidential: request.client_secret().is_some(),
        });
        self.save_prefs(&prefs);
        self.install(session, false, &prefs).await
    }

    /// `sign_in_demo`: the same PKCE code path against the in-process emulator, with a throwaway
    /// in-memory token store (the demo never touches the keyring) and a free redirect port.
    pub async fn sign_in_demo(
        &self,
        demo: DemoSignIn,
        browser: &dyn Browser,
    ) -> Result<SignInResponse, IpcError> {
        let environment = Environment::custom(&demo.base_url)
            .map_err(|e| IpcError::new(ErrorCode::DemoUnavailable, e.to_string()))?;
        let mut config = SignInConfig::pkce(environment, &demo.client_id);
        config.loopback = LoopbackConfig {
            port: 0,
            path: self.config.loopback.path.clone(),
            timeout: DEMO_CALLBACK_TIMEOUT,
        };
        let session = self
            .browser_sign_in(config, Arc::new(MemoryStore::new()), browser)
            .await?;
        let prefs = self.prefs.load();
        self.install(session, true, &prefs).await
    }

    async fn browser_sign_in(
        &self,
        config: SignInConfig,
        store: Arc<dyn TokenStore>,
        browser: &dyn Browser,
    ) -> Result<Session, IpcError> {
        let started = SignIn::start(config, store).await?;
        tracing::info!(redirect_uri = %started.redirect_uri(), "opening the browser for sign-in");
        browser.open(started.authorize_url()).map_err(|reason| {
            IpcError::new(
                ErrorCode::SignInFailed,
                format!("The browser could not be opened for the sign-in: {reason}"),
            )
        })?;
        Ok(started.finish().await?)
    }

    async fn install(
        &self,
        session: Session,
        demo: bool,
        prefs: &Prefs,
    ) -> Result<SignInResponse, IpcError> {
        let signed = self.signed(session, demo, prefs)?;
        let response = SignInResponse {
            session: session_info(&signed),
            selected_queues: signed.queues.clone(),
        };
        let mut state = self.state.lock().await;
        if let Some(old) = state.signed.replace(signed) {
            self.tear_down(old);
        }
        state.expired = false;
        state.resume_tried = true;
        Ok(response)
    }

    /// `sign_out`: stops the board, revokes the token (best effort) and forgets the session.
    pub async fn sign_out(&self) -> SignOutResponse {
        let signed = {
            let mut state = self.state.lock().await;
            state.expired = false;
            state.signed.take()
        };
        let Some(signed) = signed else {
            return SignOutResponse { warning: None };
        };
        let session = signed.session.clone();
        self.tear_down(signed);
        match session.sign_out().await {
            Ok(()) => SignOutResponse { warning: None },
            Err(e) => {
                tracing::warn!(error = %e, "sign-out could not remove the stored session");
                SignOutResponse {
                    warning: Some(format!(
                        "Signed out in this window, but the stored sign-in could not be removed: {e}"
                    )),
                }
            }
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

    // ---------------------------------------------------------------- queues

    /// `list_queues`: one page of queues whose name contains the filter.
    pub async fn list_queues(
        &self,
        request: ListQueuesRequest,
    ) -> Result<ListQueuesResponse, IpcError> {
        let (client, selected, people) = self
            .with_signed(|s| (s.client.clone(), s.queues.clone(), s.people.clone()))
            .await?;
        let query = QueueQuery {
            page_size: QUEUE_PAGE_SIZE,
            name: request.name_query(),
            ..QueueQuery::default()
        };
        let listing = client.routing_queues(&query).await?;
        let truncated = listing.has_next_page();
        let mut queues: Vec<QueueInfo> = listing
            .entities
            .into_iter()
            .map(|q| QueueInfo {
                name: q.name.unwrap_or_else(|| q.id.as_str().to_owned()),
                id: q.id.as_str().to_owned(),
            })
            .collect();
        queues.sort_by_key(|q| q.name.to_lowercase());
        Ok(ListQueuesResponse {
            queues,
            selected,
            people,
            truncated,
        })
    }

    /// `select_queues`: checks the ids against Genesys, remembers them, and points the board at them.
    pub async fn select_queues(
        &self,
        request: SelectQueuesRequest,
    ) -> Result<SelectQueuesResponse, IpcError> {
        let ids = parse_ids(&request.queue_ids, "queue")?;
        if ids.len() > MAX_QUEUES {
            return Err(IpcError::invalid(format!(
                "Choose at most {MAX_QUEUES} queues; {} were chosen.",
                ids.len()
            )));
        }
        let user_ids = parse_ids(&request.user_ids, "user")?;
        if user_ids.len() > MAX_PEOPLE {
            return Err(IpcError::invalid(format!(
                "Choose at most {MAX_PEOPLE} people; {} were chosen.",
                user_ids.len()
            )));
        }
        let (client, me) = self
            .with_signed(|s| (s.client.clone(), s.session.user().id.clone()))
            .await?;
        let mut chosen = Vec::with_capacity(ids.len());
        if !ids.is_empty() {
            let query = QueueQuery {
                page_size: QUEUE_PAGE_SIZE,
                ids: ids.iter().map(|id| QueueId::new(id.clone())).collect(),
                ..QueueQuery::default()
            };
            let found = client.routing_queues(&query).await?.entities;
            for id in &ids {
                match found.iter().find(|q| q.id.as_str() == id) {
                    Some(q) => chosen.push(QueueInfo {
                        id: id.clone(),
                        name: q.name.clone().unwrap_or_else(|| id.clone()),
                    }),
                    None => {
                        return Err(IpcError::invalid(format!(
                            "Queue {id} does not exist or is not visible to you."
                        )));
                    }
                }
            }
        }
        chosen.sort_by_key(|q| q.name.to_lowercase());

        let mut state = self.state.lock().await;
        let Some(signed) = state.signed.as_mut() else {
            return Err(IpcError::not_signed_in());
        };
        let mut prefs = self.prefs.load();
        let people = WatchedPeople {
            user_ids: user_ids.clone(),
            watch_self: request.watch_self,
            watch_queue_people: request.watch_queue_people,
        };
        prefs.set_watch_for(&signed.account, chosen.clone(), people.clone());
        self.save_prefs(&prefs);
        signed.queues = chosen.clone();
        let watch = watch_request(&chosen, &people, &me);
        signed.people = people;
        let existing = signed.live.clone();
        if watch.watch.is_empty() {
            if let Some(live) = signed.live.take() {
                self.stop_forwarder();
                tokio::spawn(async move { live.roster.shutdown().await });
            }
        } else if let Some(live) = existing {
            drop(state);
            live.roster.set_watch(watch).await?;
        } else {
            signed.live = self.start_live(&signed.client, watch);
        }
        tracing::info!(
            queues = chosen.len(),
            people = user_ids.len(),
            "watch selection changed"
        );
        Ok(SelectQueuesResponse { selected: chosen })
    }

    // ---------------------------------------------------------------- roster

    async fn live(&self) -> Result<Option<Arc<Live>>, IpcError> {
        self.with_signed(|s| s.live.clone()).await
    }

    fn idle_snapshot() -> RosterSnapshot {
        RosterSnapshot {
            seq: 0,
            conversations: Vec::new(),
            connection: ConnectionView::idle(),
        }
    }

    fn stop_forwarder(&self) {
        if let Some(task) = lock(&self.forwarder).take() {
            task.abort();
        }
    }

    /// `roster_subscribe`: the board now, then every change sent to `sink` in order (a newer
    /// subscription replaces this one). `sink` answers false when the UI is gone.
    pub async fn roster_subscribe(
        &self,
        sink: impl Fn(RosterEvent) -> bool + Send + Sync + 'static,
    ) -> Result<RosterSnapshot, IpcError> {
        let Some(live) = self.live().await? else {
            self.stop_forwarder();
            return Ok(Self::idle_snapshot());
        };
        let (snapshot, mut changes) = live.roster.subscribe();
        let task = tokio::spawn(async move {
            loop {
                match changes.recv().await {
                    Ok(change) => {
                        if !sink(RosterEvent::from(&change)) {
                            tracing::debug!("the board's channel is gone; forwarding stops");
                            break;
                        }
                    }
                    // The UI sees the gap in the numbers and asks for a snapshot.
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "the board fell behind; it will re-read the roster")
                    }
                    Err(RecvError::Closed) => break,
                }
            }
        });
        if let Some(old) = lock(&self.forwarder).replace(task) {
            old.abort();
        }
        Ok(RosterSnapshot::from(&snapshot))
    }

    /// `roster_snapshot`: the whole board now (after the UI saw a gap).
    pub async fn roster_snapshot(&self) -> Result<RosterSnapshot, IpcError> {
        Ok(match self.live().await? {
            Some(live) => RosterSnapshot::from(&live.roster.snapshot()),
            None => Self::idle_snapshot(),
        })
    }

    /// `connection_status`: the notification connection and the board's trust.
    pub async fn connection_status(&self) -> Result<ConnectionStatusResponse, IpcError> {
        Ok(match self.live().await? {
            Some(live) => {
                let status = live.roster.status();
                ConnectionStatusResponse {
                    connection: ConnectionView::from(&status),
                    last_snapshot_ms: status.last_snapshot.map(|t| t.timestamp_millis()),
                }
            }
            None => ConnectionStatusResponse {
                connection: ConnectionView::idle(),
                last_snapshot_ms: None,
            },
        })
    }

    // ---------------------------------------------------------------- actions

    async fn actions(&self) -> Result<Actions, IpcError> {
        let audit = self.audit()?.clone();
        let (live, session) = self
            .with_signed(|s| (s.live.clone(), s.session.clone()))
            .await?;
        let Some(live) = live else {
            return Err(IpcError::invalid(
                "Choose the queues to watch first; actions work on calls of watched queues.",
            ));
        };
        let actions = live
            .actions
            .get_or_try_init(|| async {
                let actions =
                    Actions::new(live.roster.clone(), audit, self.config.actions.clone()).await?;
                actions.attach_session(session);
                Ok::<_, IpcError>(actions)
            })
            .await?;
        Ok(actions.clone())
    }

    /// `plan_drop`: who would be dropped, who remains, what to warn about; nothing is sent.
    pub async fn plan_drop(&self, request: PlanDropRequest) -> Result<DropPlanView, IpcError> {
        let conversation = ConversationId::new(one_id(&request.conversation_id, "conversation")?);
        let participant = ParticipantId::new(one_id(&request.participant_id, "participant")?);
        let actions = self.actions().await?;
        let plan = actions.plan_drop(&conversation, &participant).await?;
        let view = DropPlanView::from(&plan);
        let mut plans = lock(&self.plans);
        let now = Utc::now();
        plans.retain(|_, p| p.expires_at > now);
        plans.insert(view.plan_id.clone(), plan);
        Ok(view)
    }

    /// `execute_drop`: carries out a plan once (the core re-checks the leg first).
    pub async fn execute_drop(
        &self,
        request: ExecuteDropRequest,
    ) -> Result<ActionResult, IpcError> {
        let plan = lock(&self.plans).remove(request.plan_id.trim());
        let Some(plan) = plan else {
            return Err(IpcError::new(
                ErrorCode::PlanExpired,
                "This drop was already carried out or its check is too old; check the call again.",
            ));
        };
        let actions = self.actions().await?;
        let report = actions.execute_drop(&plan).await?;
        Ok(ActionResult::from(&report))
    }

    /// `set_mute`: mutes or unmutes one leg and waits to see it.
    pub async fn set_mute(&self, request: SetFlagRequest) -> Result<ActionResult, IpcError> {
        let (conversation, participant) = Self::target(&request)?;
        let actions = self.actions().await?;
        let report = actions
            .set_muted(&conversation, &participant, request.on)
            .await?;
        Ok(ActionResult::from(&report))
    }

    /// `set_hold`: holds or resumes one leg and waits to see it.
    pub async fn set_hold(&self, request: SetFlagRequest) -> Result<ActionResult, IpcError> {
        let (conversation, participant) = Self::target(&request)?;
        let actions = self.actions().await?;
        let report = actions
            .set_held(&conversation, &participant, request.on)
            .await?;
        Ok(ActionResult::from(&report))
    }

    fn target(request: &SetFlagRequest) -> Result<(ConversationId, ParticipantId), IpcError> {
        Ok((
            ConversationId::new(one_id(&request.conversation_id, "conversation")?),
            ParticipantId::new(one_id(&request.participant_id, "participant")?),
        ))
    }

    // ---------------------------------------------------------------- audit

    /// `audit_list`: the matching records, newest first (readable without signing in).
    pub async fn audit_list(
        &self,
        request: AuditListRequest,
    ) -> Result<AuditListResponse, IpcError> {
        let audit = self.audit()?.clone();
        let report = tokio::task::spawn_blocking(move || audit.read_all())
            .await
            .map_err(|e| IpcError::internal(e.to_string()))??;
        let entries = select(&report.records, &request.filters)
            .into_iter()
            .map(AuditEntry::from)
            .collect();
        Ok(AuditListResponse {
            entries,
            total: u32::try_from(report.records.len()).unwrap_or(u32::MAX),
            skipped_lines: u32::try_from(report.skipped.len()).unwrap_or(u32::MAX),
            path: self.config.audit_path.display().to_string(),
        })
    }

    /// `audit_export_csv`: writes the matching records as CSV into the export folder.
    pub async fn audit_export_csv(
        &self,
        request: AuditExportRequest,
    ) -> Result<AuditExportResponse, IpcError> {
        let audit = self.audit()?.clone();
        let dir = self.config.export_dir.clone();
        let name = format!(
            "bridgekeeper-audit-{}.csv",
            Utc::now().format("%Y%m%d-%H%M%S")
        );
        let filters = request.filters;
        tokio::task::spawn_blocking(move || {
            let report = audit.read_all()?;
            let chosen: Vec<_> = select(&report.records, &filters)
                .into_iter()
                .cloned()
                .collect();
            std::fs::create_dir_all(&dir).map_err(|e| {
                IpcError::internal(format!(
                    "The folder {} cannot be created: {e}",
                    dir.display()
                ))
            })?;
            let path = dir.join(name);
            let write = || -> std::io::Result<()> {
                let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
                write_csv(&chosen, &mut file)?;
                std::io::Write::flush(&mut file)?;
                file.get_ref().sync_all()
            };
            write().map_err(|e| {
                IpcError::internal(format!(
                    "The CSV file {} could not be written: {e}",
                    path.display()
                ))
            })?;
            tracing::info!(path = %path.display(), rows = chosen.len(), "audit log exported");
            Ok(AuditExportResponse {
                path: path.display().to_string(),
                rows: u32::try_from(chosen.len()).unwrap_or(u32::MAX),
            })
        })
        .await
        .map_err(|e| IpcError::internal(e.to_string()))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_trimmed_deduplicated_and_checked() {
        let ids = parse_ids(&[" a ".into(), "a".into(), "b".into()], "queue").expect("ids");
        assert_eq!(ids, vec!["a".to_owned(), "b".to_owned()]);
        assert!(parse_ids(&["".into()], "queue").is_err());
        assert!(parse_ids(&["a/b".into()], "queue").is_err());
        assert!(one_id("  ", "conversation").is_err());
    }

    #[test]
    fn environments_are_named_for_people() {
        let env = Environment::Region(genesys_client::Region::EuWest1);
        assert_eq!(environment_name(&env, false), "EMEA (Dublin)");
        assert_eq!(environment_name(&env, true), "Demo organisation");
        let emu = Environment::custom("http://127.0.0.1:9000").expect("emulator");
        assert_eq!(environment_name(&emu, false), "http://127.0.0.1:9000");
    }
}
