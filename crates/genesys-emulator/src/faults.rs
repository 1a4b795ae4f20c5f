//! Fault injection: switchable failures for tests (latency, 429, 5xx, lost or late events,
//! phantom drops). Probabilities use a seeded RNG so runs reproduce.

use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// A fault as posted to `POST /_emulator/faults` (`{"kind": "...", ...}`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum FaultSpec {
    /// The next drop (state disconnected) of that participant answers 202 and changes nothing.
    PhantomDrop { participant_id: String },
    /// The platform's stuck case: on that conversation the end-game rule is off, so a lone leg
    /// outlives the call's other parties and stays connected until dropped or the call is torn down.
    StuckLeg { conversation_id: String },
    /// A deaf leg: every participant PATCH of that participant answers 202 and changes nothing,
    /// while the communication PATCH and the whole-conversation endpoints still end it.
    IgnorePatch { participant_id: String },
    /// Adds latency to matching requests (default: every non-control path).
    Latency {
        ms: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path_prefix: Option<String>,
    },
    /// Answers 429 too.many.requests with Retry-After.
    RateLimit {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rate: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path_prefix: Option<String>,
    },
    /// Answers a 5xx (or any status) with an error body.
    ServerError {
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rate: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path_prefix: Option<String>,
    },
    /// The next `count` state changes (or a `rate` share of them) publish no events.
    DropEvents {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rate: Option<f64>,
    },
    /// Every event is delivered `ms` late.
    DelayEvents { ms: u64 },
    /// The next `count` transcription messages (every one when absent) go out with a body the
    /// SDK model cannot read (`isFinal` a string), to test that clients skip them.
    MalformedTranscription {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    /// Action: close every socket now.
    CloseSockets {},
    /// Action: send v2.system.socket_closing to every socket, then close after the grace time.
    SocketClosing {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        grace_ms: Option<u64>,
    },
    /// Action: revoke all tokens (or one user's), refresh tokens included, and announce it
    /// with `v2.system.token_revoked.{channelId}` on their open notification sockets.
    RevokeTokens {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_id: Option<String>,
    },
    /// Action: expire all access tokens (or one user's) now.
    ExpireTokens {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_id: Option<String>,
    },
}

impl FaultSpec {
    /// Checks parameter ranges; returns a message naming the bad field.
    pub fn validate(&self) -> Result<(), String> {
        let rate_ok = |r: &Option<f64>| match r {
            Some(r) if !(0.0..=1.0).contains(r) => {
                Err(format!("rate must be within 0..1, got {r}"))
            }
            _ => Ok(()),
        };
        match self {
            FaultSpec::PhantomDrop { participant_id } if participant_id.is_empty() => {
                Err("participantId must not be empty".into())
            }
            FaultSpec::StuckLeg { conversation_id } if conversation_id.is_empty() => {
                Err("conversationId must not be empty".into())
            }
            FaultSpec::IgnorePatch { participant_id } if participant_id.is_empty() => {
                Err("participantId must not be empty".into())
            }
            FaultSpec::RateLimit { rate, .. } | FaultSpec::DropEvents { rate, .. } => rate_ok(rate),
            FaultSpec::ServerError { status, rate, .. } => {
                if !(400..=599).contains(status) {
                    return Err(format!("status must be within 400..599, got {status}"));
                }
                rate_ok(rate)
            }
            _ => Ok(()),
        }
    }

    /// Whether the fault is a one-off action rather than a standing condition.
    pub fn is_action(&self) -> bool {
        matches!(
            self,
            FaultSpec::CloseSockets {}
                | FaultSpec::SocketClosing { .. }
                | FaultSpec::RevokeTokens { .. }
                | FaultSpec::ExpireTokens { .. }
        )
    }
}

/// A standing fault with its id.
#[derive(Debug, Clone, Serialize)]
pub struct ActiveFault {
    pub id: u64,
    #[serde(flatten)]
    pub spec: FaultSpec,
}

/// What a request-level fault forces as the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forced {
    TooManyRequests { retry_after: u64 },
    Status(u16),
}

/// The standing faults.
pub struct Faults {
    list: Vec<ActiveFault>,
    next_id: u64,
    rng: ChaCha8Rng,
}

const DEFAULT_PREFIX: &str = "/api/v2";

