//! Wire shapes (the platform's models, as the SDKs define them) rendered from the domain model. Pure functions, no state.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::model::{Communication, Conversation, Participant, Queue, User, Wrapup};

/// ISO-8601 with milliseconds and `Z`, the platform's date format.
pub fn fmt_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Name lookups a renderer needs (queue and user references carry names).
pub struct Names<'a> {
    pub queues: &'a HashMap<String, Queue>,
    pub users: &'a HashMap<String, User>,
}

impl Names<'_> {
    /// REST references are `DomainEntityRef` (with `selfUri`); event references are
    /// `UriReference` (`id` and `name` only), as the SDK's event models declare.
    fn queue_ref(&self, id: &str, event: bool) -> Value {
        let name = self.queues.get(id).map(|q| q.name.as_str()).unwrap_or("");
        if event {
            return json!({"id": id, "name": name});
        }
        json!({"id": id, "name": name, "selfUri": format!("/api/v2/routing/queues/{id}")})
    }

    fn user_ref(&self, id: &str, event: bool) -> Value {
        let name = self.users.get(id).map(|u| u.name.as_str()).unwrap_or("");
        if event {
            return json!({"id": id, "name": name});
        }
        json!({"id": id, "name": name, "selfUri": format!("/api/v2/users/{id}")})
    }

    fn queue_name(&self, id: &str) -> Option<&str> {
        self.queues.get(id).map(|q| q.name.as_str())
    }
}

struct Obj(Map<String, Value>);

impl Obj {
    fn new() -> Self {
        Obj(Map::new())
    }
    fn set(&mut self, k: &str, v: impl Into<Value>) -> &mut Self {
        self.0.insert(k.to_owned(), v.into());
        self
    }
    fn opt_time(&mut self, k: &str, t: Option<DateTime<Utc>>) -> &mut Self {
        if let Some(t) = t {
            self.0.insert(k.to_owned(), Value::String(fmt_time(t)));
        }
        self
    }
    fn opt_str(&mut self, k: &str, s: Option<&str>) -> &mut Self {
        if let Some(s) = s {
            self.0.insert(k.to_owned(), Value::String(s.to_owned()));
        }
        self
    }
    fn done(self) -> Value {
        Value::Object(self.0)
    }
}

/// Flat participant fields shared by `CallMediaParticipant` and the call event participant.
fn flat_participant(p: &Participant, names: &Names<'_>, event: bool) -> Obj {
    let mut o = Obj::new();
    o.set("id", p.id.as_str())
        .set("name", p.name.as_str())
        .set("address", p.address.as_str())
        .set("startTime", fmt_time(p.start_time));
    if !event {
        o.opt_time("startAlertingTime", p.start_alerting_time);
    }
    o.opt_time("connectedTime", p.connected_time)
        .opt_time("endTime", p.end_time)
        .opt_time("startHoldTime", p.start_hold_time)
        .set("purpose", p.purpose.as_str())
        .set("state", p.state.as_str())
        .set("direction", p.direction.as_str())
        .opt_str("disconnectType", p.disconnect_type.as_deref())
        .set("held", p.held)
        .set("wrapupRequired", p.wrapup_required)
        .set("mediaRoles", Vec::<Value>::new())
        .set("attributes", Map::new())
        .set("muted", p.muted)
        .set("confined", p.confined)
        .set("recording", p.recording)
        .set("recordingState", "none")
        .set("ani", p.ani.as_str())
        .set("dnis", p.dnis.as_str());
    if event {
        if let Some(c) = p.calls.first() {
            o.set("initialState", c.initial_state.as_str());
        }
    }
    if let Some(u) = &p.user_id {
        o.set("user", names.user_ref(u, event));
    }
    if let Some(q) = &p.queue_id {
        o.set("queue", names.queue_ref(q, event));
    }
    if let Some(w) = &p.wrapup {
        o.set("wrapup", wrapup(w, event));
    }
    if let Some(peer) = p
        .calls
        .iter()
        .rev()
        .find(|c| c.state.is_live())
        .or(p.calls.last())
    {
        o.set("peer", peer.other_address.as_str());
    }
    o
}

/// `CallConversation` (GET /api/v2/conversations/calls/{id} and the control-plane truth).
pub fn call_conversation(c: &Conversation, names: &Names<'_>) -> Value {
    let participants: Vec<Value> = c
        .participants
        .iter()
        .map(|p| flat_participant(p, names, false).done())
        .collect();
    let mut o = Obj::new();
    o.set("id", c.id.as_str())
        .set("participants", participants)
        .set("otherMediaUris", Vec::<Value>::new())
        .set("recordingState", "none")
        .set("maxParticipants", 20)
        .set("securePause", false)
        .set("divisions", divisions(false))
        .set("selfUri", format!("/api/v2/conversations/calls/{}", c.id));
    o.done()
}

