//! `/api/v2/analytics/...`: real-time queue observations (`observations`) and the lagging
//! conversation detail queries (`details`), computed from the live world (not canned). This file
//! holds the routes and the predicate filters both share.

mod details;
mod observations;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use serde_json::{Map, Value};

use crate::api::value_text;
use crate::errors::ApiError;
use crate::world::Shared;
use details::{conversation_detail, conversation_details};
use observations::queue_observations;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/api/v2/analytics/queues/observations/query",
            post(queue_observations),
        )
        .route(
            "/api/v2/analytics/conversations/details/query",
            post(conversation_details),
        )
        .route(
            "/api/v2/analytics/conversations/{id}/details",
            get(conversation_detail),
        )
}

fn object(v: Value, model: &str) -> Result<Map<String, Value>, ApiError> {
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(ApiError::bad_request(format!(
            "The request body must be a JSON object ({model})."
        ))),
    }
}

/// One predicate: `{dimension, operator?, value?}`.
struct Predicate {
    dimension: String,
    operator: String,
    value: Option<String>,
}

/// A filter: `{type: and|or, predicates[], clauses[{type, predicates[]}]}`.
struct Filter {
    any: bool,
    predicates: Vec<Predicate>,
    clauses: Vec<(bool, Vec<Predicate>)>,
}

fn parse_kind(v: Option<&Value>, required: bool) -> Result<bool, ApiError> {
    match v {
        None if !required => Ok(false),
        Some(Value::String(s)) if s == "and" => Ok(false),
        Some(Value::String(s)) if s == "or" => Ok(true),
        Some(other) => Err(ApiError::invalid_value(
            &value_text(other),
            "Type",
            "and, or",
        )),
        None => Err(ApiError::bad_request("A filter needs a type (and, or).")),
    }
}

fn parse_predicates(v: Option<&Value>) -> Result<Vec<Predicate>, ApiError> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let Value::Array(items) = v else {
        return Err(ApiError::bad_request("predicates must be an array."));
    };
    items
        .iter()
        .map(|p| {
            let dimension = p
                .get("dimension")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::bad_request("Every predicate needs a dimension."))?;
            let operator = match p.get("operator") {
                None => "matches".to_owned(),
                Some(Value::String(s))
                    if matches!(s.as_str(), "matches" | "exists" | "notExists") =>
                {
                    s.clone()
                }
                Some(other) => {
                    return Err(ApiError::invalid_value(
                        &value_text(other),
                        "Operator",
                        "matches, exists, notExists",
                    ));
                }
            };
            let value = p.get("value").and_then(Value::as_str).map(str::to_owned);
            if operator == "matches" && value.is_none() {
                return Err(ApiError::bad_request(format!(
                    "The predicate on [{dimension}] with operator matches needs a value."
                )));
            }
            Ok(Predicate {
                dimension: dimension.to_owned(),
                operator,
                value,
            })
        })
        .collect()
}

fn parse_filter(v: &Value) -> Result<Filter, ApiError> {
    let any = parse_kind(v.get("type"), true)?;
    let predicates = parse_predicates(v.get("predicates"))?;
    let clauses = match v.get("clauses") {
        None => Vec::new(),
        Some(Value::Array(cs)) => cs
            .iter()
            .map(|c| {
                Ok((
                    parse_kind(c.get("type"), true)?,
                    parse_predicates(c.get("predicates"))?,
                ))
            })
            .collect::<Result<_, ApiError>>()?,
        Some(_) => return Err(ApiError::bad_request("clauses must be an array.")),
    };
    Ok(Filter {
        any,
        predicates,
        clauses,
    })
}

impl Filter {
    fn all_predicates(&self) -> impl Iterator<Item = &Predicate> {
        self.predicates
            .iter()
            .chain(self.clauses.iter().flat_map(|(_, ps)| ps.iter()))
    }

    /// Evaluates the filter with a predicate test.
    fn eval(&self, test: &impl Fn(&Predicate) -> bool) -> bool {
        fn combine(any: bool, mut results: &mut dyn Iterator<Item = bool>) -> bool {
            if any {
                Iterator::any(&mut results, |b| b)
            } else {
                Iterator::all(&mut results, |b| b)
            }
        }
        let mut items = self.predicates.iter().map(test).chain(
            self.clauses
                .iter()
                .map(|(any, ps)| combine(*any, &mut ps.iter().map(test))),
        );
        combine(self.any, &mut items)
    }
}

fn test_value(p: &Predicate, actual: Option<&str>) -> bool {
    match p.operator.as_str() {
        "exists" => actual.is_some(),
        "notExists" => actual.is_none(),
        _ => actual.is_some_and(|a| {
            p.value
                .as_deref()
                .is_some_and(|v| v.eq_ignore_ascii_case(a))
        }),
    }
}
