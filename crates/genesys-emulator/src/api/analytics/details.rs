//! The conversation details query and single read: lagging, day-based and depth-capped, as the
//! platform's near-real-time details are (see the README's "Analytics details").

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::{Filter, Predicate, object, parse_filter, test_value};
use crate::api::{json_body, require_any, value_text};
use crate::errors::ApiError;
use crate::model::{Communication, Conversation, LegState, Participant};
use crate::render::fmt_time;
use crate::scenario::{HOME_DIVISION_ID, PERM_CONVERSATION_DETAIL};
use crate::tokens::Principal;
use crate::world::Shared;

fn analytics_disconnect(t: &str) -> &'static str {
    match t {
        "client" => "client",
        "peer" => "peer",
        "endpoint" => "endpoint",
        "transfer" => "transfer",
        "transport.failure" => "transportFailure",
        "system" => "system",
        "error" => "error",
        "timeout" => "timeout",
        _ => "other",
    }
}

/// The conference bridge id every session of a conversation shares (a stable id derived from
/// the conversation id: the platform's `mediaBridgeId` is not the conversation id).
fn media_bridge_id(c: &Conversation) -> String {
    crate::ids::name_uuid(&format!("media-bridge:{}", c.id))
}

/// One analytics segment of one session, before rendering.
struct Segment<'a> {
    kind: &'static str,
    start: DateTime<Utc>,
    /// `None` while the segment is open (the JSON then has no `segmentEnd`).
    end: Option<DateTime<Utc>>,
    disconnect_type: Option<&'a str>,
    /// The leg's mute flag (no mute history is kept: open segments show the current mute,
    /// closed ones the leg's last; alert segments are never muted).
    muted: bool,
}

/// The segments of one communication (`alert`, `interact`, `hold`), without allocating:
/// the filters walk them for every conversation of a 10,000-call query.
fn segments(call: &Communication) -> impl Iterator<Item = Segment<'_>> {
    let ended = call.disconnected_time;
    let alert = call.start_alerting_time.and_then(|alert| {
        (call.connected_time.is_some() || !call.state.is_live() || call.state == LegState::Alerting)
            .then(|| Segment {
                kind: "alert",
                start: alert,
                end: call.connected_time.or(ended),
                disconnect_type: if call.connected_time.is_none() {
                    call.disconnect_type.as_deref()
                } else {
                    None
                },
                muted: false,
            })
    });
    let interact = call.connected_time.map(|conn| Segment {
        kind: "interact",
        start: conn,
        end: call.start_hold_time.or(ended),
        disconnect_type: if call.start_hold_time.is_none() {
            call.disconnect_type.as_deref()
        } else {
            None
        },
        muted: call.muted,
    });
    let hold = call
        .connected_time
        .and(call.start_hold_time)
        .map(|hold| Segment {
            kind: "hold",
            start: hold,
            end: ended,
            disconnect_type: call.disconnect_type.as_deref(),
            muted: call.muted,
        });
    [alert, interact, hold].into_iter().flatten()
}

fn segment_json(s: &Segment<'_>, p: &Participant, conference: bool) -> Value {
    let mut v = json!({
        "segmentStart": fmt_time(s.start),
        "segmentType": s.kind,
        "conference": conference,
        "audioMuted": s.muted,
    });
    if let Some(e) = s.end {
        v["segmentEnd"] = fmt_time(e).into();
    }
    if let Some(q) = &p.queue_id {
        v["queueId"] = q.clone().into();
    }
    if let Some(d) = s.disconnect_type {
        v["disconnectType"] = analytics_disconnect(d).into();
    }
    v
}

/// One session per communication (`sessionId` is the `calls[].id`).
fn sessions_json(p: &Participant, conference: bool, bridge: &str) -> Vec<Value> {
    p.calls
        .iter()
        .map(|call| {
            let segs: Vec<Value> = segments(call)
                .map(|s| segment_json(&s, p, conference))
                .collect();
            json!({
                "sessionId": call.id,
                "mediaType": "voice",
                "direction": call.direction,
                "ani": p.ani,
                "dnis": p.dnis,
                "addressFrom": p.ani,
                "addressTo": p.dnis,
                "addressSelf": call.self_address,
                "addressOther": call.other_address,
                "provider": "Edge",
                "mediaBridgeId": bridge,
                "segments": segs,
            })
        })
        .collect()
}

fn is_conference(c: &Conversation) -> bool {
    c.participants
        .iter()
        .filter(|p| !p.is_acd() && p.connected_time.is_some())
        .count()
        >= 3
}