/// The truth record for the control plane: the CallConversation plus start/end and version.
pub fn truth(c: &Conversation, names: &Names<'_>) -> Value {
    let mut v = call_conversation(c, names);
    if let Value::Object(m) = &mut v {
        m.insert("startTime".into(), fmt_time(c.start_time).into());
        if let Some(e) = c.end_time {
            m.insert("endTime".into(), fmt_time(e).into());
        }
        if let Some(q) = &c.queue_id {
            m.insert("queueId".into(), q.clone().into());
        }
        m.insert("version".into(), c.version.into());
    }
    v
}

/// Event bodies carry the event `DomainEntityRef` (`id`, `selfUri`: no `name`).
fn divisions(event: bool) -> Value {
    let id = crate::scenario::HOME_DIVISION_ID;
    let self_uri = format!("/api/v2/authorization/divisions/{id}");
    if event {
        return json!([{"division": {"id": id, "selfUri": self_uri}, "entities": []}]);
    }
    json!([{"division": {"id": id, "name": "Home", "selfUri": self_uri}, "entities": []}])
}

fn address(a: &str) -> Value {
    let name = a
        .strip_prefix("tel:")
        .or_else(|| a.strip_prefix("sip:"))
        .unwrap_or(a);
    json!({"name": name, "nameRaw": name, "addressNormalized": a, "addressRaw": a, "addressDisplayable": name})
}

fn call(c: &Communication, event: bool) -> Value {
    let mut o = Obj::new();
    o.set("state", c.state.as_str())
        .set("initialState", c.initial_state.as_str())
        .set("id", c.id.as_str())
        .set("direction", c.direction.as_str())
        .set("recording", c.recording)
        .set("recordingState", "none")
        .set("muted", c.muted)
        .set("confined", c.confined)
        .set("held", c.held)
        .set("securePause", false)
        .opt_str("disconnectType", c.disconnect_type.as_deref())
        .opt_time("startHoldTime", c.start_hold_time)
        .opt_time("connectedTime", c.connected_time)
        .opt_time("disconnectedTime", c.disconnected_time)
        .set("self", address(&c.self_address))
        .set("other", address(&c.other_address));
    if !event {
        o.opt_time("startAlertingTime", c.start_alerting_time);
        o.set("disconnectReasons", Vec::<Value>::new());
        o.set("segments", Vec::<Value>::new());
    }
    o.done()
}

/// `Wrapup` on REST participants; the event models' wrap-up has no `name` or `provisional`.
fn wrapup(w: &Wrapup, event: bool) -> Value {
    let mut o = Obj::new();
    o.set("code", w.code.as_str());
    if !event {
        o.set("name", w.name.as_str());
    }
    if !w.notes.is_empty() {
        o.set("notes", w.notes.as_str());
    }
    o.set("tags", Vec::<Value>::new())
        .set("durationSeconds", w.duration_seconds)
        .set("endTime", fmt_time(w.end_time));
    if !event {
        o.set("provisional", false);
    }
    o.done()
}

fn participant_with_calls(p: &Participant, names: &Names<'_>, event: bool) -> Obj {
    let mut o = Obj::new();
    o.set("id", p.id.as_str());
    if !event {
        o.set("startTime", fmt_time(p.start_time));
    }
    o.opt_time("endTime", p.end_time)
        .opt_time("connectedTime", p.connected_time)
        .set("name", p.name.as_str())
        .opt_str("userId", p.user_id.as_deref())
        .opt_str("queueId", p.queue_id.as_deref())
        .set("purpose", p.purpose.as_str())
        .set("address", p.address.as_str())
        .set("wrapupRequired", p.wrapup_required)
        .set("mediaRoles", Vec::<Value>::new())
        .set("attributes", Map::new())
        .set(
            "calls",
            p.calls.iter().map(|c| call(c, event)).collect::<Vec<_>>(),
        );
    if let Some(w) = &p.wrapup {
        o.set("wrapup", wrapup(w, event));
    }
    if !event {
        if let Some(u) = &p.user_id {
            o.set("userUri", format!("/api/v2/users/{u}"));
        }
        if let Some(name) = p.queue_id.as_deref().and_then(|q| names.queue_name(q)) {
            o.set("queueName", name);
        }
        o.set("participantType", "External");
        if p.user_id.is_some() {
            o.set("participantType", "Internal");
        }
        o.set("ani", p.ani.as_str()).set("dnis", p.dnis.as_str());
    }
    o
}

