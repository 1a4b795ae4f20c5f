//! Shared helpers for the end-to-end tests in `tests/tests/*.rs`: the emulator in-process on
//! 127.0.0.1:0 (real HTTP and WebSocket), sign-in through its real OAuth endpoints, and the
//! supervisor-core roster and actions wired the way the desktop app wires them.
//!
//! Every wait is bounded; the timers are short (heartbeats 250 ms, PATCHes applied after 30 ms) so
//! the whole suite stays well under two minutes.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use genesys_client::{Client, Environment, RetryPolicy, StaticToken, TokenSource};
use genesys_emulator::test_support::{self, ControlClient, FaultSpec};
use genesys_emulator::{EmulatorConfig, RunningEmulator, SUPERVISOR_EMAIL};
use genesys_model::{AccessToken, QueueId};
use genesys_notify::{BackoffPolicy, NotifyConfig};
use serde_json::Value;
use supervisor_core::actions::{Actions, ActionsConfig};
use supervisor_core::audit::AuditLog;
use supervisor_core::roster::{Roster, RosterConfig};

pub mod scale;

pub use genesys_emulator;
pub use serde_json;

/// Emulator settings for tests: fast PATCHes and heartbeats, no rate limit unless a test adds one.
pub fn emulator_config() -> EmulatorConfig {
    EmulatorConfig {
        seed: 7,
        patch_delay: Duration::from_millis(30),
        heartbeat: Duration::from_millis(250),
        rate_limit_per_minute: 1_000_000,
        analytics_lag: ANALYTICS_LAG,
        ..EmulatorConfig::default()
    }
}

/// How far the test emulator's analytics lag the truth (the platform's is seconds; tests keep it
/// short and tell the roster the same figure).
pub const ANALYTICS_LAG: Duration = Duration::from_millis(200);

/// Roster settings matching [`emulator_config`]: sweeps wait out the emulator's analytics lag.
pub fn roster_config() -> RosterConfig {
    RosterConfig {
        analytics_lag: ANALYTICS_LAG + Duration::from_millis(50),
        ..RosterConfig::default()
    }
}

/// Notification client settings matching [`emulator_config`]: a dead socket is noticed within a
/// second and reconnects back off for at most half a second.
pub fn notify_config() -> NotifyConfig {
    NotifyConfig {
        heartbeat_interval: Duration::from_millis(250),
        missed_heartbeats: 4,
        ping_interval: Duration::from_millis(500),
        backoff: BackoffPolicy {
            base: Duration::from_millis(50),
            cap: Duration::from_millis(500),
            jitter: 0.5,
        },
        stable_after: Duration::ZERO,
        jitter_seed: Some(11),
        request_timeout: Duration::from_secs(5),
        ..NotifyConfig::default()
    }
}

/// Verification settings for tests: a late event triggers the re-read after 400 ms, the outcome
/// is `NotConfirmed` after 1.5 s.
pub fn actions_config() -> ActionsConfig {
    ActionsConfig {
        confirm_timeout: Duration::from_millis(1_500),
        reread_after: Duration::from_millis(400),
        ..ActionsConfig::default()
    }
}

/// A retry policy that keeps 429 storms short in tests (Retry-After 1 s, at most ~2 s of waiting).
pub fn retry_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        max_total_wait: Duration::from_millis(2_500),
        base_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(500),
    }
}

/// An emulator with an HTTP client for its control plane and a folder for audit logs.
pub struct Rig {
    /// The running emulator (dropped with the rig).
    pub emu: RunningEmulator,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Control-plane and OAuth client (no redirects followed, no proxy).
    pub http: reqwest::Client,
    /// The emulator's typed control plane.
    pub control: ControlClient,
    /// Audit logs and other files of this test.
    pub dir: tempfile::TempDir,
}

impl Rig {
    /// Starts the emulator with [`emulator_config`].
    pub async fn start() -> Self {
        Self::start_with(emulator_config()).await
    }

    /// Starts the emulator with a custom configuration.
    pub async fn start_with(config: EmulatorConfig) -> Self {
        let emu = genesys_emulator::start(config)
            .await
            .expect("emulator starts");
        let base = emu.base_url();
        let http = test_support::http_client();
        let control = ControlClient::with_http(http.clone(), &base);
        let dir = tempfile::tempdir().expect("temp dir");
        Self {
            emu,
            base,
            http,
            control,
            dir,
        }
    }

