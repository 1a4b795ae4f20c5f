//! The built-in worlds (demo, empty, load and the idle-leg ones in `findings`) and their
//! well-known constants.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

mod builder;
mod findings;
mod names;

use builder::Builder;
use names::agent_name;

use crate::config::ScenarioName;
use crate::factory::LegSpec;
use crate::ids::seeded_uuid;
use crate::model::{Conversation, LegState, OAuthClient, Queue, User};

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

/// Calls per agent in the load scenario: an agent carries a plausible handful of calls
/// (counting conference legs), not 70 as 14 agents on 1,000 calls would.
const LOAD_CALLS_PER_AGENT: usize = 3;

/// Agents in the load scenario for `calls` live calls (never fewer than the demo's 14).
pub fn load_agent_count(calls: usize) -> usize {
    AGENT_COUNT.max(calls.div_ceil(LOAD_CALLS_PER_AGENT))
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
    /// Standing faults the world starts with (the idle-leg worlds' stuck and deaf legs).
    pub faults: Vec<crate::faults::FaultSpec>,
    /// Parties that never speak on their own: (conversation id, participant id).
    pub silenced: Vec<(String, String)>,
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

pub(super) fn random_phone(rng: &mut ChaCha8Rng) -> String {
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
    let (conversations, extras) = match name {
        ScenarioName::Empty => (Vec::new(), None),
        ScenarioName::Demo => (world.demo(), None),
        ScenarioName::Load => (world.load(load_count), None),
        other => match world.findings(other) {
            Some((convs, x)) => (convs, Some(x)),
            None => (Vec::new(), None),
        },
    };
    let x = extras.unwrap_or(findings::Extras {
        licensed: true,
        ..Default::default()
    });
    ScenarioData {
        rng: world.rng,
        users,
        queues,
        clients: demo_clients(),
        conversations,
        transcription_licensed: x.licensed,
        transcription_enabled: x.enabled,
        faults: x.faults,
        silenced: x.silenced,
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

/// Queue members by queue id (users whose `queue_ids` contain it).
pub fn members(users: &HashMap<String, User>, queue_id: &str) -> usize {
    users
        .values()
        .filter(|u| u.queue_ids.iter().any(|q| q == queue_id))
        .count()
}
