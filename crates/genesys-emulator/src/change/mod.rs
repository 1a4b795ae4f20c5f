//! The ONE place where conversations change. Every mutation (REST PATCH after its delay, the
//! control plane, churn) goes through `World::change`, which then publishes the new snapshot.
//!
//! The request types live in `types`, what a change does to legs in `legs`.

mod legs;
mod types;

pub use legs::{SYSTEM_WRAPUP_CODE, check_update};
pub use types::{Change, ChangeError, LegUpdate, NewCallRequest, PartyRequest, TargetState};

use chrono::{DateTime, Duration, Utc};
use rand::Rng;

use crate::factory::LegSpec;
use crate::model::{Conversation, LegState};
use crate::render::{self, Names};
use crate::scenario::{assemble_call, queue_dnis};
use crate::world::World;
use legs::{apply_system_wrapup, apply_update, end_game, end_leg, finish, index_of};

impl World {
    /// Applies one change, runs the end-game rule, bumps the version and publishes the
    /// conversation snapshot to its queue and user topics. Returns the conversation id.
    pub fn change(&mut self, change: Change) -> Result<String, ChangeError> {
        let now = Utc::now();
        let stuck = change
            .conversation_id()
            .is_some_and(|id| self.faults.holds_open(id));
        let before = change
            .conversation_id()
            .and_then(|id| self.conversations.get(id))
            .filter(|c| c.is_active())
            .cloned();
        let id = match change {
            Change::Create(req) => {
                let id = self.create(req, now)?;
                self.history.created(&id, now);
                id
            }
            Change::Join {
                conversation_id,
                party,
            } => {
                let spec = {
                    let conv = self.active(&conversation_id)?;
                    let queue = conv.queue_id.clone();
                    let customer = conv
                        .participants
                        .first()
                        .map(|p| p.address.clone())
                        .unwrap_or_default();
                    self.leg_spec(&party, now, queue.as_deref(), &customer)?
                };
                let p = spec.build(&mut self.rng);
                let conv = self.active_mut(&conversation_id)?;
                conv.participants.push(p);
                conversation_id
            }
            Change::Update {
                conversation_id,
                participant_id,
                update,
            } => {
                let conv = self.active_mut(&conversation_id)?;
                let idx = index_of(conv, &participant_id)?;
                check_update(conv, &conv.participants[idx], &update)?;
                apply_update(conv, idx, &update, now);
                end_game(conv, now, stuck);
                conversation_id
            }
            Change::EndCommunication {
                conversation_id,
                participant_id,
                communication_id,
            } => {
                let conv = self.active_mut(&conversation_id)?;
                let idx = index_of(conv, &participant_id)?;
                let p = &mut conv.participants[idx];
                let c = p
                    .calls
                    .iter_mut()
                    .find(|c| c.id == communication_id)
                    .ok_or_else(|| ChangeError::CommunicationNotFound(communication_id.clone()))?;
                if !c.state.is_live() {
                    return Err(ChangeError::LegEnded);
                }
                c.state = LegState::Disconnected;
                c.disconnected_time = Some(now);
                c.disconnect_type = Some("client".to_owned());
                c.held = false;
                if !p.calls.iter().any(|c| c.state.is_live()) {
                    end_leg(p, now, "client");
                }
                end_game(conv, now, stuck);
                conversation_id
            }
            Change::Leave {
                conversation_id,
                participant_id,
                disconnect_type,
            } => {
                let conv = self.active_mut(&conversation_id)?;
                let idx = index_of(conv, &participant_id)?;
                if !conv.participants[idx].state.is_live() {
                    return Err(ChangeError::LegEnded);
                }
                end_leg(&mut conv.participants[idx], now, &disconnect_type);
                if conv.participants[idx].is_acd() && conv.live_parties() > 1 {
                    // An ACD leg that leaves is a routing step, not a party.
                } else {
                    end_game(conv, now, stuck);
                }
                conversation_id
            }
            Change::End {
                conversation_id,
                disconnect_type,
            } => {
                let conv = self.active_mut(&conversation_id)?;
                finish(conv, now, &disconnect_type);
                conversation_id
            }
            Change::Teardown { conversation_id } => {
                let conv = self.active_mut(&conversation_id)?;
                finish(conv, now, "client");
                apply_system_wrapup(conv, now);
                conversation_id
            }
        };
        if let Some(conv) = self.conversations.get_mut(&id) {
            conv.version += 1;
        }
        if let Some(before) = before {
            self.history.changed(before, now, self.analytics.lag);
        }
        self.publish(&id);
        if self.transcription.settings.active() {
            // Sessions start and end with calls: let the transcription engine look now.
            self.transcription.wake.notify_one();
        }
        Ok(id)
    }

