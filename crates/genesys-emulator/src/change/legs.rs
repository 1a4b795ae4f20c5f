//! What a change does to legs: ending them, ending the whole call, the end-game rule, the
//! teardown's system wrap-up and the participant updates.

use chrono::{DateTime, Utc};

use super::{ChangeError, LegUpdate, TargetState};
use crate::factory::{set_held, set_muted};
use crate::model::{Conversation, LegState, Participant, Wrapup};

pub(super) fn end_leg(p: &mut Participant, now: DateTime<Utc>, disconnect_type: &str) {
    p.state = LegState::Disconnected;
    p.end_time = Some(now);
    p.disconnect_type = Some(disconnect_type.to_owned());
    p.held = false;
    p.start_hold_time = None;
    for c in p.calls.iter_mut().filter(|c| c.state.is_live()) {
        c.state = LegState::Disconnected;
        c.disconnected_time = Some(now);
        c.disconnect_type = Some(disconnect_type.to_owned());
        c.held = false;
        c.start_hold_time = None;
    }
}

/// Ends the whole call: live legs disconnected with `disconnect_type`, ACD legs terminated.
pub(super) fn finish(conv: &mut Conversation, now: DateTime<Utc>, disconnect_type: &str) {
    for p in &mut conv.participants {
        if p.state.is_live() {
            end_leg(p, now, disconnect_type);
        }
        if p.is_acd() {
            p.state = LegState::Terminated;
            for c in &mut p.calls {
                c.state = LegState::Terminated;
            }
        }
    }
    conv.end_time = Some(now);
}

/// The wrap-up code the teardown applies. The platform documents only "a system wrap-up code"
/// (docs/genesys-api.md, "Cleaning up stuck interactions"); its exact value is unconfirmed, so the
/// emulator uses the best-known system code, the one the platform applies when wrap-up times out.
pub const SYSTEM_WRAPUP_CODE: &str = "ININ-WRAP-UP-TIMEOUT";

/// Gives every leg that requires wrap-up and has none the system wrap-up, ending now.
pub(super) fn apply_system_wrapup(conv: &mut Conversation, now: DateTime<Utc>) {
    for p in conv
        .participants
        .iter_mut()
        .filter(|p| p.wrapup_required && p.wrapup.is_none())
    {
        let since = p.end_time.unwrap_or(now);
        p.wrapup = Some(Wrapup {
            code: SYSTEM_WRAPUP_CODE.to_owned(),
            name: SYSTEM_WRAPUP_CODE.to_owned(),
            notes: String::new(),
            duration_seconds: (now - since).num_seconds().max(0),
            end_time: now,
        });
    }
}

/// Conference end-game (our choice: the platform's is unconfirmed, see
/// docs/genesys-api.md "Conferences"): with one or no
/// non-ACD party left the call ends; remaining parties become `disconnected` (peer).
/// `stuck` (the `stuck_leg` fault) switches the rule off, as on the platform's stuck calls.
pub(super) fn end_game(conv: &mut Conversation, now: DateTime<Utc>, stuck: bool) {
    if !stuck && conv.is_active() && conv.live_parties() <= 1 {
        finish(conv, now, "peer");
    }
}

/// Validates a participant update against the current state (used before 202 and at apply).
pub fn check_update(
    conv: &Conversation,
    p: &Participant,
    u: &LegUpdate,
) -> Result<(), ChangeError> {
    if u.is_empty() {
        return Ok(());
    }
    if !p.state.is_live() || !conv.is_active() {
        return Err(ChangeError::LegEnded);
    }
    if u.held == Some(true) && p.state == LegState::Alerting {
        return Err(ChangeError::HoldAlerting);
    }
    if u.confined == Some(true) && conv.live_parties() < 3 {
        return Err(ChangeError::CannotConfine);
    }
    Ok(())
}

pub(super) fn index_of(conv: &Conversation, participant_id: &str) -> Result<usize, ChangeError> {
    conv.participants
        .iter()
        .position(|p| p.id == participant_id)
        .ok_or_else(|| ChangeError::ParticipantNotFound(participant_id.to_owned()))
}

pub(super) fn apply_update(conv: &mut Conversation, idx: usize, u: &LegUpdate, now: DateTime<Utc>) {
    match u.state {
        Some(TargetState::Disconnected) => {
            end_leg(&mut conv.participants[idx], now, "client");
            return;
        }
        Some(TargetState::Connected) if conv.participants[idx].state != LegState::Connected => {
            let p = &mut conv.participants[idx];
            p.state = LegState::Connected;
            p.connected_time = Some(now);
            if let Some(c) = p.live_call_mut() {
                c.state = LegState::Connected;
                c.connected_time = Some(now);
            }
            let answered_by_agent = matches!(p.purpose.as_str(), "agent" | "user");
            if answered_by_agent {
                for acd in conv
                    .participants
                    .iter_mut()
                    .filter(|p| p.is_acd() && p.state.is_live())
                {
                    end_leg(acd, now, "transfer");
                }
            }
        }
        _ => {}
    }
    let p = &mut conv.participants[idx];
    if let Some(m) = u.muted {
        set_muted(p, m);
    }
    if let Some(h) = u.held {
        set_held(p, h, now);
    }
    if let Some(c) = u.confined {
        p.confined = c;
        if let Some(call) = p.live_call_mut() {
            call.confined = c;
        }
    }
    if let Some(r) = u.recording {
        p.recording = r;
        if let Some(call) = p.live_call_mut() {
            call.recording = r;
        }
    }
}