/// Generic `Conversation` (GET /api/v2/conversations/{id}): participants carry `calls[]`, no state.
pub fn conversation(c: &Conversation, names: &Names<'_>) -> Value {
    let participants: Vec<Value> = c
        .participants
        .iter()
        .map(|p| participant_with_calls(p, names, false).done())
        .collect();
    let mut o = Obj::new();
    o.set("id", c.id.as_str())
        .set("startTime", fmt_time(c.start_time))
        .opt_time("endTime", c.end_time)
        .set("address", c.address.as_str())
        .set("participants", participants)
        .set("conversationIds", Vec::<Value>::new())
        .set("maxParticipants", 20)
        .set("recordingState", "NONE")
        .set("divisions", divisions(false))
        .set("recentTransfers", Vec::<Value>::new())
        .set("securePause", false)
        .set("selfUri", format!("/api/v2/conversations/{}", c.id));
    o.done()
}

/// `ConversationCallEventTopicCallConversation` (the `.conversations.calls` topics).
pub fn call_event_body(c: &Conversation, names: &Names<'_>) -> Value {
    let participants: Vec<Value> = c
        .participants
        .iter()
        .map(|p| flat_participant(p, names, true).done())
        .collect();
    let mut o = Obj::new();
    o.set("id", c.id.as_str())
        .set("participants", participants)
        .set("otherMediaUris", Vec::<Value>::new())
        .set("address", c.address.as_str())
        .set("recordingState", "none")
        .set("securePause", false)
        .set("maxParticipants", 20)
        .set("divisions", divisions(true));
    o.done()
}

/// `ConversationEventTopicConversation` (the plain `.conversations` topics).
pub fn conversation_event_body(c: &Conversation, names: &Names<'_>) -> Value {
    let participants: Vec<Value> = c
        .participants
        .iter()
        .map(|p| participant_with_calls(p, names, true).done())
        .collect();
    let mut o = Obj::new();
    o.set("id", c.id.as_str())
        .set("maxParticipants", 20)
        .set("participants", participants)
        .set("recordingState", "none")
        .set("address", c.address.as_str())
        .set("securePause", false)
        .set("divisions", divisions(true));
    o.done()
}

/// A user in the `User`/`UserMe` shape (without expansions).
pub fn user(u: &User) -> Value {
    json!({
        "id": u.id,
        "name": u.name,
        "division": {"id": crate::scenario::HOME_DIVISION_ID, "name": "Home",
            "selfUri": format!("/api/v2/authorization/divisions/{}", crate::scenario::HOME_DIVISION_ID)},
        "department": u.department,
        "email": u.email,
        "primaryContactInfo": [{"address": u.email, "mediaType": "EMAIL", "type": "PRIMARY"}],
        "addresses": [],
        "state": "active",
        "title": u.title,
        "username": u.email,
        "images": [],
        "version": 1,
        "acdAutoAnswer": false,
        "selfUri": format!("/api/v2/users/{}", u.id),
    })
}

/// A user's `UserAuthorization` expansion.
pub fn user_authorization(u: &User) -> Value {
    json!({
        "roles": [{"id": crate::ids::name_uuid(&u.role), "name": u.role}],
        "unusedRoles": [],
        "permissions": u.permissions,
        "permissionPolicies": [],
    })
}

/// A queue in the `Queue` shape.
/// `transcription` is whether the org transcribes the queue's calls (licensed and switched on).
pub fn queue(q: &Queue, member_count: usize, transcription: bool) -> Value {
    json!({
        "id": q.id,
        "name": q.name,
        "division": {"id": crate::scenario::HOME_DIVISION_ID, "name": "Home",
            "selfUri": format!("/api/v2/authorization/divisions/{}", crate::scenario::HOME_DIVISION_ID)},
        "description": q.description,
        "dateCreated": "2024-01-15T09:00:00.000Z",
        "memberCount": member_count,
        "userMemberCount": member_count,
        "joinedMemberCount": member_count,
        "skillEvaluationMethod": "BEST",
        "scoringMethod": "TimestampAndPriority",
        "autoAnswerOnly": false,
        "enableTranscription": transcription,
        "enableManualAssignment": false,
        "callingPartyName": q.name,
        "selfUri": format!("/api/v2/routing/queues/{}", q.id),
    })
}
