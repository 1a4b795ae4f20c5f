//! `calls`: the active calls on some queues with their parties, as the board shows them.

use chrono::Utc;
use serde::Serialize;

use crate::cli::QueueSelection;
use crate::commands::live::{self, ConversationView, PartyView};
use crate::commands::queues::QueueView;
use crate::context::Context;
use crate::error::CliError;
use crate::output::{Cell, Exit, Printer, Style, human_secs, sanitize};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CallsView<'a> {
    queues: &'a [QueueView],
    users: &'a [String],
    complete: bool,
    discovered: usize,
    conversations: Vec<ConversationView>,
}

/// Prints the calls on the selected queues once the board is trustworthy.
pub async fn run(ctx: &Context, args: &QueueSelection) -> Result<Exit, CliError> {
    let (queues, roster) = live::start_selection(ctx, args).await?;
    let ready = live::wait_trusted(&roster, live::TRUST_TIMEOUT).await;
    if ready.is_ok() && !live::wait_full_detail(&roster, live::DETAIL_TIMEOUT).await {
        let c = roster.status().completeness;
        eprintln!(
            "note: mute and hold are not known yet for {} of {} calls (details are read a few a second to stay within the rate limit)",
            c.held.saturating_sub(c.full_detail),
            c.held
        );
    }
    let snapshot = roster.snapshot();
    roster.shutdown().await;
    ready?;
    for rejected in &snapshot.status.rejected_queues {
        let what = match (&rejected.queue_id, &rejected.user_id) {
            (Some(q), _) => format!("queue {q}"),
            (None, Some(u)) => format!("user {u}"),
            (None, None) => "a topic".to_owned(),
        };
        eprintln!(
            "warning: Genesys Cloud will not send live updates for {what}: {}",
            rejected.reason
        );
    }
    for permission in &snapshot.status.completeness.missing_permissions {
        eprintln!(
            "warning: missing permission {permission}: calls were read one by one, which is slower"
        );
    }
    let now = Utc::now();
    let mut conversations: Vec<ConversationView> = snapshot
        .conversations
        .iter()
        .map(|r| ConversationView::new(r, &queues, now))
        .collect();
    conversations.sort_by(|a, b| {
        (a.started_at.as_deref(), &a.conversation_id)
            .cmp(&(b.started_at.as_deref(), &b.conversation_id))
    });
    if ctx.printer.json() {
        ctx.printer.json_line(&CallsView {
            queues: &queues,
            users: &args.users,
            complete: snapshot.status.completeness.is_complete(),
            discovered: snapshot.status.completeness.discovered,
            conversations,
        });
        return Ok(Exit::Success);
    }
    let names: Vec<&str> = queues.iter().map(|q| q.name.as_str()).collect();
    ctx.printer.line(&format!(
        "{} active call{} on {}",
        conversations.len(),
        if conversations.len() == 1 { "" } else { "s" },
        sanitize(&names.join(", "))
    ));
    for c in &conversations {
        ctx.printer.line("");
        for line in render_conversation(&ctx.printer, c) {
            ctx.printer.line(line.trim_end());
        }
    }
    Ok(Exit::Success)
}

/// A header line and an indented table of legs.
pub fn render_conversation(printer: &Printer, c: &ConversationView) -> Vec<String> {
    let mut header = format!(
        "{}  conversation {}",
        sanitize(&c.queue_names.join(", ")),
        c.conversation_id
    );
    if c.conference {
        header.push_str("  conference");
    }
    header.push_str(&format!("  {} live", c.live_parties));
    let mut lines = vec![printer.paint(header.trim_start(), Style::Bold)];
    let rows: Vec<Vec<Cell>> = c.parties.iter().map(party_row).collect();
    lines.extend(
        printer
            .render_table(
                &[
                    "PARTICIPANT",
                    "NAME",
                    "PURPOSE",
                    "STATE",
                    "FLAGS",
                    "ON CALL",
                    "LEG",
                ],
                &rows,
            )
            .into_iter()
            .map(|l| format!("  {l}")),
    );
    lines
}

fn party_row(p: &PartyView) -> Vec<Cell> {
    let dim = (!p.actionable).then_some(Style::Dim);
    let cell = |text: String| Cell { text, style: dim };
    let leg = match p.leg {
        "live" => Cell::styled("live", Style::Good),
        "stale_duplicate" => Cell::styled("stale duplicate (not actionable)", Style::Warn),
        "ended" => Cell::styled("ended (not actionable)", Style::Dim),
        other => Cell::styled(format!("{other} (not actionable)"), Style::Warn),
    };
    vec![
        cell(p.participant_id.clone()),
        cell(sanitize(&p.name)),
        cell(sanitize(&p.purpose)),
        cell(p.state.as_deref().map(sanitize).unwrap_or_default()),
        cell(p.flags()),
        cell(
            p.on_call_secs
                .map(|s| human_secs(u64::try_from(s).unwrap_or(0)))
                .unwrap_or_default(),
        ),
        leg,
    ]
}