    fn active(&self, id: &str) -> Result<&Conversation, ChangeError> {
        let conv = self
            .conversations
            .get(id)
            .ok_or(ChangeError::ConversationNotFound)?;
        if conv.is_active() {
            Ok(conv)
        } else {
            Err(ChangeError::ConversationEnded)
        }
    }

    fn active_mut(&mut self, id: &str) -> Result<&mut Conversation, ChangeError> {
        let conv = self
            .conversations
            .get_mut(id)
            .ok_or(ChangeError::ConversationNotFound)?;
        if conv.is_active() {
            Ok(conv)
        } else {
            Err(ChangeError::ConversationEnded)
        }
    }

    fn leg_spec(
        &mut self,
        party: &PartyRequest,
        now: DateTime<Utc>,
        queue_id: Option<&str>,
        customer_address: &str,
    ) -> Result<LegSpec, ChangeError> {
        let state = match party.state.as_deref() {
            None | Some("connected") => LegState::Connected,
            Some("alerting") => LegState::Alerting,
            Some(other) => {
                return Err(ChangeError::Invalid(format!(
                    "party state must be connected or alerting, got '{other}'"
                )));
            }
        };
        let purpose = party.purpose.trim();
        if purpose.is_empty() {
            return Err(ChangeError::Invalid("party purpose is required".into()));
        }
        let queue_index = queue_id.and_then(|q| self.queue_order.iter().position(|x| x == q));
        let dnis = queue_index.map(queue_dnis).unwrap_or_default();
        let spec = match &party.user_id {
            Some(uid) => {
                let user = self
                    .users
                    .get(uid)
                    .ok_or_else(|| ChangeError::UnknownUser(uid.clone()))?;
                let address = party
                    .address
                    .clone()
                    .unwrap_or_else(|| format!("sip:{}@demo.example", user.id));
                LegSpec::new(
                    purpose,
                    party.name.as_deref().unwrap_or(&user.name),
                    &address,
                    now,
                )
                .user(&user.id)
                .queue(if purpose == "agent" { queue_id } else { None })
                .numbers(customer_address, &dnis, customer_address)
            }
            None if matches!(purpose, "agent" | "user") => {
                return Err(ChangeError::Invalid(format!(
                    "a party with purpose '{purpose}' needs a userId"
                )));
            }
            None => {
                let address = party.address.clone().unwrap_or_else(|| {
                    format!("tel:+1555{:07}", self.rng.gen_range(0..10_000_000u32))
                });
                let default_name = if purpose == "customer" {
                    "Customer"
                } else {
                    "External Party"
                };
                let direction = if purpose == "customer" {
                    "inbound"
                } else {
                    "outbound"
                };
                let (ani, other) = if purpose == "customer" {
                    (address.clone(), dnis.clone())
                } else {
                    (dnis.clone(), address.clone())
                };
                LegSpec::new(
                    purpose,
                    party.name.as_deref().unwrap_or(default_name),
                    &address,
                    now,
                )
                .direction(direction)
                .numbers(&ani, &dnis, &other)
            }
        };
        Ok(spec.state(state, None))
    }

    fn create(&mut self, req: NewCallRequest, now: DateTime<Utc>) -> Result<String, ChangeError> {
        if req.parties.is_empty() {
            return Err(ChangeError::Invalid(
                "a call needs at least one party".into(),
            ));
        }
        let queue = match &req.queue_id {
            Some(q) => {
                let i = self
                    .queue_order
                    .iter()
                    .position(|x| x == q)
                    .ok_or_else(|| ChangeError::UnknownQueue(q.clone()))?;
                Some(i)
            }
            None => None,
        };
        let mut specs = Vec::new();
        let mut caller = String::new();
        for (i, party) in req.parties.iter().enumerate() {
            let start = now + Duration::milliseconds(i as i64);
            let mut spec = self.leg_spec(party, now, req.queue_id.as_deref(), &caller)?;
            spec.start = start;
            if i == 0 {
                caller = spec.address.clone();
            }
            specs.push(spec);
        }
        let queue_ref = queue.and_then(|i| {
            self.queues
                .get(&self.queue_order[i])
                .cloned()
                .map(|q| (q, queue_dnis(i)))
        });
        let conv = assemble_call(
            &mut self.rng,
            now,
            queue_ref.as_ref().map(|(q, d)| (q, d.clone())),
            &specs,
        );
        let id = conv.id.clone();
        self.conversation_order.push(id.clone());
        self.conversations.insert(id.clone(), conv);
        Ok(id)
    }

