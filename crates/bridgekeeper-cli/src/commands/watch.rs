//! `watch`: the roster's changes on some queues, one line (or JSON object) per change, until
//! Ctrl-C. Each line says what changed (who joined, left, was muted...), not just "updated".

use std::collections::HashMap;

use chrono::{Local, Utc};
use serde::Serialize;
use supervisor_core::roster::{ChangeKind, RemovalReason, RosterChange, RosterStatus};
use tokio::sync::broadcast::error::RecvError;

use crate::cli::QueueSelection;
use crate::commands::live::{self, ConversationView, PartyView};
use crate::commands::queues::QueueView;
use crate::context::Context;
use crate::error::CliError;
use crate::output::{Exit, Style, sanitize};

/// One printed change.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ChangeLine {
    seq: u64,
    time: String,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversation_id: Option<String>,
    /// What changed, in words.
    changes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversation: Option<ConversationView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<RosterStatus>,
}

/// Prints changes until Ctrl-C (exit 0) or until the session ends (exit 1).
pub async fn run(ctx: &Context, args: &QueueSelection) -> Result<Exit, CliError> {
    let (queues, roster) = live::start_selection(ctx, args).await?;
    let (snapshot, mut changes) = roster.subscribe();
    let mut known: HashMap<String, ConversationView> = HashMap::new();
    let now = Utc::now();
    for r in &snapshot.conversations {
        let view = ConversationView::new(r, &queues, now);
        known.insert(view.conversation_id.clone(), view);
    }
    if !ctx.printer.json() {
        let names: Vec<&str> = queues.iter().map(|q| q.name.as_str()).collect();
        eprintln!(
            "Watching {} (Ctrl-C to stop)...",
            sanitize(&names.join(", "))
        );
    }
    let result = loop {
        tokio::select! {
            _ = stop_signal() => break Ok(Exit::Success),
            change = changes.recv() => match change {
                Ok(change) => {
                    let line = describe(&change, &mut known, &queues);
                    print(ctx, &line);
                    if let ChangeKind::Status { status } = &change.kind {
                        if let Some(e) = live::closed_error(&status.connection) {
                            break Err(e);
                        }
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    // Too slow a terminal: say so and continue from the board as it is now.
                    eprintln!("warning: {missed} changes were skipped; continuing from the current board");
                    known.clear();
                    let now = Utc::now();
                    for r in &roster.snapshot().conversations {
                        let view = ConversationView::new(r, &queues, now);
                        known.insert(view.conversation_id.clone(), view);
                    }
                }
                Err(RecvError::Closed) => break Err(CliError::new("the live connection stopped")),
            },
        }
    };
    roster.shutdown().await;
    result
}

/// Ctrl-C, or SIGTERM on Unix.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn print(ctx: &Context, line: &ChangeLine) {
    if ctx.printer.json() {
        ctx.printer.json_line(line);
        return;
    }
    let time = chrono::DateTime::parse_from_rfc3339(&line.time)
        .map(|t| t.with_timezone(&Local).format("%H:%M:%S").to_string())
        .unwrap_or_else(|_| line.time.clone());
    let subject = match &line.conversation_id {
        Some(id) => format!("conversation {id}"),
        None => line.kind.to_owned(),
    };
    let style = match line.kind {
        "removed" => Style::Dim,
        "status" => Style::Warn,
        _ => Style::Bold,
    };
    ctx.printer.line(&format!(
        "{time}  {}  {}",
        ctx.printer.paint(&subject, style),
        sanitize(&line.changes.join("; "))
    ));
}

fn describe(
    change: &RosterChange,
    known: &mut HashMap<String, ConversationView>,
    queues: &[QueueView],
) -> ChangeLine {
    let mut line = ChangeLine {
        seq: change.seq,
        time: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        kind: live::change_type(&change.kind),
        conversation_id: None,
        changes: Vec::new(),
        conversation: None,
        status: None,
    };
    match &change.kind {
        ChangeKind::Upserted { conversation } => {
            let view = ConversationView::new(conversation, queues, Utc::now());
            line.conversation_id = Some(view.conversation_id.clone());
            line.changes = match known.get(&view.conversation_id) {
                None => vec![new_call(&view)],
                Some(old) => diff(old, &view),
            };
            if line.changes.is_empty() {
                line.changes.push("updated (no visible change)".into());
            }
            known.insert(view.conversation_id.clone(), view.clone());
            line.conversation = Some(view);
        }
        ChangeKind::Removed { id, reason } => {
            known.remove(id.as_str());
            line.conversation_id = Some(id.as_str().to_owned());
            line.changes.push(
                match reason {
                    RemovalReason::Ended => "call ended",
                    RemovalReason::Unwatched => "no longer on the watched queues",
                    RemovalReason::NotFound => "no longer known to Genesys Cloud",
                }
                .into(),
            );
        }
        ChangeKind::Resynced {
            queues: _,
            conversations,
        } => {
            line.changes.push(format!(
                "board re-read: {conversations} active call{}",
                if *conversations == 1 { "" } else { "s" }
            ));
        }
        ChangeKind::Status { status } => {
            let mut text = format!("connection {}", live::connection_text(&status.connection));
            if status.trusted {
                text.push_str(", data up to date");
            } else if let Some(since) = status.stale_since {
                text.push_str(&format!(
                    ", data may be stale since {}",
                    since.with_timezone(&Local).format("%H:%M:%S")
                ));
            }
            line.changes.push(text);
            line.status = Some(status.clone());
        }
    }
    line
}

