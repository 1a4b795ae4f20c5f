//! The one retry layer.
//!
//! - 429: the request did nothing, so it is retried for every method, after `Retry-After` (or a backoff).
//! - 5xx (except 501) and connection failures: retried with exponential backoff and jitter, for reads only.
//!   A PATCH or DELETE is never repeated: the server may already have acted.
//! - Bounded by a number of attempts and by the total time spent waiting; a wait that would exceed
//!   the budget is not started, the error is returned with `retry_after` so the caller can tell the user.

use std::future::Future;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::route::RetryClass;

/// Limits of the retry layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included (1 disables retries).
    pub max_attempts: u32,
    /// Most time spent sleeping between attempts of one request.
    pub max_total_wait: Duration,
    /// First backoff step (doubled each retry).
    pub base_delay: Duration,
    /// Cap of one backoff step.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            max_total_wait: Duration::from_secs(30),
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// No retries at all (tests that must see the first failure).
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Backoff before retry number `retry` (1-based): `step/2 + jitter*step/2` with `step = base*2^(retry-1)`
    /// capped at `max_delay` ("equal jitter": never below half a step, spreads clients apart).
    pub fn backoff(&self, retry: u32, jitter: f64) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        let step = self.base_delay.saturating_mul(factor).min(self.max_delay);
        let jitter = jitter.clamp(0.0, 1.0);
        step / 2 + step.mul_f64(jitter) / 2
    }
}

/// What one attempt produced, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// An HTTP response with this status and `Retry-After`.
    Status {
        /// HTTP status.
        status: u16,
        /// Parsed `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// No response (connect failure, timeout, broken body).
    Transport,
}

/// The decision after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Sleep this long, then try again.
    RetryAfter(Duration),
    /// Return the failure.
    GiveUp,
}

/// Pure decision: `attempts_done` attempts were made, `waited` is the time slept so far.
pub fn decide(
    policy: &RetryPolicy,
    class: RetryClass,
    attempts_done: u32,
    waited: Duration,
    signal: Signal,
    jitter: f64,
) -> Decision {
    if attempts_done >= policy.max_attempts {
        return Decision::GiveUp;
    }
    let delay = match signal {
        Signal::Status {
            status: 429,
            retry_after,
        } => retry_after.unwrap_or_else(|| policy.backoff(attempts_done, jitter)),
        Signal::Status {
            status,
            retry_after,
        } if (500..=599).contains(&status) && status != 501 => {
            if class != RetryClass::Read {
                return Decision::GiveUp;
            }
            let backoff = policy.backoff(attempts_done, jitter);
            retry_after.map_or(backoff, |after| after.max(backoff))
        }
        Signal::Transport if class == RetryClass::Read => policy.backoff(attempts_done, jitter),
        _ => return Decision::GiveUp,
    };
    if waited.saturating_add(delay) > policy.max_total_wait {
        return Decision::GiveUp;
    }
    Decision::RetryAfter(delay)
}

/// Implemented by attempt results so the executor can ask whether to retry.
pub trait Retryable {
    /// `None` when the attempt is final (success, or an error retrying cannot fix).
    fn signal(&self) -> Option<Signal>;
}

/// Runs `attempt` under `policy`. Returns the last result and the number of attempts made.
/// Sleeps with `tokio::time`, so tests can run it in paused time.
pub async fn run<R, F, Fut>(
    policy: &RetryPolicy,
    class: RetryClass,
    route: &'static str,
    mut attempt: F,
) -> (R, u32)
where
    R: Retryable,
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = R>,
{
    let mut waited = Duration::ZERO;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let result = attempt(attempts).await;
        let Some(signal) = result.signal() else {
            return (result, attempts);
        };
        match decide(
            policy,
            class,
            attempts,
            waited,
            signal,
            rand::random::<f64>(),
        ) {
            Decision::GiveUp => return (result, attempts),
            Decision::RetryAfter(delay) => {
                tracing::warn!(
                    route,
                    attempt = attempts,
                    ?signal,
                    delay_ms = delay.as_millis() as u64,
                    "retrying"
                );
                tokio::time::sleep(delay).await;
                waited += delay;
            }
        }
    }
}

/// Parses `Retry-After`: integer seconds (what Genesys sends) or an HTTP date.
pub fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = text.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs.min(86_400.0)));
    }
    let when = chrono::DateTime::parse_from_rfc2822(text).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// The latest `inin-ratelimit-*` headers seen, so the app can slow down before a 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitSnapshot {
    /// `inin-ratelimit-allowed`: requests allowed per window.
    pub allowed: Option<u64>,
    /// `inin-ratelimit-count`: requests used in the window.
    pub count: Option<u64>,
    /// `inin-ratelimit-reset`: seconds until the window resets.
    pub reset: Option<u64>,
    /// When these headers were read.
    pub observed_at: Instant,
}