    /// Publishes the conversation's snapshot to every subscribed queue and user topic.
    fn publish(&mut self, id: &str) {
        let Some(conv) = self.conversations.get(id) else {
            return;
        };
        if self.faults.drop_event() {
            self.events_dropped += 1;
            return;
        }
        let not_before = self
            .faults
            .event_delay()
            .map(|d| tokio::time::Instant::now() + d);
        let names = Names {
            queues: &self.queues,
            users: &self.users,
        };
        let mut calls_body: Option<String> = None;
        let mut conv_body: Option<String> = None;
        let mut topics: Vec<(String, bool)> = Vec::new();
        for q in conv.queue_ids() {
            topics.push((format!("v2.routing.queues.{q}.conversations.calls"), true));
            topics.push((format!("v2.routing.queues.{q}.conversations"), false));
        }
        for u in conv.user_ids() {
            topics.push((format!("v2.users.{u}.conversations.calls"), true));
            topics.push((format!("v2.users.{u}.conversations"), false));
        }
        for (topic, calls) in topics {
            if !self.notifier.has_subscribers(&topic) {
                continue;
            }
            let body = if calls {
                calls_body.get_or_insert_with(|| render::call_event_body(conv, &names).to_string())
            } else {
                conv_body.get_or_insert_with(|| {
                    render::conversation_event_body(conv, &names).to_string()
                })
            };
            self.events_delivered += self.notifier.publish(&topic, body, not_before) as u64;
        }
        self.events_published += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ScenarioName;

    fn world() -> World {
        World::new(ScenarioName::Empty, 5, 0)
    }

    fn call(w: &mut World, extra: usize) -> String {
        let q = w.queue_order[0].clone();
        let agent = w
            .ordered_users()
            .find(|u| u.email == "agent1@demo.example")
            .map(|u| u.id.clone())
            .unwrap();
        let mut parties = vec![
            PartyRequest {
                purpose: "customer".into(),
                ..Default::default()
            },
            PartyRequest {
                purpose: "agent".into(),
                user_id: Some(agent),
                ..Default::default()
            },
        ];
        for _ in 0..extra {
            parties.push(PartyRequest {
                purpose: "external".into(),
                ..Default::default()
            });
        }
        w.change(Change::Create(NewCallRequest {
            queue_id: Some(q),
            parties,
        }))
        .unwrap()
    }

    fn drop_leg(w: &mut World, c: &str, idx: usize) -> Result<String, ChangeError> {
        let pid = w.conversations[c].participants[idx].id.clone();
        w.change(Change::Update {
            conversation_id: c.to_owned(),
            participant_id: pid,
            update: LegUpdate {
                state: Some(TargetState::Disconnected),
                ..Default::default()
            },
        })
    }

    #[test]
    fn conference_continues_until_one_party_is_left() {
        let mut w = world();
        let c = call(&mut w, 2); // customer, acd, agent, external, external
        assert_eq!(w.conversations[&c].live_parties(), 4);
        drop_leg(&mut w, &c, 3).unwrap();
        assert!(w.conversations[&c].is_active());
        drop_leg(&mut w, &c, 4).unwrap();
        assert!(w.conversations[&c].is_active(), "two parties still talk");
        drop_leg(&mut w, &c, 0).unwrap();
        let conv = &w.conversations[&c];
        assert!(!conv.is_active());
        assert_eq!(conv.participants.len(), 5, "never removed");
        assert_eq!(conv.participants[1].state, LegState::Terminated);
        assert_eq!(
            conv.participants[2].disconnect_type.as_deref(),
            Some("peer")
        );
        assert_eq!(
            conv.participants[0].disconnect_type.as_deref(),
            Some("client")
        );
        assert_eq!(drop_leg(&mut w, &c, 2), Err(ChangeError::ConversationEnded));
    }

    #[test]
    fn versions_bump_on_every_change_only() {
        let mut w = world();
        let c = call(&mut w, 1);
        let v = w.conversations[&c].version;
        assert_eq!(drop_leg(&mut w, &c, 3).map(|_| ()), Ok(()));
        assert_eq!(w.conversations[&c].version, v + 1);
        assert_eq!(drop_leg(&mut w, &c, 3), Err(ChangeError::LegEnded));
        assert_eq!(w.conversations[&c].version, v + 1);
        assert_eq!(w.events_published, 2, "create and drop published");
    }

    #[test]
    fn confine_needs_a_conference_and_hold_needs_a_connected_leg() {
        let mut w = world();
        let c = call(&mut w, 0);
        let pid = w.conversations[&c].participants[2].id.clone();
        let confine = Change::Update {
            conversation_id: c.clone(),
            participant_id: pid,
            update: LegUpdate {
                confined: Some(true),
                ..Default::default()
            },
        };
        assert_eq!(w.change(confine), Err(ChangeError::CannotConfine));
    }
}
