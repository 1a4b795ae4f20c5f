//! The emulator's whole state (`World`) behind one lock, and the public handle to it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::Utc;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::watch;

use crate::change::{Change, ChangeError, NewCallRequest, PartyRequest};
use crate::config::{EmulatorConfig, ScenarioName};
use crate::faults::{ActiveFault, FaultSpec, Faults};
use crate::history::{AnalyticsSettings, History};
use crate::model::{Conversation, OAuthClient, Queue, User};
use crate::notify::Notifier;
use crate::render::{self, Names};
use crate::scenario::{self, ScenarioData};
use crate::tokens::TokenStore;
use crate::transcription::{Transcription, TranscriptionSettings};

/// Request-log capacity; older entries are dropped first.
pub const REQUEST_LOG_CAPACITY: usize = 10_000;

/// One logged request (never carries tokens or secrets).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    pub seq: u64,
    pub time: String,
    pub method: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    pub status: u16,
    pub correlation_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

/// The request log.
#[derive(Default)]
pub struct RequestLog {
    entries: VecDeque<RequestRecord>,
    next_seq: u64,
}

impl RequestLog {
    /// Appends a record, assigning its sequence number.
    pub fn push(&mut self, mut r: RequestRecord) {
        self.next_seq += 1;
        r.seq = self.next_seq;
        if self.entries.len() >= REQUEST_LOG_CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(r);
    }

    /// Records with seq greater than `since`.
    pub fn since(&self, since: u64) -> Vec<RequestRecord> {
        self.entries
            .iter()
            .filter(|r| r.seq > since)
            .cloned()
            .collect()
    }

    /// Empties the log (sequence numbers keep increasing).
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

/// Everything the emulator knows.
pub struct World {
    pub scenario: ScenarioName,
    pub seed: u64,
    pub load_count: usize,
    pub users: HashMap<String, User>,
    pub user_order: Vec<String>,
    pub queues: HashMap<String, Queue>,
    pub queue_order: Vec<String>,
    pub clients: HashMap<String, OAuthClient>,
    pub conversations: HashMap<String, Conversation>,
    pub conversation_order: Vec<String>,
    pub rng: ChaCha8Rng,
    pub tokens: TokenStore,
    pub notifier: Notifier,
    pub faults: Faults,
    pub log: RequestLog,
    pub events_published: u64,
    pub events_delivered: u64,
    pub events_dropped: u64,
    /// Recent conversation states, for the lagging analytics details.
    pub history: History,
    /// Lag and paging depth of the analytics details (runtime-settable).
    pub analytics: AnalyticsSettings,
    /// The transcription topic's engine: sessions, speech and deliveries.
    pub transcription: Transcription,
}

impl World {
    /// A world loaded with the scenario.
    pub fn new(scenario: ScenarioName, seed: u64, load_count: usize) -> Self {
        let data = scenario::build(scenario, seed, load_count, Utc::now());
        let mut w = World {
            scenario,
            seed,
            load_count,
            users: HashMap::new(),
            user_order: Vec::new(),
            queues: HashMap::new(),
            queue_order: Vec::new(),
            clients: HashMap::new(),
            conversations: HashMap::new(),
            conversation_order: Vec::new(),
            rng: data.rng.clone(),
            tokens: TokenStore::default(),
            notifier: Notifier::default(),
            faults: Faults::new(seed),
            log: RequestLog::default(),
            events_published: 0,
            events_delivered: 0,
            events_dropped: 0,
            history: History::default(),
            analytics: AnalyticsSettings::default(),
            transcription: Transcription::new(
                seed,
                TranscriptionSettings::from_config(&EmulatorConfig::default()),
            ),
        };
        w.install(data);
        w
    }

