//! One request budget per session: background reads are paced to a share of the token's rate limit
//! so people's actions (drop, mute, hold and their confirming re-reads) always find room.
//!
//! The platform allows about 300 requests per minute per token (`inin-ratelimit-allowed`; see
//! docs/genesys-api.md, "Rate limits"). The budget keeps a sliding log of the requests this session
//! sent in the last window and admits them by [`Priority`]:
//!
//! - [`Priority::Interactive`] is never held back (a person is waiting); it is still counted.
//! - [`Priority::Background`] (snapshot sweeps, resyncs, channel set-up) is admitted while the
//!   session's requests in the window stay under `background_share` of the limit, and the
//!   platform's own count (`inin-ratelimit-count` before `inin-ratelimit-reset`) agrees.
//! - [`Priority::Idle`] (filling in details the board can live without) has a smaller share, so a
//!   resync sweep never waits behind it.
//!
//! A 429 pauses every background and idle request for `Retry-After` (or `default_pause`): one
//! refusal stops the whole background, not one request, so the allowance is not burnt retrying.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use crate::retry::RateLimitSnapshot;

/// Who a request is for; decides whether it may wait for room in the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Priority {
    /// A person is waiting (an action, its confirming read, a screen they opened): never paced.
    Interactive,
    /// Keeps the board complete (snapshot pages, resync, channels): paced to the background share.
    Background,
    /// Nice to have (detail fill-in reads): paced to the smaller idle share.
    Idle,
}

impl Priority {
    fn index(self) -> usize {
        match self {
            Priority::Interactive => 0,
            Priority::Background => 1,
            Priority::Idle => 2,
        }
    }
}

/// The budget's tunables.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetConfig {
    /// Requests per window assumed until a response says (`inin-ratelimit-allowed`).
    pub assumed_limit: u32,
    /// Share of the limit background requests may bring the window to (0..=1; default 0.5).
    pub background_share: f64,
    /// Share of the limit idle requests may bring the window to (default 0.3).
    pub idle_share: f64,
    /// The platform's counting window.
    pub window: Duration,
    /// How long background work pauses after a 429 that carried no `Retry-After`.
    pub default_pause: Duration,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        Self {
            assumed_limit: 300,
            background_share: 0.5,
            idle_share: 0.3,
            window: Duration::from_secs(60),
            default_pause: Duration::from_secs(10),
        }
    }
}

impl BudgetConfig {
    /// A budget that never holds anything back (unit tests of unrelated behaviour).
    pub fn unlimited() -> Self {
        Self {
            assumed_limit: u32::MAX,
            background_share: 1.0,
            idle_share: 1.0,
            ..Self::default()
        }
    }
}

/// What the budget has done, for status lines, benchmarks and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BudgetStats {
    /// Requests sent, by priority: interactive, background, idle.
    pub sent: [u64; 3],
    /// 429 answers seen, by the priority of the refused request.
    pub refused: [u64; 3],
    /// Requests in the current window (all priorities).
    pub in_window: u32,
    /// The limit per window in force (from the headers, else assumed).
    pub limit: u32,
    /// Milliseconds background work stays paused after a 429 (0 when not paused).
    pub paused_for_ms: u64,
}

impl BudgetStats {
    /// Every request sent.
    pub fn total_sent(&self) -> u64 {
        self.sent.iter().sum()
    }

    /// Every 429 seen.
    pub fn total_refused(&self) -> u64 {
        self.refused.iter().sum()
    }
}

struct State {
    sent_at: VecDeque<Instant>,
    limit: u32,
    /// The platform's count and when its window resets, from the last response's headers.
    server: Option<(u64, Instant)>,
    paused_until: Option<Instant>,
    stats: BudgetStats,
}

/// The pacing state of one session's token; shared by every clone of a client.
pub struct Budget {
    config: BudgetConfig,
    state: Mutex<State>,
}

impl std::fmt::Debug for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budget")
            .field("config", &self.config)
            .field("stats", &self.stats())
            .finish()
    }
}