impl RateLimitSnapshot {
    /// Reads the headers; `None` when none of them is present.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let read = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|s| s.trim().parse().ok())
        };
        let snapshot = Self {
            allowed: read("inin-ratelimit-allowed"),
            count: read("inin-ratelimit-count"),
            reset: read("inin-ratelimit-reset"),
            observed_at: Instant::now(),
        };
        (snapshot.allowed.is_some() || snapshot.count.is_some() || snapshot.reset.is_some())
            .then_some(snapshot)
    }

    /// Requests left in the window, when both numbers are known.
    pub fn remaining(&self) -> Option<u64> {
        Some(self.allowed?.saturating_sub(self.count?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use std::sync::{Arc, Mutex};

    const READ: RetryClass = RetryClass::Read;
    const WRITE: RetryClass = RetryClass::Write;

    fn status(status: u16, retry_after: Option<u64>) -> Signal {
        Signal::Status {
            status,
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    #[test]
    fn rate_limit_is_retried_for_every_method_after_retry_after() {
        let p = RetryPolicy::default();
        for class in [READ, WRITE] {
            assert_eq!(
                decide(&p, class, 1, Duration::ZERO, status(429, Some(3)), 0.5),
                Decision::RetryAfter(Duration::from_secs(3))
            );
        }
    }

    #[test]
    fn server_errors_are_retried_for_reads_only() {
        let p = RetryPolicy::default();
        assert!(matches!(
            decide(&p, READ, 1, Duration::ZERO, status(503, None), 0.0),
            Decision::RetryAfter(_)
        ));
        assert_eq!(
            decide(&p, WRITE, 1, Duration::ZERO, status(503, None), 0.0),
            Decision::GiveUp
        );
        assert_eq!(
            decide(&p, WRITE, 1, Duration::ZERO, status(500, None), 0.0),
            Decision::GiveUp
        );
        assert_eq!(
            decide(&p, READ, 1, Duration::ZERO, status(501, None), 0.0),
            Decision::GiveUp
        );
        assert!(matches!(
            decide(&p, READ, 1, Duration::ZERO, Signal::Transport, 0.0),
            Decision::RetryAfter(_)
        ));
        assert_eq!(
            decide(&p, WRITE, 1, Duration::ZERO, Signal::Transport, 0.0),
            Decision::GiveUp
        );
    }

    #[test]
    fn client_errors_are_final() {
        let p = RetryPolicy::default();
        for s in [400, 401, 403, 404, 409] {
            assert_eq!(
                decide(&p, READ, 1, Duration::ZERO, status(s, None), 0.0),
                Decision::GiveUp,
                "{s}"
            );
        }
    }

    #[test]
    fn budget_limits_attempts_and_wait() {
        let p = RetryPolicy {
            max_attempts: 3,
            max_total_wait: Duration::from_secs(10),
            ..RetryPolicy::default()
        };
        assert_eq!(
            decide(&p, READ, 3, Duration::ZERO, status(503, None), 0.0),
            Decision::GiveUp
        );
        assert_eq!(
            decide(&p, WRITE, 1, Duration::ZERO, status(429, Some(11)), 0.0),
            Decision::GiveUp
        );
        assert_eq!(
            decide(
                &p,
                WRITE,
                1,
                Duration::from_secs(8),
                status(429, Some(3)),
                0.0
            ),
            Decision::GiveUp
        );
        assert_eq!(
            decide(
                &p,
                WRITE,
                1,
                Duration::from_secs(7),
                status(429, Some(3)),
                0.0
            ),
            Decision::RetryAfter(Duration::from_secs(3))
        );
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            ..RetryPolicy::default()
        };
        assert_eq!(p.backoff(1, 0.0), Duration::from_millis(50));
        assert_eq!(p.backoff(1, 1.0), Duration::from_millis(100));
        assert_eq!(p.backoff(2, 0.0), Duration::from_millis(100));
        assert_eq!(p.backoff(3, 1.0), Duration::from_millis(400));
        assert_eq!(p.backoff(10, 1.0), Duration::from_millis(1000));
        assert_eq!(
            p.backoff(40, 0.0),
            Duration::from_millis(500),
            "no overflow"
        );
        // 503 with a Retry-After longer than the backoff waits for the Retry-After.
        assert_eq!(
            decide(&p, READ, 1, Duration::ZERO, status(503, Some(2)), 0.0),
            Decision::RetryAfter(Duration::from_secs(2))
        );
    }

    #[test]
    fn retry_after_parsing() {
        let mut h = HeaderMap::new();
        assert_eq!(parse_retry_after(&h), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("1.5"));
        assert_eq!(parse_retry_after(&h), Some(Duration::from_millis(1500)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(
            parse_retry_after(&h),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&h), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("-3"));
        assert_eq!(parse_retry_after(&h), None);
    }

    #[test]
    fn rate_limit_headers() {
        let mut h = HeaderMap::new();
        assert!(RateLimitSnapshot::from_headers(&h).is_none());
        h.insert("inin-ratelimit-allowed", HeaderValue::from_static("300"));
        h.insert("inin-ratelimit-count", HeaderValue::from_static("12"));
        h.insert("inin-ratelimit-reset", HeaderValue::from_static("41"));
        let s = RateLimitSnapshot::from_headers(&h).unwrap();
        assert_eq!(
            (s.allowed, s.count, s.reset, s.remaining()),
            (Some(300), Some(12), Some(41), Some(288))
        );
    }

    /// A scripted attempt result for executor tests.
    #[derive(Debug, Clone, Copy, PartialEq)]
    struct Fake(Option<Signal>);

    impl Retryable for Fake {
        fn signal(&self) -> Option<Signal> {
            self.0
        }
    }

    fn script(
        outcomes: Vec<Option<Signal>>,
    ) -> (
        Arc<Mutex<Vec<tokio::time::Instant>>>,
        impl FnMut(u32) -> std::future::Ready<Fake>,
    ) {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let seen = calls.clone();
        let f = move |n: u32| {
            seen.lock().unwrap().push(tokio::time::Instant::now());
            let idx = (n as usize - 1).min(outcomes.len() - 1);
            std::future::ready(Fake(outcomes[idx]))
        };
        (calls, f)
    }

    #[tokio::test(start_paused = true)]
    async fn executor_honours_retry_after_exactly() {
        let (calls, f) = script(vec![
            Some(status(429, Some(5))),
            Some(status(429, Some(2))),
            None,
        ]);
        let start = tokio::time::Instant::now();
        let (result, attempts) = run(&RetryPolicy::default(), WRITE, "t", f).await;
        assert_eq!(result, Fake(None));
        assert_eq!(attempts, 3);
        let times = calls.lock().unwrap().clone();
        assert_eq!(times[1] - start, Duration::from_secs(5));
        assert_eq!(times[2] - start, Duration::from_secs(7));
    }

    #[tokio::test(start_paused = true)]
    async fn executor_backs_off_exponentially_for_reads() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_attempts: 4,
            ..RetryPolicy::default()
        };
        let (calls, f) = script(vec![
            Some(status(503, None)),
            Some(status(502, None)),
            Some(Signal::Transport),
            None,
        ]);
        let (_, attempts) = run(&p, READ, "t", f).await;
        assert_eq!(attempts, 4);
        let t = calls.lock().unwrap().clone();
        let gaps: Vec<Duration> = t.windows(2).map(|w| w[1] - w[0]).collect();
        // Equal jitter: each gap lies in [step/2, step] with step 200ms, 400ms, 800ms.
        for (gap, step) in gaps.iter().zip([200u64, 400, 800]) {
            assert!(
                *gap >= Duration::from_millis(step / 2) && *gap <= Duration::from_millis(step),
                "gap {gap:?} for step {step}ms"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn executor_never_repeats_a_failed_write() {
        let (calls, f) = script(vec![Some(status(503, None)), None]);
        let (result, attempts) = run(&RetryPolicy::default(), WRITE, "t", f).await;
        assert_eq!(attempts, 1);
        assert_eq!(result, Fake(Some(status(503, None))));
        assert_eq!(calls.lock().unwrap().len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn executor_stops_at_max_attempts_and_budget() {
        let (calls, f) = script(vec![Some(status(429, Some(1)))]);
        let p = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        let start = tokio::time::Instant::now();
        let (_, attempts) = run(&p, WRITE, "t", f).await;
        assert_eq!(attempts, 3);
        assert_eq!(calls.lock().unwrap().len(), 3);
        assert_eq!(tokio::time::Instant::now() - start, Duration::from_secs(2));

        let (calls, f) = script(vec![Some(status(429, Some(20)))]);
        let p = RetryPolicy {
            max_total_wait: Duration::from_secs(30),
            ..RetryPolicy::default()
        };
        let start = tokio::time::Instant::now();
        let (_, attempts) = run(&p, READ, "t", f).await;
        assert_eq!(
            attempts, 2,
            "the second 20 s wait would exceed the 30 s budget"
        );
        assert_eq!(calls.lock().unwrap().len(), 2);
        assert_eq!(tokio::time::Instant::now() - start, Duration::from_secs(20));
    }
}