/// The `AnalyticsConversationWithoutAttributes` of a conversation (`participantId` is the
/// Conversations API participant id).
fn analytics_conversation(c: &Conversation) -> Value {
    let conference = is_conference(c);
    let bridge = media_bridge_id(c);
    let participants: Vec<Value> = c
        .participants
        .iter()
        .map(|p| {
            let mut v = json!({
                "participantId": p.id,
                "participantName": p.name,
                "purpose": p.purpose,
                "sessions": sessions_json(p, conference, &bridge),
            });
            if let Some(u) = &p.user_id {
                v["userId"] = u.clone().into();
            }
            v
        })
        .collect();
    let customer = c.participants.iter().any(|p| p.purpose == "customer");
    let mut v = json!({
        "conversationId": c.id,
        "conversationStart": fmt_time(c.start_time),
        "originatingDirection": if customer { "inbound" } else { "outbound" },
        "conversationInitiator": if customer { "customer" } else { "agent" },
        "customerParticipation": customer,
        "divisionIds": [HOME_DIVISION_ID],
        "participants": participants,
    });
    if let Some(e) = c.end_time {
        v["conversationEnd"] = fmt_time(e).into();
    }
    if conference {
        if let Some(t) = c
            .participants
            .iter()
            .filter(|p| !p.is_acd())
            .filter_map(|p| p.connected_time)
            .nth(2)
        {
            v["conferenceStart"] = fmt_time(t).into();
        }
    }
    v
}

fn originating_direction(c: &Conversation) -> &'static str {
    if c.participants.iter().any(|p| p.purpose == "customer") {
        "inbound"
    } else {
        "outbound"
    }
}

fn bad_interval(s: &str, why: &str) -> ApiError {
    ApiError::invalid_date(format!(
        "Invalid interval [{s}]: {why}. Expected an ISO-8601 interval start/end, such as 2024-01-01T00:00:00.000Z/2024-01-02T00:00:00.000Z."
    ))
}

fn parse_interval(obj: &Map<String, Value>) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    let raw = match obj.get("interval") {
        None | Some(Value::Null) => {
            return Err(ApiError::bad_request(
                "interval is required (an ISO-8601 interval start/end).",
            ));
        }
        Some(raw) => raw,
    };
    let Some(s) = raw.as_str() else {
        return Err(ApiError::invalid_date(
            "interval must be a string start/end.",
        ));
    };
    let parts: Vec<&str> = s.split('/').collect();
    if parts.len() != 2 {
        return Err(bad_interval(s, "it is not of the form start/end"));
    }
    let parse = |t: &str, which: &str| {
        DateTime::parse_from_rfc3339(t.trim())
            .map(|d| d.with_timezone(&Utc))
            .map_err(|_| {
                bad_interval(
                    s,
                    &format!("the {which} [{t}] is not an ISO-8601 date-time"),
                )
            })
    };
    let (a, b) = (parse(parts[0], "start")?, parse(parts[1], "end")?);
    if a >= b {
        return Err(bad_interval(s, "the start must be before the end"));
    }
    Ok((a, b))
}

/// docs/genesys-api.md "Reading many calls": a conversation is in the results when its start falls on a UTC day the
/// interval touches (end exclusive), not when its lifetime overlaps the interval.
fn on_touched_day(start: DateTime<Utc>, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
    let day = start.date_naive();
    let first = from.date_naive();
    let last = (to - chrono::Duration::nanoseconds(1)).date_naive();
    first <= day && day <= last
}

fn filters(obj: &Map<String, Value>, field: &str) -> Result<Vec<Filter>, ApiError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(fs)) => fs.iter().map(parse_filter).collect(),
        Some(_) => Err(ApiError::bad_request(format!("{field} must be an array."))),
    }
}

const CONVERSATION_DIMENSIONS: &[&str] = &[
    "conversationEnd",
    "conversationId",
    "originatingDirection",
    "conversationStart",
];
const SEGMENT_DIMENSIONS: &[&str] = &[
    "queueId",
    "mediaType",
    "segmentEnd",
    "userId",
    "purpose",
    "direction",
    "segmentType",
    "conversationId",
];
/// The largest details page the platform serves.
const MAX_PAGE_SIZE: usize = 100;

fn conversation_matches(c: &Conversation, conv_filters: &[Filter]) -> bool {
    conv_filters.iter().all(|f| {
        f.eval(&|pr: &Predicate| match pr.dimension.as_str() {
            "conversationEnd" => match pr.operator.as_str() {
                "exists" => c.end_time.is_some(),
                "notExists" => c.end_time.is_none(),
                _ => test_value(pr, c.end_time.map(fmt_time).as_deref()),
            },
            "conversationId" => test_value(pr, Some(&c.id)),
            "originatingDirection" => test_value(pr, Some(originating_direction(c))),
            _ => pr.operator == "exists",
        })
    })
}

fn segments_match(c: &Conversation, seg_filters: &[Filter]) -> bool {
    if seg_filters.is_empty() {
        return true;
    }
    let rows = || {
        c.participants.iter().flat_map(|p| {
            p.calls
                .iter()
                .flat_map(move |call| segments(call).map(move |s| (p, s)))
        })
    };
    seg_filters.iter().all(|f| {
        rows().any(|(part, row)| {
            f.eval(&|pr: &Predicate| match pr.dimension.as_str() {
                "queueId" => test_value(pr, part.queue_id.as_deref()),
                "mediaType" => test_value(pr, Some("voice")),
                "segmentEnd" => test_value(pr, row.end.is_some().then_some("ended")),
                "userId" => test_value(pr, part.user_id.as_deref()),
                "purpose" => test_value(pr, Some(&part.purpose)),
                "direction" => test_value(pr, Some(&part.direction)),
                "segmentType" => test_value(pr, Some(row.kind)),
                "conversationId" => test_value(pr, Some(&c.id)),
                _ => false,
            })
        })
    })
}