impl Faults {
    /// Empty fault set with its own seeded RNG.
    pub fn new(seed: u64) -> Self {
        Self {
            list: Vec::new(),
            next_id: 0,
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_fa17),
        }
    }

    /// Adds a standing fault; returns it with its id.
    pub fn add(&mut self, spec: FaultSpec) -> ActiveFault {
        self.next_id += 1;
        let f = ActiveFault {
            id: self.next_id,
            spec,
        };
        self.list.push(f.clone());
        f
    }

    /// The standing faults.
    pub fn list(&self) -> &[ActiveFault] {
        &self.list
    }

    /// Removes every fault.
    pub fn clear(&mut self) {
        self.list.clear();
    }

    /// Removes one fault by id.
    pub fn remove(&mut self, id: u64) -> bool {
        let before = self.list.len();
        self.list.retain(|f| f.id != id);
        before != self.list.len()
    }

    /// Extra latency for a request path.
    pub fn latency_for(&self, path: &str) -> Duration {
        let ms: u64 = self
            .list
            .iter()
            .filter_map(|f| match &f.spec {
                FaultSpec::Latency { ms, path_prefix } => path
                    .starts_with(path_prefix.as_deref().unwrap_or("/"))
                    .then_some(*ms),
                _ => None,
            })
            .sum();
        Duration::from_millis(ms)
    }

    /// Decides whether a count/rate-limited fault fires now, consuming one count if so.
    fn fires(rng: &mut ChaCha8Rng, count: &mut Option<u32>, rate: Option<f64>) -> bool {
        if let Some(r) = rate {
            if !rng.gen_bool(r.clamp(0.0, 1.0)) {
                return false;
            }
        }
        match count {
            Some(0) => false,
            Some(n) => {
                *n -= 1;
                true
            }
            None => true,
        }
    }

    /// A forced 429/5xx for this request path, if a fault says so.
    pub fn forced_response(&mut self, path: &str) -> Option<Forced> {
        let mut out = None;
        for f in &mut self.list {
            let hit = match &mut f.spec {
                FaultSpec::RateLimit {
                    count,
                    rate,
                    retry_after,
                    path_prefix,
                } if path.starts_with(path_prefix.as_deref().unwrap_or(DEFAULT_PREFIX)) => {
                    Self::fires(&mut self.rng, count, *rate).then_some(Forced::TooManyRequests {
                        retry_after: retry_after.unwrap_or(1),
                    })
                }
                FaultSpec::ServerError {
                    status,
                    count,
                    rate,
                    path_prefix,
                } if path.starts_with(path_prefix.as_deref().unwrap_or(DEFAULT_PREFIX)) => {
                    Self::fires(&mut self.rng, count, *rate).then_some(Forced::Status(*status))
                }
                _ => None,
            };
            if hit.is_some() {
                out = hit;
                break;
            }
        }
        self.prune();
        out
    }

    fn prune(&mut self) {
        self.list.retain(|f| {
            !matches!(
                f.spec,
                FaultSpec::RateLimit { count: Some(0), .. }
                    | FaultSpec::ServerError { count: Some(0), .. }
                    | FaultSpec::DropEvents { count: Some(0), .. }
                    | FaultSpec::MalformedTranscription { count: Some(0) }
            )
        });
    }

    /// Consumes a phantom-drop fault for the participant, if one is armed.
    pub fn take_phantom(&mut self, participant_id: &str) -> bool {
        let pos = self.list.iter().position(|f| {
            matches!(&f.spec, FaultSpec::PhantomDrop { participant_id: p } if p == participant_id)
        });
        match pos {
            Some(i) => {
                self.list.remove(i);
                true
            }
            None => false,
        }
    }

    /// Whether a standing ignore-patch fault makes this participant deaf to participant PATCHes.
    pub fn ignores_patch(&self, participant_id: &str) -> bool {
        self.list.iter().any(|f| {
            matches!(&f.spec, FaultSpec::IgnorePatch { participant_id: p } if p == participant_id)
        })
    }

    /// Whether a standing stuck-leg fault keeps this conversation's last party on the line.
    pub fn holds_open(&self, conversation_id: &str) -> bool {
        self.list.iter().any(|f| {
            matches!(&f.spec, FaultSpec::StuckLeg { conversation_id: c } if c == conversation_id)
        })
    }

    /// Whether the events of this state change are dropped.
    pub fn drop_event(&mut self) -> bool {
        let mut dropped = false;
        for f in &mut self.list {
            if let FaultSpec::DropEvents { count, rate } = &mut f.spec {
                if Self::fires(&mut self.rng, count, *rate) {
                    dropped = true;
                    break;
                }
            }
        }
        self.prune();
        dropped
    }

    /// Whether this transcription message goes out malformed (consumes one count).
    pub fn malformed_transcription(&mut self) -> bool {
        let mut hit = false;
        for f in &mut self.list {
            if let FaultSpec::MalformedTranscription { count } = &mut f.spec {
                if Self::fires(&mut self.rng, count, None) {
                    hit = true;
                    break;
                }
            }
        }
        self.prune();
        hit
    }

    /// The delivery delay for events, if any.
    pub fn event_delay(&self) -> Option<Duration> {
        let ms: u64 = self
            .list
            .iter()
            .filter_map(|f| match f.spec {
                FaultSpec::DelayEvents { ms } => Some(ms),
                _ => None,
            })
            .sum();
        (ms > 0).then(|| Duration::from_millis(ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_faults_fire_then_disappear() {
        let mut f = Faults::new(1);
        f.add(FaultSpec::ServerError {
            status: 502,
            count: Some(2),
            rate: None,
            path_prefix: None,
        });
        assert_eq!(
            f.forced_response("/oauth/token"),
            None,
            "default prefix is /api/v2"
        );
        assert_eq!(f.forced_response("/api/v2/x"), Some(Forced::Status(502)));
        assert_eq!(f.forced_response("/api/v2/x"), Some(Forced::Status(502)));
        assert_eq!(f.forced_response("/api/v2/x"), None);
        assert!(f.list().is_empty());
    }

    #[test]
    fn malformed_transcription_counts_down_then_disappears() {
        let spec: FaultSpec =
            serde_json::from_str(r#"{"kind":"malformed_transcription","count":2}"#).unwrap();
        assert_eq!(spec, FaultSpec::MalformedTranscription { count: Some(2) });
        assert!(!spec.is_action());
        let mut f = Faults::new(1);
        f.add(spec);
        assert!(f.malformed_transcription());
        assert!(f.malformed_transcription());
        assert!(!f.malformed_transcription());
        assert!(f.list().is_empty(), "spent faults are pruned");
    }

    #[test]
    fn stuck_leg_is_standing_per_conversation_and_validated() {
        let spec: FaultSpec =
            serde_json::from_str(r#"{"kind":"stuck_leg","conversationId":"c1"}"#).unwrap();
        assert_eq!(spec.validate(), Ok(()));
        assert!(!spec.is_action());
        let mut f = Faults::new(1);
        f.add(spec);
        assert!(f.holds_open("c1"));
        assert!(f.holds_open("c1"), "not consumed by asking");
        assert!(!f.holds_open("c2"));
        let empty = FaultSpec::StuckLeg {
            conversation_id: String::new(),
        };
        assert_eq!(
            empty.validate(),
            Err("conversationId must not be empty".into())
        );
    }

    #[test]
    fn ignore_patch_is_standing_per_participant_and_validated() {
        let spec: FaultSpec =
            serde_json::from_str(r#"{"kind":"ignore_patch","participantId":"p1"}"#).unwrap();
        assert_eq!(spec.validate(), Ok(()));
        assert!(!spec.is_action());
        let mut f = Faults::new(1);
        f.add(spec);
        assert!(f.ignores_patch("p1"));
        assert!(f.ignores_patch("p1"), "not consumed, unlike phantom_drop");
        assert!(!f.ignores_patch("p2"));
        let empty = FaultSpec::IgnorePatch {
            participant_id: String::new(),
        };
        assert_eq!(
            empty.validate(),
            Err("participantId must not be empty".into())
        );
    }

    #[test]
    fn phantom_is_single_use_and_fault_json_round_trips() {
        let mut f = Faults::new(1);
        let spec: FaultSpec =
            serde_json::from_str(r#"{"kind":"phantom_drop","participantId":"p1"}"#).unwrap();
        f.add(spec);
        assert!(!f.take_phantom("p2"));
        assert!(f.take_phantom("p1"));
        assert!(!f.take_phantom("p1"));
        let v = serde_json::to_value(FaultSpec::RateLimit {
            count: None,
            rate: Some(0.5),
            retry_after: Some(3),
            path_prefix: None,
        })
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"kind":"rate_limit","rate":0.5,"retryAfter":3})
        );
        assert!(
            FaultSpec::DropEvents {
                count: None,
                rate: Some(2.0)
            }
            .validate()
            .is_err()
        );
    }
}
