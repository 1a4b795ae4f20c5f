//! The built-in worlds (demo, empty, load) and their well-known constants.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::ScenarioName;
use crate::factory::{LegSpec, set_held, set_muted};
use crate::ids::seeded_uuid;
use crate::model::{Communication, Conversation, LegState, OAuthClient, Queue, User};

/// The public desktop client (PKCE S256 required, no secret), as the app registers it.
pub const PUBLIC_CLIENT_ID: &str = "bridgekeeper-desktop";
/// The confidential client (authorization code with Basic secret, refresh tokens).
pub const CONFIDENTIAL_CLIENT_ID: &str = "demo-confidential";
/// The service client (client credentials only).
pub const SERVICE_CLIENT_ID: &str = "demo-service";
/// Secret of the confidential and service clients.
pub const DEMO_CLIENT_SECRET: &str = "demo-secret";
/// The redirect URIs registered on the demo clients, matched exactly.
pub const DEMO_REDIRECT_URIS: [&str; 2] = [
    "http://localhost:8765/oauth/callback",
    "http://127.0.0.1:8765/oauth/callback",
];
/// The supervisor who may drop anyone.
pub const SUPERVISOR_EMAIL: &str = "supervisor@demo.example";
/// A user who may view everything but disconnect nobody (refusal tests).
pub const OBSERVER_EMAIL: &str = "observer@demo.example";
/// Number of agents (agent1@demo.example ... agent14@demo.example).
pub const AGENT_COUNT: usize = 14;
/// The demo queues, in order.
pub const QUEUE_NAMES: [&str; 4] = ["Support", "Billing", "Sales", "Retention"];
/// The emulated organisation's name (accepted as the orgName part of a login_hint).
pub const ORG_NAME: &str = "bridgekeeper-demo";
/// The emulated organisation's id.
pub const ORG_ID: &str = "0c4f2b7e-5d1a-4c8e-9b3f-2a6d8e1f0b42";
/// The home division every object belongs to.
pub const HOME_DIVISION_ID: &str = "6e2e2f5a-0b7e-4c39-9a53-0d7c0c2b1a11";

/// Permission to drop any party (the supervisor has it; agents and the observer do not).
pub const PERM_DISCONNECT: &str = "conversation:communication:disconnect";
/// Permission to read conversations.
pub const PERM_VIEW: &str = "conversation:communication:view";
/// Permission for queue observations.
pub const PERM_QUEUE_OBSERVATION: &str = "analytics:queueObservation:view";
/// Permission to list queues.
pub const PERM_QUEUE_VIEW: &str = "routing:queue:view";
/// Permission for conversation detail queries.
pub const PERM_CONVERSATION_DETAIL: &str = "analytics:conversationDetail:view";

/// The email of agent `n` (1-based).
pub fn agent_email(n: usize) -> String {
    format!("agent{n}@demo.example")
}

const AGENT_NAMES: [&str; AGENT_COUNT] = [
    "Ava Thompson",
    "Liam Carter",
    "Noah Patel",
    "Emma Rodriguez",
    "Olivia Nguyen",
    "Mason Brooks",
    "Sophia Kim",
    "Lucas Meyer",
    "Isabella Rossi",
    "Ethan Walker",
    "Mia Hernandez",
    "James O'Connor",
    "Amelia Schmidt",
    "Benjamin Adeyemi",
];

/// Calls per agent in the load scenario: an agent carries a plausible handful of calls
/// (counting conference legs), not 70 as 14 agents on 1,000 calls would.
const LOAD_CALLS_PER_AGENT: usize = 3;

/// Share of load-scenario calls that are conference bridges without a queue (one in 33, ~3 %).
const LOAD_BRIDGE_EVERY: usize = 33;

/// Agents in the load scenario for `calls` live calls (never fewer than the demo's 14).
pub fn load_agent_count(calls: usize) -> usize {
    AGENT_COUNT.max(calls.div_ceil(LOAD_CALLS_PER_AGENT))
}