fn paging(obj: &Map<String, Value>) -> Result<(usize, usize), ApiError> {
    let Some(pg) = obj.get("paging").filter(|v| !v.is_null()) else {
        return Ok((25, 1));
    };
    let n = |k: &str, d: usize| match pg.get(k) {
        None | Some(Value::Null) => Some(d),
        Some(v) => v.as_u64().map(|x| x as usize),
    };
    match (n("pageSize", 25), n("pageNumber", 1)) {
        (Some(s), Some(nr)) if (1..=MAX_PAGE_SIZE).contains(&s) && nr >= 1 => Ok((s, nr)),
        (Some(s), _) if s > MAX_PAGE_SIZE => Err(ApiError::bad_request(format!(
            "pageSize [{s}] is too large: the maximum page size is [{MAX_PAGE_SIZE}]."
        ))),
        _ => Err(ApiError::bad_request(format!(
            "paging needs pageSize 1..{MAX_PAGE_SIZE} and pageNumber >= 1."
        ))),
    }
}

pub(super) async fn conversation_details(
    State(shared): State<Arc<Shared>>,
    Extension(p): Extension<Principal>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let obj = object(json_body(&body, false)?, "ConversationQuery")?;
    let (from, to) = parse_interval(&obj)?;
    let conv_filters = filters(&obj, "conversationFilters")?;
    let seg_filters = filters(&obj, "segmentFilters")?;
    for f in &conv_filters {
        for pr in f.all_predicates() {
            if !CONVERSATION_DIMENSIONS.contains(&pr.dimension.as_str()) {
                return Err(ApiError::invalid_value(
                    &pr.dimension,
                    "ConversationDimension",
                    &CONVERSATION_DIMENSIONS.join(", "),
                ));
            }
        }
    }
    for f in &seg_filters {
        for pr in f.all_predicates() {
            if !SEGMENT_DIMENSIONS.contains(&pr.dimension.as_str()) {
                return Err(ApiError::invalid_value(
                    &pr.dimension,
                    "SegmentDimension",
                    &SEGMENT_DIMENSIONS.join(", "),
                ));
            }
        }
    }
    let desc = match obj.get("order") {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) if s == "asc" || s == "unordered" => false,
        Some(Value::String(s)) if s == "desc" => true,
        Some(other) => {
            return Err(ApiError::invalid_value(
                &value_text(other),
                "Order",
                "asc, desc, unordered",
            ));
        }
    };
    let (page_size, page_number) = paging(&obj)?;
    require_any(&p, DETAIL_PERMISSIONS)?;
    let mut w = shared.lock();
    let max = w.analytics.max_results;
    if page_number.saturating_mul(page_size) > max {
        return Err(ApiError::bad_request(format!(
            "The requested page is too deep: pageNumber [{page_number}] with pageSize [{page_size}] \
             reaches result [{}], past the maximum result depth of [{max}]. Narrow the interval or \
             the filters instead of paging further.",
            page_number.saturating_mul(page_size)
        )));
    }
    let at = Utc::now() - w.analytics.lag;
    w.history.prune_all(at);
    let w = &*w;
    let mut hits: Vec<&Conversation> = Vec::new();
    for current in w.ordered_conversations() {
        let Some(c) = w.history.view(current, at) else {
            continue;
        };
        if on_touched_day(c.start_time, from, to)
            && conversation_matches(c, &conv_filters)
            && segments_match(c, &seg_filters)
        {
            hits.push(c);
        }
    }
    hits.sort_by_key(|c| c.start_time);
    if desc {
        hits.reverse();
    }
    let total = hits.len();
    let page: Vec<Value> = hits
        .into_iter()
        .skip((page_number - 1).saturating_mul(page_size))
        .take(page_size)
        .map(analytics_conversation)
        .collect();
    let mut out = json!({"totalHits": total});
    if !page.is_empty() {
        out["conversations"] = page.into();
    }
    Ok(Json(out))
}

const DETAIL_PERMISSIONS: &[&str] = &[
    PERM_CONVERSATION_DETAIL,
    "analytics:agentConversationDetail:view",
];

pub(super) async fn conversation_detail(
    State(shared): State<Arc<Shared>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    require_any(&p, DETAIL_PERMISSIONS)?;
    let w = shared.lock();
    let at = Utc::now() - w.analytics.lag;
    w.conversations
        .get(&id)
        .and_then(|c| w.history.view(c, at))
        .map(|c| Json(analytics_conversation(c)))
        .ok_or_else(|| ApiError::not_found(format!("Conversation [{id}] not found.")))
}