    /// The environment pointing at the emulator.
    pub fn environment(&self) -> Environment {
        Environment::custom(&self.base).expect("loopback environment")
    }

    /// Signs `email` in with the demo confidential client (code flow; the emulator approves the
    /// `login_hint` user at once) and returns the access token.
    pub async fn token(&self, email: &str) -> AccessToken {
        AccessToken::new(test_support::sign_in(&self.http, &self.base, email).await)
    }

    /// A REST client over a fixed token, with [`retry_policy`].
    pub fn client(&self, token: &AccessToken) -> Client {
        self.client_with(StaticToken::from(token.clone()))
    }

    /// A REST client over any token source, with [`retry_policy`].
    pub fn client_with(&self, tokens: impl TokenSource + 'static) -> Client {
        Client::builder(self.environment())
            .token_source(tokens)
            .retry_policy(retry_policy())
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client")
    }

    /// Every queue id of the org, sorted.
    pub fn all_queues(&self) -> Vec<QueueId> {
        let mut q: Vec<QueueId> = self
            .emu
            .world()
            .queues()
            .into_iter()
            .map(|q| QueueId::new(q.id))
            .collect();
        q.sort();
        q
    }

    /// A queue id by name.
    pub fn queue(&self, name: &str) -> QueueId {
        QueueId::new(self.emu.world().queue_id(name).expect("queue"))
    }

    /// A user id by email.
    pub fn user(&self, email: &str) -> String {
        self.emu.world().user_id(email).expect("user")
    }

    /// A roster on `queues` over `client`, started the way the app starts it.
    pub fn roster(&self, client: Client, queues: Vec<QueueId>) -> Roster {
        Roster::connect(client, queues, notify_config(), roster_config())
    }

    /// A roster on every queue signed in as the supervisor, waited on until trusted, and the
    /// supervisor's REST client it runs on (actions take the client from here, as the app hands
    /// it to them, never from the roster).
    pub async fn supervisor_roster(&self) -> (Roster, Client) {
        let token = self.token(SUPERVISOR_EMAIL).await;
        let client = self.client(&token);
        let roster = self.roster(client.clone(), self.all_queues());
        assert!(
            roster.wait_until_trusted(Duration::from_secs(10)).await,
            "roster trusted: {:?}",
            roster.status()
        );
        // Tests count requests: let the detail fill-in finish before they start.
        assert!(
            wait_full_detail(&roster, Duration::from_secs(10)).await,
            "roster fully detailed: {:?}",
            roster.status().completeness
        );
        (roster, client)
    }

    /// An audit log file in the rig's folder.
    pub fn audit_log(&self, name: &str) -> AuditLog {
        AuditLog::open(self.dir.path().join(name)).expect("audit log")
    }

    /// Actions for the roster's user over `client` (reads `users/me?expand=authorization`).
    pub async fn actions(&self, client: &Client, roster: &Roster, audit: &str) -> Actions {
        Actions::new(
            client.clone(),
            roster.clone(),
            self.audit_log(audit),
            actions_config(),
        )
        .await
        .expect("actions")
    }

    /// Adds a fault (or runs a fault action) through the control plane.
    pub async fn fault(&self, fault: &FaultSpec) {
        self.control.fault(fault).await;
    }

    /// Clears standing faults.
    pub async fn clear_faults(&self) {
        self.control.clear_faults().await;
    }

    /// Sets the background churn (calls per minute of changes).
    pub async fn churn(&self, per_minute: f64) {
        self.control.set_churn(per_minute).await;
    }

    /// The emulator's truth over the control plane (`GET /_emulator/conversations`).
    pub async fn truth(&self) -> Vec<Value> {
        self.control.conversations(false).await
    }

    /// Requests the emulator logged (method, path, status), after sequence `since`.
    pub fn requests(&self, since: u64) -> Vec<(String, String, u16)> {
        self.emu
            .world()
            .requests(since)
            .into_iter()
            .map(|r| (r.method, r.path, r.status))
            .collect()
    }

