//! `queues`: list queues by name, and resolve `--queue NAME_OR_ID` for the other commands.

use genesys_client::{Client, QueueQuery};
use genesys_model::{Queue, QueueId};
use serde::Serialize;

use crate::cli::QueuesArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::{Cell, Exit, sanitize};

/// Page size used when listing queues (the API allows up to 500).
const PAGE_SIZE: u32 = 100;
/// A safety stop for a listing that never ends (a server bug must not loop forever).
const MAX_PAGES: u32 = 100;

/// One queue as printed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueView {
    /// Queue id.
    pub id: String,
    /// Queue name.
    pub name: String,
    /// Number of members, when the API says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_count: Option<i64>,
}

impl From<&Queue> for QueueView {
    fn from(q: &Queue) -> Self {
        Self {
            id: q.id.as_str().to_owned(),
            name: q.name.clone().unwrap_or_default(),
            member_count: q.member_count.or(q.user_member_count),
        }
    }
}

/// `FILTER` as a name query: a substring match unless the user wrote their own `*`.
pub fn name_pattern(filter: &str) -> Option<String> {
    let filter = filter.trim();
    if filter.is_empty() {
        None
    } else if filter.contains('*') {
        Some(filter.to_owned())
    } else {
        Some(format!("*{filter}*"))
    }
}

/// Every queue matching `name` (a Genesys name pattern), across pages.
pub async fn list(api: &Client, name: Option<String>) -> Result<Vec<Queue>, CliError> {
    let mut out = Vec::new();
    for page in 1..=MAX_PAGES {
        let listing = api
            .routing_queues(&QueueQuery {
                page_number: page,
                page_size: PAGE_SIZE,
                name: name.clone(),
                ids: Vec::new(),
            })
            .await?;
        let more = listing.has_next_page() && !listing.entities.is_empty();
        out.extend(listing.entities);
        if !more {
            break;
        }
    }
    Ok(out)
}

/// Resolves each `--queue` argument: an exact (case-insensitive) name, else an id.
pub async fn resolve(api: &Client, wanted: &[String]) -> Result<Vec<QueueView>, CliError> {
    let mut resolved: Vec<QueueView> = Vec::new();
    for raw in wanted {
        let text = raw.trim();
        if text.is_empty() {
            return Err(CliError::new("--queue: an empty queue name or id"));
        }
        if text.contains('*') {
            return Err(CliError::new(format!(
                "--queue {text:?}: wildcards are not allowed here; use `queues --name` to find names"
            )));
        }
        let by_name: Vec<Queue> = list(api, Some(text.to_owned()))
            .await?
            .into_iter()
            .filter(|q| {
                q.name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(text))
            })
            .collect();
        let found = match by_name.as_slice() {
            [one] => QueueView::from(one),
            [] => {
                let by_id = api
                    .routing_queues(&QueueQuery {
                        ids: vec![QueueId::new(text)],
                        ..QueueQuery::default()
                    })
                    .await?;
                match by_id.entities.iter().find(|q| q.id.as_str() == text) {
                    Some(q) => QueueView::from(q),
                    None => {
                        return Err(CliError::new(format!(
                            "no queue named or with id {text:?}; `bridgekeeper-cli queues` lists them"
                        )));
                    }
                }
            }
            many => {
                return Err(CliError::new(format!(
                    "{} queues are named {text:?}; use one of their ids: {}",
                    many.len(),
                    many.iter()
                        .map(|q| q.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        };
        if !resolved.iter().any(|q| q.id == found.id) {
            resolved.push(found);
        }
    }
    Ok(resolved)
}

/// Lists queues.
pub async fn run(ctx: &Context, args: &QueuesArgs) -> Result<Exit, CliError> {
    let session = ctx.session().await?;
    let api = session.api_client()?;
    let pattern = args.name.as_deref().and_then(name_pattern);
    let mut queues: Vec<QueueView> = list(&api, pattern)
        .await?
        .iter()
        .map(QueueView::from)
        .collect();
    queues.sort_by_key(|q| q.name.to_lowercase());
    if ctx.printer.json() {
        ctx.printer.json_line(&queues);
        return Ok(Exit::Success);
    }
    if queues.is_empty() {
        ctx.printer.line("No queues match.");
        return Ok(Exit::Success);
    }
    let rows: Vec<Vec<Cell>> = queues
        .iter()
        .map(|q| {
            vec![
                Cell::plain(sanitize(&q.name)),
                Cell::plain(q.id.clone()),
                Cell::plain(q.member_count.map(|n| n.to_string()).unwrap_or_default()),
            ]
        })
        .collect();
    ctx.printer.table(&["NAME", "ID", "MEMBERS"], &rows);
    Ok(Exit::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_become_substring_patterns_unless_wildcarded() {
        assert_eq!(name_pattern("sup").as_deref(), Some("*sup*"));
        assert_eq!(name_pattern("Sup*").as_deref(), Some("Sup*"));
        assert_eq!(name_pattern("  "), None);
    }
}
