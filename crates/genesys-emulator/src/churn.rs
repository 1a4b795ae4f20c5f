//! Background churn: calls start, parties join and leave, calls end, through the same
//! state-change function as everything else. Choices come from the world's seeded RNG.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use rand::seq::SliceRandom;

use crate::change::{Change, NewCallRequest, PartyRequest};
use crate::world::{Shared, World};

/// Runs until shutdown; sleeps while the rate is 0.
pub(crate) async fn run(shared: Arc<Shared>) {
    let mut rate_rx = shared.churn.subscribe();
    let mut shutdown = shared.shutdown.clone();
    let mut baseline: Option<usize> = None;
    loop {
        let rate = *rate_rx.borrow_and_update();
        if rate <= 0.0 {
            baseline = None;
            tokio::select! {
                r = rate_rx.changed() => if r.is_err() { break },
                _ = shutdown.changed() => break,
            }
            continue;
        }
        let base = *baseline.get_or_insert_with(|| active_ids(&shared.lock()).len());
        let interval = Duration::from_secs_f64((60.0 / rate).clamp(0.001, 3600.0));
        tokio::select! {
            _ = tokio::time::sleep(interval) => step(&mut shared.lock(), base),
            r = rate_rx.changed() => if r.is_err() { break },
            _ = shutdown.changed() => break,
        }
    }
}

fn active_ids(w: &World) -> Vec<String> {
    w.ordered_conversations()
        .filter(|c| c.is_active())
        .map(|c| c.id.clone())
        .collect()
}

/// One churn step: picks an action so the number of live calls hovers around `baseline`.
pub(crate) fn step(w: &mut World, baseline: usize) {
    let active = active_ids(w);
    let low = baseline.max(3);
    let roll: u32 = w.rng.gen_range(0..100);
    let change = if active.len() < 3 || (active.len() < low && roll < 50) {
        start_call(w)
    } else if active.len() > low * 2 {
        pick(w, &active).map(|c| Change::End {
            conversation_id: c,
            disconnect_type: "endpoint".to_owned(),
        })
    } else {
        match roll {
            0..=29 => start_call(w),
            30..=49 => pick(w, &active).and_then(|c| join(w, c)),
            50..=84 => pick(w, &active).and_then(|c| leave(w, c)),
            _ => pick(w, &active).map(|c| Change::End {
                conversation_id: c,
                disconnect_type: "endpoint".to_owned(),
            }),
        }
    };
    if let Some(change) = change {
        if let Err(e) = w.change(change) {
            tracing::debug!(error = %e, "churn step skipped");
        }
    }
}

fn pick(w: &mut World, ids: &[String]) -> Option<String> {
    ids.choose(&mut w.rng).cloned()
}

fn queue_agent(w: &mut World, queue_id: &str) -> Option<String> {
    let agents: Vec<String> = w
        .ordered_users()
        .filter(|u| u.email.starts_with("agent") && u.queue_ids.iter().any(|q| q == queue_id))
        .map(|u| u.id.clone())
        .collect();
    agents.choose(&mut w.rng).cloned()
}

/// One new call in ten is a conference bridge a user dials up directly, with no queue.
const BRIDGE_SHARE: f64 = 0.1;

fn start_call(w: &mut World) -> Option<Change> {
    if w.rng.gen_bool(BRIDGE_SHARE) {
        return start_bridge(w);
    }
    let queues = w.queue_order.clone();
    let queue = queues.choose(&mut w.rng)?.clone();
    let agent = queue_agent(w, &queue)?;
    Some(Change::Create(NewCallRequest {
        queue_id: Some(queue),
        parties: vec![
            PartyRequest {
                purpose: "customer".to_owned(),
                name: Some("Churn Caller".to_owned()),
                ..Default::default()
            },
            PartyRequest {
                purpose: "agent".to_owned(),
                user_id: Some(agent),
                ..Default::default()
            },
        ],
    }))
}

/// A queue-less bridge: an agent or the supervisor plus two or three outside parties.
fn start_bridge(w: &mut World) -> Option<Change> {
    let people: Vec<String> = w
        .ordered_users()
        .filter(|u| u.email.starts_with("agent") || u.email == crate::scenario::SUPERVISOR_EMAIL)
        .map(|u| u.id.clone())
        .collect();
    let user = people.choose(&mut w.rng)?.clone();
    let externals = w.rng.gen_range(2..=3);
    let mut parties = vec![PartyRequest {
        purpose: "user".to_owned(),
        user_id: Some(user),
        ..Default::default()
    }];
    parties.extend((0..externals).map(|_| PartyRequest {
        purpose: "external".to_owned(),
        name: Some("Churn Bridge Party".to_owned()),
        ..Default::default()
    }));
    Some(Change::Create(NewCallRequest {
        queue_id: None,
        parties,
    }))
}

fn join(w: &mut World, conversation_id: String) -> Option<Change> {
    let queue = w.conversations.get(&conversation_id)?.queue_id.clone();
    let party = match queue {
        Some(q) if w.rng.gen_bool(0.5) => PartyRequest {
            purpose: "agent".to_owned(),
            user_id: Some(queue_agent(w, &q)?),
            ..Default::default()
        },
        _ => PartyRequest {
            purpose: "external".to_owned(),
            name: Some("Churn Consultant".to_owned()),
            ..Default::default()
        },
    };
    Some(Change::Join {
        conversation_id,
        party,
    })
}

fn leave(w: &mut World, conversation_id: String) -> Option<Change> {
    let live: Vec<String> = w
        .conversations
        .get(&conversation_id)?
        .participants
        .iter()
        .filter(|p| !p.is_acd() && p.state.is_live())
        .map(|p| p.id.clone())
        .collect();
    let participant_id = live.choose(&mut w.rng)?.clone();
    Some(Change::Leave {
        conversation_id,
        participant_id,
        disconnect_type: "endpoint".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ScenarioName;

    #[test]
    fn churn_occasionally_starts_queue_less_bridges() {
        let mut w = World::new(ScenarioName::Empty, 11, 0);
        for _ in 0..400 {
            step(&mut w, 20);
        }
        let bridges: Vec<_> = w
            .ordered_conversations()
            .filter(|c| c.queue_ids().is_empty())
            .collect();
        assert!(!bridges.is_empty(), "some churned calls are bridges");
        for b in bridges {
            assert!(b.participants.iter().all(|p| !p.is_acd()));
            assert_eq!(
                b.participants
                    .iter()
                    .filter(|p| p.user_id.is_some())
                    .count(),
                1,
                "one user party who dialled the others"
            );
        }
        assert!(
            w.ordered_conversations().any(|c| !c.queue_ids().is_empty()),
            "and most are queue calls"
        );
    }
}