impl Budget {
    /// A fresh budget.
    pub fn new(config: BudgetConfig) -> Self {
        let limit = config.assumed_limit;
        Self {
            config,
            state: Mutex::new(State {
                sent_at: VecDeque::new(),
                limit,
                server: None,
                paused_until: None,
                stats: BudgetStats::default(),
            }),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &BudgetConfig {
        &self.config
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn prune(&self, state: &mut State, now: Instant) {
        while state
            .sent_at
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= self.config.window)
        {
            state.sent_at.pop_front();
        }
        if state.server.is_some_and(|(_, reset)| reset <= now) {
            state.server = None;
        }
        if state.paused_until.is_some_and(|until| until <= now) {
            state.paused_until = None;
        }
    }

    fn cap(&self, limit: u32, priority: Priority) -> u64 {
        let share = match priority {
            Priority::Interactive => return u64::MAX,
            Priority::Background => self.config.background_share,
            Priority::Idle => self.config.idle_share,
        };
        ((f64::from(limit) * share.clamp(0.0, 1.0)).floor() as u64).max(1)
    }

    /// `None` when a request of `priority` may go now, else how long to wait before asking again.
    fn admit(&self, state: &mut State, priority: Priority, now: Instant) -> Option<Duration> {
        self.prune(state, now);
        if priority == Priority::Interactive {
            return None;
        }
        if let Some(until) = state.paused_until {
            return Some(until - now);
        }
        let cap = self.cap(state.limit, priority);
        let mut wait: Option<Duration> = None;
        if state.sent_at.len() as u64 >= cap {
            // Room returns when enough of the oldest requests leave the window.
            let excess = state.sent_at.len() - cap as usize;
            let oldest = state.sent_at[excess];
            wait = Some((oldest + self.config.window).saturating_duration_since(now));
        }
        if let Some((count, reset)) = state.server {
            if count >= cap {
                let until_reset = reset.saturating_duration_since(now);
                wait = Some(wait.map_or(until_reset, |w| w.max(until_reset)));
            }
        }
        wait.map(|w| w.max(Duration::from_millis(5)))
    }

    /// Waits until a request of `priority` may be sent, then counts it as sent.
    pub async fn acquire(&self, priority: Priority) {
        loop {
            let wait = {
                let mut state = self.lock();
                let now = Instant::now();
                match self.admit(&mut state, priority, now) {
                    None => {
                        state.sent_at.push_back(now);
                        if let Some((count, _)) = state.server.as_mut() {
                            *count += 1;
                        }
                        state.stats.sent[priority.index()] += 1;
                        return;
                    }
                    Some(wait) => wait,
                }
            };
            // Re-check at least every second: a header or a pause may change the answer.
            tokio::time::sleep(wait.min(Duration::from_secs(1))).await;
        }
    }

    /// True when a request of `priority` would be sent at once (no waiting).
    pub fn would_admit(&self, priority: Priority) -> bool {
        let mut state = self.lock();
        self.admit(&mut state, priority, Instant::now()).is_none()
    }

    /// Learns the platform's view from a response's `inin-ratelimit-*` headers.
    pub fn observe(&self, headers: &RateLimitSnapshot) {
        let mut state = self.lock();
        if let Some(allowed) = headers.allowed {
            state.limit = u32::try_from(allowed).unwrap_or(u32::MAX).max(1);
        }
        if let (Some(count), Some(reset)) = (headers.count, headers.reset) {
            let reset_at = Instant::now() + Duration::from_secs(reset);
            state.server = Some((count, reset_at));
        }
    }

    /// A 429 arrived: background and idle work pause for `retry_after` (or the default pause).
    pub fn refused(&self, priority: Priority, retry_after: Option<Duration>) {
        let mut state = self.lock();
        let now = Instant::now();
        let pause = retry_after
            .unwrap_or(self.config.default_pause)
            .max(Duration::from_millis(100));
        let until = now + pause;
        if state.paused_until.is_none_or(|u| u < until) {
            state.paused_until = Some(until);
        }
        state.stats.refused[priority.index()] += 1;
        tracing::warn!(
            ?priority,
            pause_ms = pause.as_millis() as u64,
            "rate limited: background requests paused"
        );
    }

    /// Counts so far and the current window.
    pub fn stats(&self) -> BudgetStats {
        let mut state = self.lock();
        let now = Instant::now();
        self.prune(&mut state, now);
        let mut stats = state.stats;
        stats.in_window = u32::try_from(state.sent_at.len()).unwrap_or(u32::MAX);
        stats.limit = state.limit;
        stats.paused_for_ms = state.paused_until.map_or(0, |u| {
            u64::try_from(u.saturating_duration_since(now).as_millis()).unwrap_or(u64::MAX)
        });
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(limit: u32) -> BudgetConfig {
        BudgetConfig {
            assumed_limit: limit,
            ..BudgetConfig::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn background_stops_at_its_share_and_resumes_as_the_window_slides() {
        let budget = Budget::new(config(10));
        for _ in 0..5 {
            budget.acquire(Priority::Background).await;
        }
        assert!(!budget.would_admit(Priority::Background), "half of 10 used");
        assert!(budget.would_admit(Priority::Interactive));
        let start = Instant::now();
        budget.acquire(Priority::Background).await;
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_secs(59) && waited <= Duration::from_secs(61),
            "waited {waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn interactive_never_waits_and_counts_against_background() {
        let budget = Budget::new(config(10));
        for _ in 0..8 {
            budget.acquire(Priority::Interactive).await;
        }
        assert_eq!(budget.stats().sent, [8, 0, 0]);
        assert!(!budget.would_admit(Priority::Background));
        assert!(!budget.would_admit(Priority::Idle));
        budget.acquire(Priority::Interactive).await;
        assert_eq!(budget.stats().in_window, 9);
    }

    #[tokio::test(start_paused = true)]
    async fn idle_has_a_smaller_share_than_background() {
        let budget = Budget::new(config(100));
        for _ in 0..30 {
            budget.acquire(Priority::Idle).await;
        }
        assert!(!budget.would_admit(Priority::Idle));
        assert!(budget.would_admit(Priority::Background));
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_pauses_all_background_work_for_retry_after() {
        let budget = Budget::new(config(300));
        budget.refused(Priority::Background, Some(Duration::from_secs(7)));
        assert!(!budget.would_admit(Priority::Background));
        assert!(!budget.would_admit(Priority::Idle));
        assert!(budget.would_admit(Priority::Interactive));
        assert!(budget.stats().paused_for_ms > 6_000);
        let start = Instant::now();
        budget.acquire(Priority::Idle).await;
        assert!(start.elapsed() >= Duration::from_secs(7));
        assert_eq!(budget.stats().refused, [0, 1, 0]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_without_retry_after_pauses_for_the_default() {
        let budget = Budget::new(config(300));
        budget.refused(Priority::Idle, None);
        let start = Instant::now();
        budget.acquire(Priority::Background).await;
        assert!(start.elapsed() >= BudgetConfig::default().default_pause);
    }

    #[tokio::test(start_paused = true)]
    async fn the_platforms_count_is_respected_until_its_window_resets() {
        let budget = Budget::new(config(300));
        // Another client of the same token used most of the window.
        budget.observe(&RateLimitSnapshot {
            allowed: Some(300),
            count: Some(200),
            reset: Some(20),
            observed_at: std::time::Instant::now(),
        });
        assert!(!budget.would_admit(Priority::Background));
        let start = Instant::now();
        budget.acquire(Priority::Background).await;
        let waited = start.elapsed();
        assert!(waited >= Duration::from_secs(19) && waited <= Duration::from_secs(21));
    }

    #[tokio::test(start_paused = true)]
    async fn the_limit_follows_the_allowed_header() {
        let budget = Budget::new(config(300));
        budget.observe(&RateLimitSnapshot {
            allowed: Some(4),
            count: None,
            reset: None,
            observed_at: std::time::Instant::now(),
        });
        budget.acquire(Priority::Background).await;
        budget.acquire(Priority::Background).await;
        assert!(!budget.would_admit(Priority::Background));
        assert_eq!(budget.stats().limit, 4);
    }
}