    fn install(&mut self, data: ScenarioData) {
        self.user_order = data.users.iter().map(|u| u.id.clone()).collect();
        self.users = data.users.into_iter().map(|u| (u.id.clone(), u)).collect();
        self.queue_order = data.queues.iter().map(|q| q.id.clone()).collect();
        self.queues = data.queues.into_iter().map(|q| (q.id.clone(), q)).collect();
        self.clients = data
            .clients
            .into_iter()
            .map(|c| (c.id.clone(), c))
            .collect();
        self.conversation_order = data.conversations.iter().map(|c| c.id.clone()).collect();
        self.conversations = data
            .conversations
            .into_iter()
            .map(|c| (c.id.clone(), c))
            .collect();
        self.rng = data.rng;
        self.history.clear();
        self.faults = Faults::new(self.seed);
        self.transcription.restart(
            self.seed,
            data.transcription_licensed,
            data.transcription_enabled,
        );
        for spec in data.faults {
            self.faults.add(spec);
        }
        for (c, p) in data.silenced {
            self.transcription.silence(c, p);
        }
        let users = &self.users;
        self.tokens.retain_users(|u| users.contains_key(u));
    }

    /// Reloads a scenario. Tokens of users that still exist, channels and the request log stay;
    /// faults and control-plane OAuth clients go.
    pub fn load(&mut self, scenario: ScenarioName, seed: u64, load_count: usize) {
        self.scenario = scenario;
        self.seed = seed;
        self.load_count = load_count;
        let data = scenario::build(scenario, seed, load_count, Utc::now());
        self.install(data);
    }

    /// Name lookups for rendering.
    pub fn names(&self) -> Names<'_> {
        Names {
            queues: &self.queues,
            users: &self.users,
        }
    }

    /// A user by email (case-insensitive).
    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        self.user_order
            .iter()
            .filter_map(|id| self.users.get(id))
            .find(|u| u.email.eq_ignore_ascii_case(email))
    }

    /// Conversations in creation order.
    pub fn ordered_conversations(&self) -> impl Iterator<Item = &Conversation> {
        self.conversation_order
            .iter()
            .filter_map(|id| self.conversations.get(id))
    }

    /// Queues in scenario order.
    pub fn ordered_queues(&self) -> impl Iterator<Item = &Queue> {
        self.queue_order.iter().filter_map(|id| self.queues.get(id))
    }

    /// Users in scenario order.
    pub fn ordered_users(&self) -> impl Iterator<Item = &User> {
        self.user_order.iter().filter_map(|id| self.users.get(id))
    }
}

/// State shared by every handler and background task.
pub(crate) struct Shared {
    world: Mutex<World>,
    pub config: EmulatorConfig,
    pub base_url: String,
    pub shutdown: watch::Receiver<bool>,
    pub churn: watch::Sender<f64>,
    pub rate: Mutex<crate::middleware::RateLimiter>,
}

impl Shared {
    pub fn new(config: EmulatorConfig, base_url: String, shutdown: watch::Receiver<bool>) -> Self {
        let mut world = World::new(config.scenario, config.seed, config.conversations);
        world.analytics = AnalyticsSettings::from_config(&config);
        world.transcription.set_timing(&config);
        let (churn, _) = watch::channel(config.churn_per_minute);
        Self {
            world: Mutex::new(world),
            config,
            base_url,
            shutdown,
            churn,
            rate: Mutex::new(crate::middleware::RateLimiter::default()),
        }
    }

    /// Locks the world; a poisoned lock is recovered (a panicked handler must not wedge the server).
    pub fn lock(&self) -> MutexGuard<'_, World> {
        self.world
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A user as tests see it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInfo {
    pub id: String,
    pub name: String,
    pub email: String,
    pub permissions: Vec<String>,
    pub queue_ids: Vec<String>,
}

/// A queue as tests see it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueInfo {
    pub id: String,
    pub name: String,
}

/// Counters of the event pipeline.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventStats {
    /// State changes whose snapshot was published.
    pub published: u64,
    /// Socket messages queued.
    pub delivered: u64,
    /// State changes whose events the drop_events fault swallowed.
    pub dropped: u64,
}

