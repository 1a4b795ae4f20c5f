//! The scenario builder: legs and calls relative to "now", the demo's calls and the load.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::names::{BRIDGE_PARTIES, CUSTOMER_NAMES};
use super::{assemble_call, queue_dnis, random_phone};
use crate::factory::{LegSpec, set_held, set_muted};
use crate::model::{Communication, Conversation, LegState, Queue, User};

/// Share of load-scenario calls that are conference bridges without a queue (one in 33, ~3 %).
const LOAD_BRIDGE_EVERY: usize = 33;

pub(super) struct Builder<'a> {
    pub rng: ChaCha8Rng,
    pub now: DateTime<Utc>,
    pub queues: &'a [Queue],
    pub users: &'a [User],
    pub customer_idx: usize,
}

impl Builder<'_> {
    pub(super) fn agent(&self, n: usize) -> &User {
        &self.users[n + 1]
    }

    pub(super) fn customer(&mut self, start: DateTime<Utc>, q: usize) -> LegSpec {
        let name = CUSTOMER_NAMES[self.customer_idx % CUSTOMER_NAMES.len()];
        self.customer_idx += 1;
        let phone = random_phone(&mut self.rng);
        let dnis = queue_dnis(q);
        LegSpec::new("customer", name, &phone, start).numbers(&phone, &dnis, &dnis)
    }

    pub(super) fn agent_leg(
        &self,
        n: usize,
        q: usize,
        start: DateTime<Utc>,
        customer: &LegSpec,
    ) -> LegSpec {
        let u = self.agent(n);
        LegSpec::new(
            "agent",
            &u.name,
            &format!("sip:{}@demo.example", u.id),
            start,
        )
        .user(&u.id)
        .queue(Some(&self.queues[q].id))
        .numbers(&customer.address, &queue_dnis(q), &customer.address)
    }

    pub(super) fn external(&mut self, name: &str, start: DateTime<Utc>, q: usize) -> LegSpec {
        let phone = random_phone(&mut self.rng);
        LegSpec::new("external", name, &phone, start)
            .direction("outbound")
            .numbers(&queue_dnis(q), &phone, &phone)
    }

    pub(super) fn call(&mut self, q: usize, parties: &[LegSpec]) -> Conversation {
        let start = parties[0].start;
        let queue = (&self.queues[q], queue_dnis(q));
        assemble_call(&mut self.rng, start, Some(queue), parties)
    }

    pub(super) fn ago(&self, secs: i64) -> DateTime<Utc> {
        self.now - Duration::seconds(secs)
    }

    /// The demo: conferences, two-party calls and every phantom the app must survive.
    pub(super) fn demo(&mut self) -> Vec<Conversation> {
        let mut out = Vec::new();
        // 1. Support conference: customer + agent1 + consultant agent2 (muted).
        let t = self.ago(900);
        let c = self.customer(t, 0);
        let a1 = self.agent_leg(1, 0, t + Duration::seconds(15), &c);
        let a2 = self.agent_leg(2, 0, t + Duration::seconds(300), &c);
        let mut conv = self.call(0, &[c, a1, a2]);
        if let Some(p) = conv.participants.get_mut(3) {
            set_muted(p, true);
        }
        out.push(conv);
        // 2. Billing conference: customer + agent5 + an external party.
        let t = self.ago(720);
        let c = self.customer(t, 1);
        let a = self.agent_leg(5, 1, t + Duration::seconds(12), &c);
        let e = self.external("Northwind Insurance", t + Duration::seconds(240), 1);
        out.push(self.call(1, &[c, a, e]));
        // 3. Sales conference with four parties: agent9 is held.
        let t = self.ago(1500);
        let c = self.customer(t, 2);
        let a8 = self.agent_leg(8, 2, t + Duration::seconds(20), &c);
        let a9 = self.agent_leg(9, 2, t + Duration::seconds(400), &c);
        let e = self.external("Contoso Legal", t + Duration::seconds(600), 2);
        let mut conv = self.call(2, &[c, a8, a9, e]);
        let now = self.now - Duration::seconds(60);
        if let Some(p) = conv.participants.get_mut(3) {
            set_held(p, true, now);
        }
        out.push(conv);
        // 4-6. Two-party calls.
        for (agent, q, ago) in [(3, 0, 200), (6, 1, 340), (11, 3, 95)] {
            let t = self.ago(ago);
            let c = self.customer(t, q);
            let a = self.agent_leg(agent, q, t + Duration::seconds(10), &c);
            out.push(self.call(q, &[c, a]));
        }
        // 7. Stale duplicate: agent12 twice, the older leg terminated, the newer connected.
        let t = self.ago(640);
        let c = self.customer(t, 3);
        let old = self
            .agent_leg(12, 3, t + Duration::seconds(10), &c)
            .state(LegState::Terminated, Some("transfer"));
        let new = self.agent_leg(12, 3, t + Duration::seconds(60), &c);
        out.push(self.call(3, &[c, old, new]));
        // 8. A participant with two calls[] entries: the first ended, the second connected.
        let t = self.ago(480);
        let c = self.customer(t, 2);
        let a = self.agent_leg(10, 2, t + Duration::seconds(10), &c);
        let mut conv = self.call(2, &[c, a.clone()]);
        if let Some(p) = conv.participants.get_mut(2) {
            let first = crate::factory::communication(
                &mut self.rng,
                &a.clone()
                    .state(LegState::Disconnected, Some("transport.failure")),
            );
            let live: Vec<Communication> = p.calls.drain(..).collect();
            p.calls.push(first);
            p.calls.extend(live);
        }
        out.push(conv);
        // 9. Waiting in queue (ACD leg connected, no agent yet).
        let t = self.ago(45);
        let c = self.customer(t, 0);
        out.push(self.call(0, &[c]));
        // 10. Alerting at agent7.
        let t = self.ago(20);
        let c = self.customer(t, 1);
        let a = self
            .agent_leg(7, 1, t + Duration::seconds(12), &c)
            .state(LegState::Alerting, None);
        out.push(self.call(1, &[c, a]));
        out
    }

    /// A conference bridge with no queue: a user (an agent or the supervisor) dialled two or
    /// three outside parties. No ACD leg, no queueId: it shows only on the users' topics.
    pub(super) fn bridge(&mut self, user: &User, parties: usize) -> Conversation {
        let secs = self.rng.gen_range(30..3600);
        let t = self.ago(secs);
        let address = format!("sip:{}@demo.example", user.id);
        let mut legs = vec![
            LegSpec::new("user", &user.name, &address, t)
                .user(&user.id)
                .direction("outbound")
                .numbers(&address, "", ""),
        ];
        for k in 0..parties {
            let phone = random_phone(&mut self.rng);
            let name = BRIDGE_PARTIES[(self.customer_idx + k) % BRIDGE_PARTIES.len()];
            legs.push(
                LegSpec::new(
                    "external",
                    name,
                    &phone,
                    t + Duration::seconds(5 + 20 * k as i64),
                )
                .direction("outbound")
                .numbers(&address, &phone, &phone),
            );
        }
        self.customer_idx += 1;
        let other = legs_other(&legs[1..]);
        legs[0].other = other;
        assemble_call(&mut self.rng, t, None, &legs)
    }

    /// The load scenario: `n` live calls, about 70 % two-party and 30 % conferences, one in
    /// 33 of them a conference bridge without a queue.
    pub(super) fn load(&mut self, n: usize) -> Vec<Conversation> {
        let members: Vec<Vec<usize>> = (0..self.queues.len())
            .map(|q| {
                let id = &self.queues[q].id;
                (1..self.users.len() - 1)
                    .filter(|a| self.agent(*a).queue_ids.contains(id))
                    .collect()
            })
            .collect();
        let agent_total = self.users.len() - 2;
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            if i % LOAD_BRIDGE_EVERY == LOAD_BRIDGE_EVERY / 2 {
                let bridge_no = i / LOAD_BRIDGE_EVERY;
                let user = if bridge_no % 4 == 0 {
                    self.users[0].clone()
                } else {
                    self.agent(1 + (bridge_no * 7) % agent_total).clone()
                };
                let parties = 2 + bridge_no % 2;
                out.push(self.bridge(&user, parties));
                continue;
            }
            let q = i % self.queues.len();
            let agents = &members[q];
            let agent = agents[(i / self.queues.len()) % agents.len()];
            let secs = self.rng.gen_range(30..3600);
            let t = self.ago(secs);
            let c = self.customer(t, q);
            let a = self.agent_leg(agent, q, t + Duration::seconds(10), &c);
            let mut parties = vec![c.clone(), a];
            if self.rng.gen_bool(0.3) {
                if self.rng.gen_bool(0.5) {
                    parties.push(self.external("Partner Desk", t + Duration::seconds(120), q));
                } else {
                    let other = agents[(i / self.queues.len() + 1) % agents.len()];
                    parties.push(self.agent_leg(other, q, t + Duration::seconds(120), &c));
                }
            }
            out.push(self.call(q, &parties));
        }
        out
    }
}

/// A placeholder peer address for a leg that talks to several parties (the first of them).
fn legs_other(others: &[LegSpec]) -> String {
    others
        .first()
        .map(|o| o.address.clone())
        .unwrap_or_default()
}
