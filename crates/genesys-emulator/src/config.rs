//! Emulator configuration shared by the library entry point and the binary.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

/// Which built-in world to load, so tests, benchmarks and the demo start from a known organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScenarioName {
    /// A realistic small org with conferences, phantoms and odd legs for demos and tests.
    #[default]
    Demo,
    /// Users, queues and OAuth clients only, for tests that create their own calls.
    Empty,
    /// Many live calls (see `EmulatorConfig::conversations`) for benchmarks.
    Load,
    /// Idle-leg finding: a lone leg the end-game rule does not end (`stuck_leg` fault).
    StuckLeg,
    /// Idle-leg finding: calls with only internal legs left.
    NoOutsideParty,
    /// Idle-leg finding: legs held for 20 minutes.
    LongHold,
    /// Idle-leg finding: a muted leg.
    LongMute,
    /// Idle-leg finding: a customer who never speaks, transcription on.
    SilentParty,
    /// Idle-leg finding: transcription switched on in an org without the licence.
    UnlicensedTranscription,
    /// Idle-leg finding: a leg that ignores the participant PATCH (`ignore_patch` fault).
    PatchIgnored,
    /// Every idle-leg finding but the licence one in one transcribed org.
    Idle,
}

/// Every scenario, in the order the help text lists them.
pub const SCENARIOS: [ScenarioName; 11] = [
    ScenarioName::Demo,
    ScenarioName::Empty,
    ScenarioName::Load,
    ScenarioName::StuckLeg,
    ScenarioName::NoOutsideParty,
    ScenarioName::LongHold,
    ScenarioName::LongMute,
    ScenarioName::SilentParty,
    ScenarioName::UnlicensedTranscription,
    ScenarioName::PatchIgnored,
    ScenarioName::Idle,
];

impl ScenarioName {
    /// The lower-case name used on the command line and the control plane.
    pub fn as_str(self) -> &'static str {
        match self {
            ScenarioName::Demo => "demo",
            ScenarioName::Empty => "empty",
            ScenarioName::Load => "load",
            ScenarioName::StuckLeg => "stuck-leg",
            ScenarioName::NoOutsideParty => "no-outside-party",
            ScenarioName::LongHold => "long-hold",
            ScenarioName::LongMute => "long-mute",
            ScenarioName::SilentParty => "silent-party",
            ScenarioName::UnlicensedTranscription => "unlicensed-transcription",
            ScenarioName::PatchIgnored => "patch-ignored",
            ScenarioName::Idle => "idle",
        }
    }
}

impl fmt::Display for ScenarioName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ScenarioName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.to_ascii_lowercase();
        SCENARIOS
            .into_iter()
            .find(|n| n.as_str() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = SCENARIOS.iter().map(|n| n.as_str()).collect();
                format!(
                    "unknown scenario '{wanted}' (expected one of: {})",
                    names.join(", ")
                )
            })
    }
}

/// Everything that shapes one emulator instance; the defaults mirror the real platform where known.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Where to listen; port 0 picks a free port (read it back with `RunningEmulator::addr`).
    pub listen: SocketAddr,
    /// The world loaded at start and on `POST /_emulator/reset`.
    pub scenario: ScenarioName,
    /// Seed for every id and every random choice, so runs reproduce.
    pub seed: u64,
    /// Number of live calls in the Load scenario.
    pub conversations: usize,
    /// Background call churn (calls start, parties join and leave); 0 turns it off.
    pub churn_per_minute: f64,
    /// How long an accepted participant PATCH waits before it takes effect (the API is asynchronous).
    pub patch_delay: Duration,
    /// Interval of `channel.metadata` heartbeats on notification sockets.
    pub heartbeat: Duration,
    /// Lifetime of access tokens.
    pub token_ttl: Duration,
    /// Requests allowed per token in each fixed 60 s window before 429.
    pub rate_limit_per_minute: u32,
    /// Extra latency added to every non-control request.
    pub latency: Duration,
    /// How stale the analytics conversation details are (the platform's details are near-real-time,
    /// not instant); changes newer than this are not visible to the details query yet.
    pub analytics_lag: Duration,
    /// Deepest result the details query pages to (`pageNumber * pageSize`); deeper pages are 400.
    pub analytics_max_results: usize,
    /// From a party's speech to the delivery of its transcript (the platform: about 35 s).
    pub transcription_delay: Duration,
    /// Interval of the transcription topic's status-only heartbeats (the platform: 5 minutes).
    pub transcription_heartbeat: Duration,
    /// How often each connected party says a line on its own on transcribed calls (0 = never).
    pub speech_every: Duration,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            scenario: ScenarioName::Demo,
            seed: 1,
            conversations: 1000,
            churn_per_minute: 0.0,
            patch_delay: Duration::from_millis(150),
            heartbeat: Duration::from_secs(30),
            token_ttl: Duration::from_secs(86_400),
            rate_limit_per_minute: 300,
            latency: Duration::ZERO,
            analytics_lag: Duration::from_millis(3000),
            analytics_max_results: 100_000,
            transcription_delay: Duration::from_secs(35),
            transcription_heartbeat: Duration::from_secs(300),
            speech_every: Duration::from_secs(20),
        }
    }
}