/// In-process handle on a running emulator's world: truth snapshots, well-known ids and the
/// same operations the control plane offers, without HTTP.
#[derive(Clone)]
pub struct WorldHandle {
    pub(crate) shared: Arc<Shared>,
}

impl WorldHandle {
    /// Every user in scenario order.
    pub fn users(&self) -> Vec<UserInfo> {
        self.shared
            .lock()
            .ordered_users()
            .map(|u| UserInfo {
                id: u.id.clone(),
                name: u.name.clone(),
                email: u.email.clone(),
                permissions: u.permissions.clone(),
                queue_ids: u.queue_ids.clone(),
            })
            .collect()
    }

    /// Every queue in scenario order.
    pub fn queues(&self) -> Vec<QueueInfo> {
        self.shared
            .lock()
            .ordered_queues()
            .map(|q| QueueInfo {
                id: q.id.clone(),
                name: q.name.clone(),
            })
            .collect()
    }

    /// The id of the user with that email.
    pub fn user_id(&self, email: &str) -> Option<String> {
        self.shared
            .lock()
            .user_by_email(email)
            .map(|u| u.id.clone())
    }

    /// The id of the queue with that name (case-insensitive).
    pub fn queue_id(&self, name: &str) -> Option<String> {
        self.shared
            .lock()
            .ordered_queues()
            .find(|q| q.name.eq_ignore_ascii_case(name))
            .map(|q| q.id.clone())
    }

    /// Truth: every conversation, ended ones included, in `CallConversation` shape plus
    /// `startTime`, `endTime`, `queueId` and `version`.
    pub fn conversations(&self) -> Vec<Value> {
        let w = self.shared.lock();
        let names = w.names();
        w.ordered_conversations()
            .map(|c| render::truth(c, &names))
            .collect()
    }

    /// Truth for one conversation.
    pub fn conversation(&self, id: &str) -> Option<Value> {
        let w = self.shared.lock();
        let names = w.names();
        w.conversations.get(id).map(|c| render::truth(c, &names))
    }

    /// Applies a state change (the same function REST and the control plane use).
    pub fn apply(&self, change: Change) -> Result<Value, ChangeError> {
        let mut w = self.shared.lock();
        let id = w.change(change)?;
        let names = w.names();
        w.conversations
            .get(&id)
            .map(|c| render::truth(c, &names))
            .ok_or(ChangeError::ConversationNotFound)
    }

    /// Starts a live call (with the ACD leg when a queue is given).
    pub fn create_call(&self, req: NewCallRequest) -> Result<Value, ChangeError> {
        self.apply(Change::Create(req))
    }

    /// A party joins a live call.
    pub fn join(&self, conversation_id: &str, party: PartyRequest) -> Result<Value, ChangeError> {
        self.apply(Change::Join {
            conversation_id: conversation_id.to_owned(),
            party,
        })
    }

    /// A party hangs up (default disconnect type `endpoint`).
    pub fn leave(
        &self,
        conversation_id: &str,
        participant_id: &str,
        disconnect_type: Option<&str>,
    ) -> Result<Value, ChangeError> {
        self.apply(Change::Leave {
            conversation_id: conversation_id.to_owned(),
            participant_id: participant_id.to_owned(),
            disconnect_type: disconnect_type.unwrap_or("endpoint").to_owned(),
        })
    }

    /// Ends a call for everyone.
    pub fn end(&self, conversation_id: &str) -> Result<Value, ChangeError> {
        self.apply(Change::End {
            conversation_id: conversation_id.to_owned(),
            disconnect_type: "endpoint".to_owned(),
        })
    }

    /// Adds a standing fault or performs an action fault; returns the standing fault.
    pub fn add_fault(&self, spec: FaultSpec) -> Result<Option<ActiveFault>, String> {
        crate::control::apply_fault(&self.shared, spec)
    }

    /// The standing faults.
    pub fn faults(&self) -> Vec<ActiveFault> {
        self.shared.lock().faults.list().to_vec()
    }

