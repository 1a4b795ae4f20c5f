//! Builds participants and communications (used by the scenarios and by call creation).

use chrono::{DateTime, Duration, Utc};
use rand_chacha::ChaCha8Rng;

use crate::ids::seeded_uuid;
use crate::model::{Communication, LegState, Participant};

/// What a new leg looks like; `build` turns it into a participant with one communication.
#[derive(Debug, Clone)]
pub struct LegSpec {
    pub purpose: String,
    pub name: String,
    pub address: String,
    pub user_id: Option<String>,
    pub queue_id: Option<String>,
    pub state: LegState,
    pub direction: String,
    pub start: DateTime<Utc>,
    pub ani: String,
    pub dnis: String,
    /// The address of the other side of this leg's communication.
    pub other: String,
    pub disconnect_type: Option<String>,
    /// When an ended leg ended; `None` means 20 s after it started.
    pub ended_at: Option<DateTime<Utc>>,
}

impl LegSpec {
    /// A connected leg starting at `start`.
    pub fn new(purpose: &str, name: &str, address: &str, start: DateTime<Utc>) -> Self {
        Self {
            purpose: purpose.to_owned(),
            name: name.to_owned(),
            address: address.to_owned(),
            user_id: None,
            queue_id: None,
            state: LegState::Connected,
            direction: "inbound".to_owned(),
            start,
            ani: String::new(),
            dnis: String::new(),
            other: String::new(),
            disconnect_type: None,
            ended_at: None,
        }
    }

    /// Sets when an ended leg ended (an ACD leg ends when an agent answers).
    pub fn ended_at(mut self, at: DateTime<Utc>) -> Self {
        self.ended_at = Some(at);
        self
    }

    /// Sets the user reference.
    pub fn user(mut self, id: &str) -> Self {
        self.user_id = Some(id.to_owned());
        self
    }

    /// Sets the queue reference.
    pub fn queue(mut self, id: Option<&str>) -> Self {
        self.queue_id = id.map(str::to_owned);
        self
    }

    /// Sets the state (an ended state gets an end time and the given disconnect type).
    pub fn state(mut self, state: LegState, disconnect_type: Option<&str>) -> Self {
        self.state = state;
        self.disconnect_type = disconnect_type.map(str::to_owned);
        self
    }

    /// Sets the direction.
    pub fn direction(mut self, d: &str) -> Self {
        self.direction = d.to_owned();
        self
    }

    /// Sets ANI/DNIS and the peer address.
    pub fn numbers(mut self, ani: &str, dnis: &str, other: &str) -> Self {
        self.ani = ani.to_owned();
        self.dnis = dnis.to_owned();
        self.other = other.to_owned();
        self
    }

    /// Builds the participant with one communication; ended legs end at `ended_at` (default: 20 s
    /// after they start).
    pub fn build(&self, rng: &mut ChaCha8Rng) -> Participant {
        let id = seeded_uuid(rng);
        let comm = communication(rng, self);
        Participant {
            id,
            name: self.name.clone(),
            purpose: self.purpose.clone(),
            address: self.address.clone(),
            user_id: self.user_id.clone(),
            queue_id: self.queue_id.clone(),
            state: self.state,
            direction: self.direction.clone(),
            start_time: self.start,
            start_alerting_time: comm.start_alerting_time,
            connected_time: comm.connected_time,
            end_time: comm.disconnected_time,
            start_hold_time: None,
            disconnect_type: comm.disconnect_type.clone(),
            held: false,
            muted: false,
            confined: false,
            recording: false,
            wrapup_required: self.purpose == "agent",
            wrapup: None,
            ani: self.ani.clone(),
            dnis: self.dnis.clone(),
            calls: vec![comm],
        }
    }
}

/// One communication for the leg, with times consistent with its state.
pub fn communication(rng: &mut ChaCha8Rng, spec: &LegSpec) -> Communication {
    let alerting = Some(spec.start);
    let connected = match spec.state {
        LegState::Alerting | LegState::Dialing => None,
        _ => Some(spec.start + Duration::seconds(2)),
    };
    let ended = if spec.state.is_live() {
        None
    } else {
        Some(
            spec.ended_at
                .unwrap_or(spec.start + Duration::seconds(20))
                .max(spec.start),
        )
    };
    let initial = match spec.direction.as_str() {
        "outbound" => LegState::Dialing,
        _ => LegState::Alerting,
    };
    Communication {
        id: seeded_uuid(rng),
        state: spec.state,
        initial_state: initial,
        direction: spec.direction.clone(),
        held: false,
        muted: false,
        confined: false,
        recording: false,
        start_alerting_time: alerting,
        connected_time: connected,
        start_hold_time: None,
        disconnected_time: ended,
        disconnect_type: if spec.state.is_live() {
            None
        } else {
            spec.disconnect_type.clone()
        },
        self_address: spec.address.clone(),
        other_address: spec.other.clone(),
    }
}

/// Sets held on a participant and its live communication, keeping the hold start time.
pub fn set_held(p: &mut Participant, held: bool, now: DateTime<Utc>) {
    p.held = held;
    p.start_hold_time = if held { Some(now) } else { None };
    if let Some(c) = p.live_call_mut() {
        c.held = held;
        c.start_hold_time = if held { Some(now) } else { None };
    }
}

/// Sets muted on a participant and its live communication.
pub fn set_muted(p: &mut Participant, muted: bool) {
    p.muted = muted;
    if let Some(c) = p.live_call_mut() {
        c.muted = muted;
    }
}