    /// The last request sequence number (for "nothing was sent after this point").
    pub fn request_seq(&self) -> u64 {
        self.emu.world().requests(0).last().map_or(0, |r| r.seq)
    }

    /// PATCHes to participant paths after `since`: (path, status, body).
    pub fn participant_patches(&self, since: u64) -> Vec<(String, u16, Option<Value>)> {
        self.emu
            .world()
            .requests(since)
            .into_iter()
            .filter(|r| r.method == "PATCH" && r.path.contains("/participants/"))
            .map(|r| (r.path, r.status, r.body))
            .collect()
    }

    /// GETs of one conversation after `since` (the confirmation re-reads).
    pub fn conversation_reads(&self, since: u64, conversation: &str) -> usize {
        self.requests(since)
            .into_iter()
            .filter(|(m, p, _)| m == "GET" && p.ends_with(conversation))
            .count()
    }
}

/// Waits until every call on the board is fully known (the idle fill-in reads are done).
pub async fn wait_full_detail(roster: &Roster, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let snapshot = roster.snapshot();
        if snapshot.status.completeness.is_complete()
            && snapshot.conversations.iter().all(|c| c.full_detail)
        {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the roster's record of `conversation` satisfies `f` (or it is absent and `f(None)`).
pub async fn wait_record(
    roster: &Roster,
    conversation: &str,
    within: Duration,
    f: impl Fn(Option<&supervisor_core::roster::ConversationRecord>) -> bool,
) -> bool {
    let id = genesys_model::ConversationId::new(conversation);
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if f(roster.conversation(&id).as_deref()) {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One leg as compared: state, and for live legs muted and held (`None`: not known yet).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LegFacts {
    /// State text (empty when not known).
    pub state: String,
    /// Whether the leg is on the call.
    pub live: bool,
    /// Muted (live legs only; ended legs compare as false).
    pub muted: Option<bool>,
    /// Held (live legs only).
    pub held: Option<bool>,
}

impl LegFacts {
    /// True when every fact this leg knows agrees with `truth` (unknown facts agree with anything).
    pub fn agrees_with(&self, truth: &LegFacts) -> bool {
        self.live == truth.live
            && (self.state.is_empty() || self.state == truth.state)
            && (self.muted.is_none() || self.muted == truth.muted)
            && (self.held.is_none() || self.held == truth.held)
    }
}

/// Conversation id -> participant id -> facts.
pub type Board = BTreeMap<String, BTreeMap<String, LegFacts>>;

fn is_live_state(state: &str) -> bool {
    !matches!(state, "disconnected" | "terminated" | "none" | "")
}

/// The truth's active conversations touching `queues`, as a [`Board`].
pub fn truth_board(truth: &[Value], queues: &[QueueId]) -> Board {
    let queues: BTreeSet<&str> = queues.iter().map(QueueId::as_str).collect();
    let mut board = Board::new();
    for c in truth {
        if c.get("endTime").is_some_and(|t| !t.is_null()) {
            continue;
        }
        let parts = c["participants"].as_array().cloned().unwrap_or_default();
        let on_queue = c["queueId"].as_str().is_some_and(|q| queues.contains(q))
            || parts.iter().any(|p| {
                p["queue"]["id"]
                    .as_str()
                    .is_some_and(|q| queues.contains(q))
            });
        if !on_queue {
            continue;
        }
        let legs = parts
            .iter()
            .map(|p| {
                let state = p["state"].as_str().unwrap_or_default().to_owned();
                let live = is_live_state(&state);
                (
                    p["id"].as_str().unwrap_or_default().to_owned(),
                    LegFacts {
                        muted: Some(live && p["muted"].as_bool().unwrap_or(false)),
                        held: Some(live && p["held"].as_bool().unwrap_or(false)),
                        live,
                        state,
                    },
                )
            })
            .collect();
        board.insert(c["id"].as_str().unwrap_or_default().to_owned(), legs);
    }
    board
}

/// The roster's board in the same shape.
pub fn roster_board(roster: &Roster) -> Board {
    let mut board = Board::new();
    for c in roster.snapshot().conversations {
        let legs = c
            .all_legs()
            .map(|p| {
                let state = p
                    .state
                    .as_ref()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default();
                let live = c.live_party(&p.participant_id).is_some();
                (
                    p.participant_id.as_str().to_owned(),
                    LegFacts {
                        muted: if live { p.muted } else { Some(false) },
                        held: if live { p.held } else { Some(false) },
                        live,
                        state,
                    },
                )
            })
            .collect();
        board.insert(c.id.as_str().to_owned(), legs);
    }
    board
}

/// A readable difference between two boards (empty when equal).
pub fn board_diff(ours: &Board, truth: &Board) -> String {
    let mut out = String::new();
    for (id, legs) in truth {
        match ours.get(id) {
            None => out.push_str(&format!("missing {id}\n")),
            Some(mine) if mine != legs => {
                out.push_str(&format!("{id}: roster {mine:?}\n      truth  {legs:?}\n"))
            }
            Some(_) => {}
        }
    }
    for id in ours.keys().filter(|id| !truth.contains_key(*id)) {
        out.push_str(&format!("extra {id}\n"));
    }
    out
}

/// Like [`board_diff`], but facts the roster does not know yet (analytics data carries no state or
/// mute) are not differences; returns the difference and how many legs had unknown facts.
pub fn known_facts_diff(ours: &Board, truth: &Board) -> (String, usize) {
    let mut out = String::new();
    let mut unknown = 0;
    for (id, legs) in truth {
        match ours.get(id) {
            None => out.push_str(&format!("missing {id}\n")),
            Some(mine) => {
                for (leg, facts) in legs {
                    match mine.get(leg) {
                        None => out.push_str(&format!("{id}: missing leg {leg}\n")),
                        Some(m) if !m.agrees_with(facts) => {
                            out.push_str(&format!("{id}/{leg}: roster {m:?} truth {facts:?}\n"))
                        }
                        Some(m) => {
                            if m.state.is_empty() || m.muted.is_none() || m.held.is_none() {
                                unknown += 1;
                            }
                        }
                    }
                }
                for leg in mine.keys().filter(|l| !legs.contains_key(*l)) {
                    out.push_str(&format!("{id}: extra leg {leg}\n"));
                }
            }
        }
    }
    for id in ours.keys().filter(|id| !truth.contains_key(*id)) {
        out.push_str(&format!("extra {id}\n"));
    }
    (out, unknown)
}

/// Polls until the roster equals the truth on its queues; returns the time it took, or the last
/// difference.
pub async fn converge(rig: &Rig, roster: &Roster, within: Duration) -> Result<Duration, String> {
    let started = tokio::time::Instant::now();
    let deadline = started + within;
    loop {
        let truth = truth_board(&rig.truth().await, &roster.queues());
        let ours = roster_board(roster);
        let diff = board_diff(&ours, &truth);
        if diff.is_empty() {
            return Ok(started.elapsed());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(diff);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A live call in the truth whose non-ACD parties are all connected (or ended) and neither muted
/// nor held, with exactly (`exact`) or at least `n` of them connected: (conversation id, the
/// connected non-ACD participants as (id, purpose)).
pub async fn find_call(rig: &Rig, n: usize, exact: bool) -> (String, Vec<(String, String)>) {
    for c in rig.truth().await {
        if c.get("endTime").is_some_and(|t| !t.is_null()) {
            continue;
        }
        let people: Vec<&Value> = c["participants"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["purpose"] != "acd")
            .collect();
        let plain = people.iter().all(|p| {
            let state = p["state"].as_str().unwrap_or_default();
            !is_live_state(state)
                || (state == "connected" && p["muted"] != true && p["held"] != true)
        });
        let live: Vec<(String, String)> = people
            .iter()
            .filter(|p| p["state"] == "connected")
            .map(|p| {
                (
                    p["id"].as_str().unwrap_or_default().to_owned(),
                    p["purpose"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let fits = if exact {
            live.len() == n
        } else {
            live.len() >= n
        };
        if plain && fits {
            return (c["id"].as_str().unwrap_or_default().to_owned(), live);
        }
    }
    panic!("no plain live call with {n} connected parties in the scenario");
}

/// One truth participant by id.
pub fn truth_leg(rig: &Rig, conversation: &str, participant: &str) -> Value {
    let c = rig
        .emu
        .world()
        .conversation(conversation)
        .expect("conversation in truth");
    c["participants"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["id"] == participant)
        .cloned()
        .expect("participant in truth")
}