    /// Clears every standing fault.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Logged requests with a sequence number above `since`.
    pub fn requests(&self, since: u64) -> Vec<RequestRecord> {
        self.shared.lock().log.since(since)
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        self.shared.lock().log.clear();
    }

    /// Back to the loaded scenario with the same seed.
    pub fn reset(&self) {
        let mut w = self.shared.lock();
        let (s, seed, n) = (w.scenario, w.seed, w.load_count);
        w.load(s, seed, n);
        w.analytics = AnalyticsSettings::from_config(&self.shared.config);
        w.transcription.set_timing(&self.shared.config);
    }

    /// Loads another scenario.
    pub fn load_scenario(&self, scenario: ScenarioName, seed: u64, conversations: usize) {
        self.shared.lock().load(scenario, seed, conversations);
    }

    /// Sets background churn (calls per minute; 0 stops it).
    pub fn set_churn(&self, per_minute: f64) {
        self.shared.churn.send_replace(per_minute.max(0.0));
    }

    /// How many notification sockets are open now (one per channel at most).
    pub fn open_sockets(&self) -> usize {
        self.shared.lock().notifier.open_sockets()
    }

    /// Event pipeline counters.
    pub fn event_stats(&self) -> EventStats {
        let w = self.shared.lock();
        EventStats {
            published: w.events_published,
            delivered: w.events_delivered,
            dropped: w.events_dropped,
        }
    }

    /// Adds a user, or changes one found by email (e.g. a user without
    /// `analytics:conversationDetail:view` for permission tests); reset removes it again.
    pub fn upsert_user(&self, req: crate::control::UserRequest) -> Result<UserInfo, String> {
        crate::control::upsert_user(&mut self.shared.lock(), req)
    }

    /// Changes the analytics details lag and/or maximum result depth at runtime (until reset).
    pub fn set_analytics(
        &self,
        req: crate::control::AnalyticsRequest,
    ) -> Result<AnalyticsSettings, String> {
        let mut w = self.shared.lock();
        if let Some(ms) = req.lag_ms {
            if ms > 86_400_000 {
                return Err("lagMs must be at most 86400000".into());
            }
            w.analytics.lag = chrono::Duration::milliseconds(ms as i64);
        }
        if let Some(m) = req.max_results {
            if m == 0 {
                return Err("maxResults must be at least 1".into());
            }
            w.analytics.max_results = m;
        }
        Ok(w.analytics)
    }

    /// The analytics details lag and maximum result depth in force.
    pub fn analytics(&self) -> AnalyticsSettings {
        self.shared.lock().analytics
    }

    /// The transcription timing and switches in force.
    pub fn transcription(&self) -> crate::transcription::TranscriptionSettings {
        self.shared.lock().transcription.settings
    }

    /// Changes the transcription delay, heartbeat, automatic speech, licence or switch (until
    /// reset, which restores the flags' timings and the scenario's licence and switch).
    pub fn set_transcription(
        &self,
        req: &crate::transcription::TranscriptionRequest,
    ) -> Result<crate::transcription::TranscriptionSettings, String> {
        self.shared.lock().transcription.update(req)
    }

    /// A party says `text`; its transcript arrives after the delay if the call is transcribed
    /// and the party can be heard.
    pub fn speak(
        &self,
        conversation_id: &str,
        participant_id: &str,
        text: &str,
    ) -> Result<crate::transcription::SpeakOutcome, ChangeError> {
        self.shared
            .lock()
            .speak(conversation_id, participant_id, text)
    }

    /// A party falls silent (no more automatic lines) or speaks again.
    pub fn set_silent(
        &self,
        conversation_id: &str,
        participant_id: &str,
        silent: bool,
    ) -> Result<(), ChangeError> {
        self.shared
            .lock()
            .set_silent(conversation_id, participant_id, silent)
    }

    /// Registers or replaces an OAuth client (e.g. a loopback redirect URI on a random port).
    pub fn upsert_client(&self, client: crate::control::ClientRequest) -> Result<(), String> {
        crate::control::upsert_client(&mut self.shared.lock(), client)
    }
}
