//! What the analytics conversation details see: every conversation as it was `lag` ago.
//!
//! The platform's details query is near-real-time, not instant (docs/genesys-api.md,
//! "Reading many calls"): a call that
//! just started is not there yet, one that just ended still looks live, a party that just
//! joined or left still shows the old roster. `World::change` records each conversation's
//! previous state here with the time it stopped being current; a query reads the newest state
//! that was current at `now - lag`. Only that state and newer ones are kept, so memory stays
//! bounded by the changes of the last `lag`, not by the number of calls.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Duration, Utc};

use crate::model::Conversation;

/// Runtime knobs of the analytics details API (control plane `POST /_emulator/analytics`).
#[derive(Debug, Clone, Copy)]
pub struct AnalyticsSettings {
    /// How stale the details are.
    pub lag: Duration,
    /// Deepest result a details page may reach (`pageNumber * pageSize`).
    pub max_results: usize,
}

impl Default for AnalyticsSettings {
    fn default() -> Self {
        Self {
            lag: Duration::milliseconds(3000),
            max_results: 100_000,
        }
    }
}

impl AnalyticsSettings {
    /// The settings an emulator starts with (and returns to on reset).
    pub fn from_config(c: &crate::config::EmulatorConfig) -> Self {
        Self {
            lag: Duration::from_std(c.analytics_lag).unwrap_or(Duration::MAX),
            max_results: c.analytics_max_results.max(1),
        }
    }
}

/// The states one conversation went through recently.
#[derive(Debug)]
struct Timeline {
    /// Since when the world's current state of the conversation has been current
    /// (`DateTime::MIN_UTC` for calls that exist since the scenario loaded).
    since: DateTime<Utc>,
    /// Earlier states, oldest first, each with the time it became current.
    older: VecDeque<(DateTime<Utc>, Conversation)>,
}

impl Timeline {
    /// Drops every state but the newest one current at `cutoff` and the newer ones.
    fn prune(&mut self, cutoff: DateTime<Utc>) {
        if self.since <= cutoff {
            self.older.clear();
            return;
        }
        if let Some(keep) = self.older.iter().rposition(|(t, _)| *t <= cutoff) {
            self.older.drain(..keep);
        }
    }

    /// Whether the current state alone answers every view from `cutoff` on.
    fn settled(&self, cutoff: DateTime<Utc>) -> bool {
        self.older.is_empty() && self.since <= cutoff
    }
}

/// Recent history of every conversation changed within the lag (absent = unchanged since load).
#[derive(Debug, Default)]
pub struct History {
    timelines: HashMap<String, Timeline>,
}

impl History {
    /// Forgets everything (a scenario load: loaded calls are visible at once).
    pub fn clear(&mut self) {
        self.timelines.clear();
    }

    /// A call was created at `now`: invisible to views before `now`.
    pub fn created(&mut self, id: &str, now: DateTime<Utc>) {
        self.timelines.insert(
            id.to_owned(),
            Timeline {
                since: now,
                older: VecDeque::new(),
            },
        );
    }

    /// A call changed at `now`; `before` is its state until then.
    pub fn changed(&mut self, before: Conversation, now: DateTime<Utc>, lag: Duration) {
        let t = self
            .timelines
            .entry(before.id.clone())
            .or_insert_with(|| Timeline {
                since: DateTime::<Utc>::MIN_UTC,
                older: VecDeque::new(),
            });
        let since = std::mem::replace(&mut t.since, now);
        t.older.push_back((since, before));
        t.prune(now - lag);
    }

    /// Drops what no view at or after `cutoff` can need (called by each details query).
    pub fn prune_all(&mut self, cutoff: DateTime<Utc>) {
        self.timelines.retain(|_, t| {
            t.prune(cutoff);
            !t.settled(cutoff)
        });
    }

    /// The conversation as it was at `at`; `None` when it did not exist yet.
    pub fn view<'a>(
        &'a self,
        current: &'a Conversation,
        at: DateTime<Utc>,
    ) -> Option<&'a Conversation> {
        let Some(t) = self.timelines.get(&current.id) else {
            return Some(current);
        };
        if t.since <= at {
            return Some(current);
        }
        t.older
            .iter()
            .rev()
            .find(|(since, _)| *since <= at)
            .map(|(_, c)| c)
    }

    /// Stored earlier states (for `/_emulator/stats`: shows memory stays bounded).
    pub fn snapshots(&self) -> usize {
        self.timelines.values().map(|t| t.older.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(id: &str, version: u64) -> Conversation {
        Conversation {
            id: id.to_owned(),
            start_time: Utc::now(),
            end_time: None,
            queue_id: None,
            address: String::new(),
            participants: Vec::new(),
            version,
        }
    }

    #[test]
    fn views_follow_the_lag_and_old_states_are_dropped() {
        let mut h = History::default();
        let t0 = Utc::now();
        let lag = Duration::seconds(3);
        h.created("a", t0);
        let v1 = conv("a", 1);
        assert!(h.view(&v1, t0 - Duration::seconds(1)).is_none());
        assert_eq!(h.view(&v1, t0).map(|c| c.version), Some(1));
        let v2 = conv("a", 2);
        h.changed(v1.clone(), t0 + Duration::seconds(1), lag);
        h.changed(v2.clone(), t0 + Duration::seconds(2), lag);
        let v3 = conv("a", 3);
        let at = |s: i64| t0 + Duration::milliseconds(s);
        assert_eq!(h.view(&v3, at(500)).map(|c| c.version), Some(1));
        assert_eq!(h.view(&v3, at(1500)).map(|c| c.version), Some(2));
        assert_eq!(h.view(&v3, at(2500)).map(|c| c.version), Some(3));
        h.prune_all(at(1500));
        assert_eq!(h.snapshots(), 1, "only the state current at the cutoff");
        h.prune_all(at(2500));
        assert_eq!(h.snapshots(), 0);
        assert!(h.timelines.is_empty(), "settled timelines go");
        // An unchanged loaded call is visible at any time.
        assert!(h.view(&conv("b", 1), DateTime::<Utc>::MIN_UTC).is_some());
    }
}