const FIRST_NAMES: [&str; 20] = [
    "Aiden", "Bella", "Caleb", "Dana", "Elias", "Fiona", "Gabriel", "Harper", "Ivan", "Jade",
    "Kai", "Layla", "Miles", "Nina", "Owen", "Paige", "Quinn", "Ruby", "Simon", "Tessa",
];
const LAST_NAMES: [&str; 20] = [
    "Abbott",
    "Bauer",
    "Castillo",
    "Dawson",
    "Ellis",
    "Foster",
    "Garcia",
    "Hayes",
    "Ibrahim",
    "Jovanovic",
    "Keller",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okoye",
    "Park",
    "Quintero",
    "Reyes",
    "Sato",
    "Turner",
];

/// The display name of agent index `i` (0-based): the demo's names first, then generated ones.
fn agent_name(i: usize) -> String {
    if let Some(n) = AGENT_NAMES.get(i) {
        return (*n).to_owned();
    }
    let k = i - AGENT_COUNT;
    let combos = FIRST_NAMES.len() * LAST_NAMES.len();
    let base = format!(
        "{} {}",
        FIRST_NAMES[k % FIRST_NAMES.len()],
        LAST_NAMES[(k / FIRST_NAMES.len()) % LAST_NAMES.len()]
    );
    if k < combos {
        base
    } else {
        format!("{base} {}", k / combos + 1)
    }
}

/// Queue indexes each agent belongs to (agent n at index n-1).
const AGENT_QUEUES: [&[usize]; AGENT_COUNT] = [
    &[0],
    &[0],
    &[0],
    &[0, 2],
    &[1],
    &[1],
    &[1],
    &[2],
    &[2],
    &[2],
    &[3],
    &[3],
    &[3, 1],
    &[3],
];

/// Outside parties a user bridges in directly (no queue).
const BRIDGE_PARTIES: [&str; 6] = [
    "Northwind Insurance",
    "Contoso Legal",
    "Fabrikam Claims",
    "Tailspin Travel",
    "Litware Escalations",
    "Adatum Interpreter",
];

const CUSTOMER_NAMES: [&str; 16] = [
    "Jordan Blake",
    "Priya Raman",
    "Marcus Lee",
    "Hannah Fischer",
    "Diego Alvarez",
    "Chloe Dubois",
    "Samuel Okafor",
    "Grace Liu",
    "Victor Petrov",
    "Nora Jensen",
    "Omar Haddad",
    "Lena Novak",
    "Tomás Silva",
    "Yuki Tanaka",
    "Rachel Green",
    "Felix Wagner",
];

/// Everything a scenario loads into the world.
pub struct ScenarioData {
    pub users: Vec<User>,
    pub queues: Vec<Queue>,
    pub clients: Vec<OAuthClient>,
    pub conversations: Vec<Conversation>,
    /// The RNG after loading, continued by churn and runtime-created calls.
    pub rng: ChaCha8Rng,
    /// Whether the org's licence includes transcription.
    pub transcription_licensed: bool,
    /// Whether transcription is switched on for the queues.
    pub transcription_enabled: bool,
}

