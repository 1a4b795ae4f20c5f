//! Capped exponential backoff with jitter: reconnect storms from many desktops must spread out, never hammer.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The retry schedule, so tests and the admin can tune how eagerly the socket comes back.
///
/// Attempt `n` (1-based) waits a uniformly random time in
/// `[ceiling(n) * (1 - jitter), ceiling(n)]`, where `ceiling(n) = min(cap, base * 2^(n-1))`.
/// The lower bound keeps a minimum spacing even with full jitter bad luck.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BackoffPolicy {
    /// Ceiling of the first retry.
    pub base: Duration,
    /// No wait is ever longer than this.
    pub cap: Duration,
    /// Fraction of the ceiling that is randomised, clamped to `0.0..=1.0`.
    pub jitter: f64,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(60),
            jitter: 0.5,
        }
    }
}

impl BackoffPolicy {
    /// The deterministic upper bound for an attempt, exposed so tests can assert the cap and the doubling.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(31);
        let factor = 1u32 << exp;
        self.base
            .checked_mul(factor)
            .map_or(self.cap, |d| d.min(self.cap))
    }

    /// The inclusive range an attempt's delay falls into, so tests can check jitter bounds.
    pub fn bounds(&self, attempt: u32) -> (Duration, Duration) {
        let ceiling = self.ceiling(attempt);
        let jitter = self.jitter.clamp(0.0, 1.0);
        (ceiling.mul_f64(1.0 - jitter), ceiling)
    }
}

/// A backoff schedule with its own random source, so runs with a fixed seed reproduce exactly.
#[derive(Debug)]
pub struct Backoff {
    policy: BackoffPolicy,
    rng: StdRng,
}

impl Backoff {
    /// A schedule seeded from `seed` (tests) or from the OS (`None`, production).
    pub fn new(policy: BackoffPolicy, seed: Option<u64>) -> Self {
        let rng = match seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_entropy(),
        };
        Self { policy, rng }
    }

    /// The policy in use, for status labels and tests.
    pub fn policy(&self) -> &BackoffPolicy {
        &self.policy
    }

    /// How long to wait before attempt `attempt` (1-based); always within [`BackoffPolicy::bounds`].
    pub fn delay(&mut self, attempt: u32) -> Duration {
        let (low, high) = self.policy.bounds(attempt);
        if high <= low {
            return high;
        }
        let span = (high - low).as_nanos().min(u128::from(u64::MAX)) as u64;
        low + Duration::from_nanos(self.rng.gen_range(0..=span))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_then_caps() {
        let p = BackoffPolicy {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(10),
            jitter: 0.5,
        };
        let ceilings: Vec<_> = (1..=8).map(|n| p.ceiling(n).as_millis()).collect();
        assert_eq!(
            ceilings,
            vec![500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]
        );
        // Huge attempt counts neither overflow nor exceed the cap.
        assert_eq!(p.ceiling(u32::MAX), Duration::from_secs(10));
    }

    #[test]
    fn delays_stay_within_jitter_bounds_and_vary() {
        let p = BackoffPolicy::default();
        let mut b = Backoff::new(p, Some(7));
        let mut seen = std::collections::HashSet::new();
        for attempt in 1..=12 {
            for _ in 0..50 {
                let d = b.delay(attempt);
                let (low, high) = p.bounds(attempt);
                assert!(
                    d >= low && d <= high,
                    "attempt {attempt}: {d:?} not in {low:?}..={high:?}"
                );
                seen.insert(d);
            }
        }
        assert!(seen.len() > 100, "jitter should produce varied delays");
    }

    #[test]
    fn same_seed_same_schedule() {
        let p = BackoffPolicy::default();
        let a: Vec<_> = {
            let mut b = Backoff::new(p, Some(42));
            (1..10).map(|n| b.delay(n)).collect()
        };
        let mut b = Backoff::new(p, Some(42));
        let c: Vec<_> = (1..10).map(|n| b.delay(n)).collect();
        assert_eq!(a, c);
    }

    #[test]
    fn zero_jitter_is_exact_and_full_jitter_reaches_zero_floor() {
        let exact = BackoffPolicy {
            jitter: 0.0,
            ..BackoffPolicy::default()
        };
        assert_eq!(
            Backoff::new(exact, Some(1)).delay(3),
            Duration::from_secs(4)
        );
        let full = BackoffPolicy {
            jitter: 1.0,
            ..BackoffPolicy::default()
        };
        assert_eq!(full.bounds(3), (Duration::ZERO, Duration::from_secs(4)));
        let silly = BackoffPolicy {
            jitter: 7.0,
            ..BackoffPolicy::default()
        };
        assert_eq!(silly.bounds(1).0, Duration::ZERO, "jitter is clamped");
    }
}