fn label(p: &PartyView) -> String {
    format!("{} ({})", p.name, p.purpose)
}

fn new_call(view: &ConversationView) -> String {
    let live: Vec<String> = view
        .parties
        .iter()
        .filter(|p| p.actionable && p.purpose != "acd")
        .map(label)
        .collect();
    format!(
        "call on {}: {}",
        if view.queue_names.is_empty() {
            "the queue".to_owned()
        } else {
            view.queue_names.join(", ")
        },
        if live.is_empty() {
            "no one connected yet".to_owned()
        } else {
            live.join(", ")
        }
    )
}

/// What changed between two views of a conversation, party by party.
fn diff(old: &ConversationView, new: &ConversationView) -> Vec<String> {
    let mut out = Vec::new();
    for p in &new.parties {
        match old
            .parties
            .iter()
            .find(|o| o.participant_id == p.participant_id)
        {
            None if p.actionable => out.push(format!("{} joined", label(p))),
            None => {}
            Some(o) => {
                if o.actionable && !p.actionable {
                    out.push(format!("{} left", label(p)));
                    continue;
                }
                if o.state != p.state {
                    out.push(format!(
                        "{}: {} -> {}",
                        label(p),
                        o.state.as_deref().unwrap_or("?"),
                        p.state.as_deref().unwrap_or("?")
                    ));
                }
                for (before, now, on, off, unknown) in [
                    (
                        o.muted,
                        p.muted,
                        "muted",
                        "unmuted",
                        "mute state not known yet",
                    ),
                    (
                        o.held,
                        p.held,
                        "on hold",
                        "off hold",
                        "hold state not known yet",
                    ),
                    (
                        o.confined,
                        p.confined,
                        "confined",
                        "no longer confined",
                        "confinement not known yet",
                    ),
                ] {
                    if before != now {
                        let word = match now {
                            Some(true) => on,
                            Some(false) => off,
                            None => unknown,
                        };
                        out.push(format!("{} {word}", label(p)));
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn party(id: &str, name: &str, leg: &'static str) -> PartyView {
        PartyView {
            participant_id: id.into(),
            name: name.into(),
            purpose: "agent".into(),
            state: Some(
                if leg == "live" {
                    "connected"
                } else {
                    "disconnected"
                }
                .into(),
            ),
            leg,
            actionable: leg == "live",
            muted: Some(false),
            held: Some(false),
            confined: Some(false),
            on_call_secs: None,
            user_id: None,
        }
    }

    fn conv(parties: Vec<PartyView>) -> ConversationView {
        ConversationView {
            conversation_id: "c".into(),
            queue_ids: vec!["q".into()],
            queue_names: vec!["Support".into()],
            started_at: None,
            conference: false,
            ended: false,
            live_parties: parties.iter().filter(|p| p.actionable).count(),
            full_detail: true,
            watched_user_ids: Vec::new(),
            parties,
        }
    }

    #[test]
    fn diffs_name_who_joined_left_and_was_muted() {
        let old = conv(vec![party("a", "Ann", "live"), party("b", "Bob", "live")]);
        let mut muted = party("a", "Ann", "live");
        muted.muted = Some(true);
        let new = conv(vec![
            muted,
            party("b", "Bob", "ended"),
            party("c", "Cy", "live"),
        ]);
        assert_eq!(
            diff(&old, &new),
            ["Ann (agent) muted", "Bob (agent) left", "Cy (agent) joined"]
        );
        assert!(diff(&new, &new).is_empty());
        assert_eq!(new_call(&old), "call on Support: Ann (agent), Bob (agent)");
    }
}