fn supervisor_permissions() -> Vec<String> {
    [
        PERM_DISCONNECT,
        PERM_VIEW,
        PERM_QUEUE_OBSERVATION,
        PERM_QUEUE_VIEW,
        PERM_CONVERSATION_DETAIL,
        crate::transcription::PERM_TRANSCRIPTION,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

/// The demo OAuth clients.
pub fn demo_clients() -> Vec<OAuthClient> {
    let redirects: Vec<String> = DEMO_REDIRECT_URIS.iter().map(|s| (*s).to_owned()).collect();
    vec![
        OAuthClient {
            id: PUBLIC_CLIENT_ID.to_owned(),
            name: "Bridgekeeper Desktop".to_owned(),
            secret: None,
            redirect_uris: redirects.clone(),
            grants: vec!["authorization_code".to_owned()],
            permissions: Vec::new(),
        },
        OAuthClient {
            id: CONFIDENTIAL_CLIENT_ID.to_owned(),
            name: "Demo Confidential".to_owned(),
            secret: Some(DEMO_CLIENT_SECRET.to_owned()),
            redirect_uris: redirects,
            grants: vec!["authorization_code".to_owned(), "refresh_token".to_owned()],
            permissions: Vec::new(),
        },
        OAuthClient {
            id: SERVICE_CLIENT_ID.to_owned(),
            name: "Demo Service".to_owned(),
            secret: Some(DEMO_CLIENT_SECRET.to_owned()),
            redirect_uris: Vec::new(),
            grants: vec!["client_credentials".to_owned()],
            permissions: supervisor_permissions(),
        },
    ]
}

/// Queue dialled number (DNIS) for queue index `i`.
pub fn queue_dnis(i: usize) -> String {
    format!("tel:+1800555010{}", i + 1)
}

fn random_phone(rng: &mut ChaCha8Rng) -> String {
    format!("tel:+1555{:07}", rng.gen_range(0..10_000_000u32))
}

/// Builds the scenario's world data; deterministic for a given seed (times aside).
pub fn build(name: ScenarioName, seed: u64, load_count: usize, now: DateTime<Utc>) -> ScenarioData {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let queues: Vec<Queue> = QUEUE_NAMES
        .iter()
        .map(|n| Queue {
            id: seeded_uuid(&mut rng),
            name: (*n).to_owned(),
            description: format!("{n} inbound voice"),
        })
        .collect();
    let all_queues: Vec<String> = queues.iter().map(|q| q.id.clone()).collect();
    let mut users = vec![
        User {
            id: seeded_uuid(&mut rng),
            name: "Sam Supervisor".to_owned(),
            email: SUPERVISOR_EMAIL.to_owned(),
            title: "Contact Center Supervisor".to_owned(),
            department: "Operations".to_owned(),
            role: "Supervisor".to_owned(),
            permissions: supervisor_permissions(),
            queue_ids: all_queues.clone(),
        },
        User {
            id: seeded_uuid(&mut rng),
            name: "Olive Observer".to_owned(),
            email: OBSERVER_EMAIL.to_owned(),
            title: "Quality Analyst".to_owned(),
            department: "Quality".to_owned(),
            role: "Quality Analyst".to_owned(),
            permissions: [
                PERM_VIEW,
                PERM_QUEUE_OBSERVATION,
                PERM_QUEUE_VIEW,
                PERM_CONVERSATION_DETAIL,
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
            queue_ids: all_queues,
        },
    ];
    let agents = match name {
        ScenarioName::Load => load_agent_count(load_count),
        _ => AGENT_COUNT,
    };
    for i in 0..agents {
        let queue_idx: Vec<usize> = match AGENT_QUEUES.get(i) {
            Some(qs) => qs.to_vec(),
            // Extra load agents: one queue each, every fifth one a second queue too.
            None if i % 5 == 0 => vec![i % queues.len(), (i + 1) % queues.len()],
            None => vec![i % queues.len()],
        };
        users.push(User {
            id: seeded_uuid(&mut rng),
            name: agent_name(i),
            email: agent_email(i + 1),
            title: "Customer Care Agent".to_owned(),
            department: "Customer Care".to_owned(),
            role: "Agent".to_owned(),
            permissions: vec![PERM_VIEW.to_owned()],
            queue_ids: queue_idx.iter().map(|q| queues[*q].id.clone()).collect(),
        });
    }
    let mut world = Builder {
        rng,
        now,
        queues: &queues,
        users: &users,
        customer_idx: 0,
    };
    let conversations = match name {
        ScenarioName::Empty => Vec::new(),
        ScenarioName::Demo => world.demo(),
        ScenarioName::Load => world.load(load_count),
    };
    ScenarioData {
        rng: world.rng,
        users,
        queues,
        clients: demo_clients(),
        conversations,
        transcription_licensed: true,
        transcription_enabled: false,
    }
}

/// Puts a call together: the first party (the caller), then the ACD leg when a queue is given,
/// then the others. The ACD leg is `disconnected` once an agent is connected, else `connected`.
pub fn assemble_call(
    rng: &mut ChaCha8Rng,
    start: DateTime<Utc>,
    queue: Option<(&Queue, String)>,
    parties: &[LegSpec],
) -> Conversation {
    let id = seeded_uuid(rng);
    let mut participants = Vec::new();
    let address = queue
        .as_ref()
        .map(|(_, dnis)| dnis.clone())
        .unwrap_or_default();
    for (i, spec) in parties.iter().enumerate() {
        participants.push(spec.build(rng));
        if i == 0 {
            if let Some((q, dnis)) = &queue {
                // The queue leg ends when the first agent connects (their leg connects 2 s in).
                let answered_at = parties
                    .iter()
                    .filter(|p| {
                        matches!(p.purpose.as_str(), "agent" | "user")
                            && p.state == LegState::Connected
                    })
                    .map(|p| p.start + Duration::seconds(2))
                    .min();
                let state = if answered_at.is_some() {
                    LegState::Disconnected
                } else {
                    LegState::Connected
                };
                let mut acd = LegSpec::new("acd", &q.name, dnis, start + Duration::seconds(1))
                    .queue(Some(&q.id))
                    .state(state, Some("transfer"))
                    .numbers(&spec.address, dnis, &spec.address);
                if let Some(at) = answered_at {
                    acd = acd.ended_at(at);
                }
                participants.push(acd.build(rng));
            }
        }
    }
    Conversation {
        id,
        start_time: start,
        end_time: None,
        queue_id: queue.map(|(q, _)| q.id.clone()),
        address,
        participants,
        version: 1,
    }
}

struct Builder<'a> {
    rng: ChaCha8Rng,
    now: DateTime<Utc>,
    queues: &'a [Queue],
    users: &'a [User],
    customer_idx: usize,
}

impl Builder<'_> {
    fn agent(&self, n: usize) -> &User {
        &self.users[n + 1]
    }

    fn customer(&mut self, start: DateTime<Utc>, q: usize) -> LegSpec {
        let name = CUSTOMER_NAMES[self.customer_idx % CUSTOMER_NAMES.len()];
        self.customer_idx += 1;
        let phone = random_phone(&mut self.rng);
        let dnis = queue_dnis(q);
        LegSpec::new("customer", name, &phone, start).numbers(&phone, &dnis, &dnis)
    }

    fn agent_leg(&self, n: usize, q: usize, start: DateTime<Utc>, customer: &LegSpec) -> LegSpec {
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

    fn external(&mut self, name: &str, start: DateTime<Utc>, q: usize) -> LegSpec {
        let phone = random_phone(&mut self.rng);
        LegSpec::new("external", name, &phone, start)
            .direction("outbound")
            .numbers(&queue_dnis(q), &phone, &phone)
    }

    fn call(&mut self, q: usize, parties: &[LegSpec]) -> Conversation {
        let start = parties[0].start;
        let queue = (&self.queues[q], queue_dnis(q));
        assemble_call(&mut self.rng, start, Some(queue), parties)
    }

    fn ago(&self, secs: i64) -> DateTime<Utc> {
        self.now - Duration::seconds(secs)
    }

    /// The demo: conferences, two-party calls and every phantom the app must survive.
    fn demo(&mut self) -> Vec<Conversation> {
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
    fn bridge(&mut self, user: &User, parties: usize) -> Conversation {
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
    fn load(&mut self, n: usize) -> Vec<Conversation> {
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

/// Queue members by queue id (users whose `queue_ids` contain it).
pub fn members(users: &HashMap<String, User>, queue_id: &str) -> usize {
    users
        .values()
        .filter(|u| u.queue_ids.iter().any(|q| q == queue_id))
        .count()
}
