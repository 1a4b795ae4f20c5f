//! `POST /api/v2/analytics/queues/observations/query`: real time, straight from the world.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::{object, parse_filter};
use crate::api::{json_body, require_any};
use crate::errors::ApiError;
use crate::model::{Conversation, LegState, Participant};
use crate::render::fmt_time;
use crate::scenario::{PERM_QUEUE_OBSERVATION, members};
use crate::tokens::Principal;
use crate::world::{Shared, World};

const OBSERVATION_METRICS: &[&str] = &[
    "oInteracting",
    "oWaiting",
    "oAlerting",
    "oMemberUsers",
    "oActiveUsers",
    "oLongestInteracting",
    "oLongestWaiting",
];
const DETAIL_METRICS: &[&str] = &["oInteracting", "oWaiting", "oAlerting"];

fn customer_name(c: &Conversation) -> String {
    c.participants
        .iter()
        .find(|p| p.purpose == "customer" || p.purpose == "external")
        .map(|p| p.name.clone())
        .unwrap_or_default()
}

fn live_call_id(p: &Participant) -> String {
    p.calls
        .iter()
        .find(|c| c.state.is_live())
        .or(p.calls.last())
        .map(|c| c.id.clone())
        .unwrap_or_default()
}

/// Observation rows for one queue and metric (conversation, leg, since).
fn observed<'a>(
    w: &'a World,
    queue_id: &'a str,
    metric: &str,
) -> Vec<(&'a Conversation, &'a Participant, DateTime<Utc>)> {
    let mut out = Vec::new();
    for c in w.ordered_conversations().filter(|c| c.is_active()) {
        for p in &c.participants {
            if p.queue_id.as_deref() != Some(queue_id) {
                continue;
            }
            let row = match metric {
                "oInteracting" | "oLongestInteracting"
                    if p.purpose == "agent" && p.state == LegState::Connected =>
                {
                    p.connected_time
                }
                "oWaiting" | "oLongestWaiting" if p.is_acd() && p.state == LegState::Connected => {
                    Some(p.start_time)
                }
                "oAlerting" if p.purpose == "agent" && p.state == LegState::Alerting => {
                    p.start_alerting_time.or(Some(p.start_time))
                }
                _ => None,
            };
            if let Some(since) = row {
                out.push((c, p, since));
            }
        }
    }
    out
}

fn observation_json(c: &Conversation, p: &Participant, since: DateTime<Utc>) -> Value {
    let mut v = json!({
        "observationDate": fmt_time(since),
        "conversationId": c.id,
        "sessionId": live_call_id(p),
        "routingPriority": 0,
        "participantName": customer_name(c),
        "direction": "inbound",
        "ani": p.ani,
        "dnis": p.dnis,
        "addressFrom": p.ani,
        "addressTo": p.dnis,
        "requestedRoutings": ["Standard"],
        "usedRouting": "Standard",
    });
    if let Some(u) = &p.user_id {
        v["userId"] = u.clone().into();
    }
    v
}

fn string_list(
    obj: &Map<String, Value>,
    field: &str,
    required: bool,
) -> Result<Vec<String>, ApiError> {
    match obj.get(field) {
        None | Some(Value::Null) if !required => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| ApiError::bad_request(format!("{field} must hold strings.")))
            })
            .collect(),
        _ => Err(ApiError::bad_request(format!(
            "{field} is required and must be an array."
        ))),
    }
}

pub(super) async fn queue_observations(
    State(shared): State<Arc<Shared>>,
    Extension(p): Extension<Principal>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let obj = object(json_body(&body, false)?, "QueueObservationQuery")?;
    let filter = parse_filter(
        obj.get("filter")
            .ok_or_else(|| ApiError::bad_request("filter is required."))?,
    )?;
    let metrics = string_list(&obj, "metrics", true)?;
    if metrics.is_empty() {
        return Err(ApiError::bad_request(
            "metrics must name at least one metric.",
        ));
    }
    let details = string_list(&obj, "detailMetrics", false)?;
    for m in &metrics {
        if !OBSERVATION_METRICS.contains(&m.as_str()) {
            return Err(ApiError::invalid_value(
                m,
                "Metric",
                &OBSERVATION_METRICS.join(", "),
            ));
        }
    }
    for m in &details {
        if !DETAIL_METRICS.contains(&m.as_str()) {
            return Err(ApiError::invalid_value(
                m,
                "DetailMetric",
                &DETAIL_METRICS.join(", "),
            ));
        }
    }
    let mut queue_ids: Vec<String> = Vec::new();
    let mut media: Vec<String> = Vec::new();
    for pr in filter.all_predicates() {
        match (pr.dimension.as_str(), &pr.value) {
            ("queueId", Some(v)) if !queue_ids.contains(v) => queue_ids.push(v.clone()),
            ("mediaType", Some(v)) if !media.contains(v) => media.push(v.clone()),
            ("queueId" | "mediaType", _) => {}
            (other, _) => {
                return Err(ApiError::invalid_value(
                    other,
                    "Dimension",
                    "mediaType, queueId",
                ));
            }
        }
    }
    if queue_ids.is_empty() {
        return Err(ApiError::bad_request(
            "The filter must contain at least one queueId predicate.",
        ));
    }
    require_any(&p, &[PERM_QUEUE_OBSERVATION])?;
    if media.is_empty() {
        media.push("voice".to_owned());
    }
    let w = shared.lock();
    let now = Utc::now();
    let mut results = Vec::new();
    for q in &queue_ids {
        for m in &media {
            let voice = m.eq_ignore_ascii_case("voice");
            let data: Vec<Value> = metrics
                .iter()
                .map(|metric| {
                    let rows = if voice { observed(&w, q, metric) } else { Vec::new() };
                    let mut entry = json!({"metric": metric});
                    match metric.as_str() {
                        "oMemberUsers" | "oActiveUsers" => {
                            entry["stats"] = json!({"count": members(&w.users, q)});
                        }
                        "oLongestInteracting" | "oLongestWaiting" => {
                            let longest = rows.iter().map(|(_, _, since)| since).min();
                            entry["stats"] = match longest {
                                Some(t) => json!({"count": rows.len(), "calculatedMetricValue": (now - *t).num_milliseconds().max(0)}),
                                None => json!({"count": 0}),
                            };
                        }
                        _ => {
                            entry["stats"] = json!({"count": rows.len()});
                            if details.contains(metric) && !rows.is_empty() {
                                entry["truncated"] = false.into();
                                entry["observations"] = rows
                                    .iter()
                                    .map(|(c, p, since)| observation_json(c, p, *since))
                                    .collect::<Vec<_>>()
                                    .into();
                            }
                        }
                    }
                    entry
                })
                .collect();
            results.push(json!({"group": {"queueId": q, "mediaType": m}, "data": data}));
        }
    }
    Ok(Json(
        json!({"systemToOrganizationMappings": {}, "results": results}),
    ))
}
