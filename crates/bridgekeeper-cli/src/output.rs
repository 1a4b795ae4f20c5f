//! Human and JSON rendering, and the exit codes scripts switch on.

use std::io::{self, IsTerminal, Write};

use serde::Serialize;
use supervisor_core::actions::{
    ActionOutcome, ActionReport, ConfirmedVia, DropPlan, DropWarning, PartySummary, PlanVerdict,
};
use supervisor_core::present;

/// The process exit codes, a contract with scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Success; for actions: confirmed or already gone.
    Success = 0,
    /// Anything else that failed (bad input, not signed in, network, ...).
    Failure = 1,
    /// Genesys Cloud refused the action.
    Refused = 2,
    /// Accepted, but the change was not seen in time.
    NotConfirmed = 3,
    /// `policy run`: not signed in, or the session ended (expired or revoked, not renewable).
    /// Only a new sign-in helps, so a service manager must not restart into it
    /// (`RestartPreventExitStatus=` in the systemd unit).
    SignInAgain = 4,
}

impl Exit {
    /// The numeric code for `std::process::exit`.
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// Where command output goes and in which form; commands never call `println!` themselves so the
/// JSON/human choice and colour rules live in one place.
#[derive(Clone, Copy, Debug)]
pub struct Printer {
    json: bool,
    color: bool,
}

/// ANSI styles used for human output on a terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Good news (confirmed, live).
    Good,
    /// Needs attention (not confirmed, warnings).
    Warn,
    /// Bad news (refused, failed).
    Bad,
    /// Less important (ended legs).
    Dim,
    /// Headers.
    Bold,
}

impl Printer {
    /// JSON when asked; colour only on a terminal and when `NO_COLOR` is unset.
    pub fn new(json: bool) -> Self {
        let color = !json
            && io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Self { json, color }
    }

    /// A printer with explicit settings (tests).
    #[cfg(test)]
    pub fn with(json: bool, color: bool) -> Self {
        Self { json, color }
    }

    /// True when output is JSON.
    pub fn json(&self) -> bool {
        self.json
    }

    /// Wraps `text` in an ANSI style when colour is on.
    pub fn paint(&self, text: &str, style: Style) -> String {
        if !self.color {
            return text.to_owned();
        }
        let code = match style {
            Style::Good => "32",
            Style::Warn => "33",
            Style::Bad => "31",
            Style::Dim => "2",
            Style::Bold => "1",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    /// Prints one line on stdout (flushed, so a reader sees it at once).
    pub fn line(&self, text: &str) {
        let mut out = io::stdout().lock();
        // A closed pipe (`| head`) is not an error worth reporting.
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    }

    /// Prints a value as one compact JSON line.
    pub fn json_line<T: Serialize>(&self, value: &T) {
        match serde_json::to_string(value) {
            Ok(text) => self.line(&text),
            Err(e) => eprintln!("error: could not encode JSON output: {e}"),
        }
    }

    /// Prints a table: the header row in bold, columns aligned on display width.
    pub fn table(&self, header: &[&str], rows: &[Vec<Cell>]) {
        for line in self.render_table(header, rows) {
            self.line(line.trim_end());
        }
    }

    /// The table's lines (no trailing newline); public to the crate for tests.
    pub fn render_table(&self, header: &[&str], rows: &[Vec<Cell>]) -> Vec<String> {
        let columns = header.len();
        let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
        for row in rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(width(&cell.text));
            }
        }
        let mut lines = Vec::with_capacity(rows.len() + 1);
        let head: Vec<String> = header
            .iter()
            .enumerate()
            .map(|(i, h)| self.paint(&pad(h, widths[i], i + 1 == columns), Style::Bold))
            .collect();
        lines.push(head.join("  "));
        for row in rows {
            let cells: Vec<String> = (0..columns)
                .map(|i| {
                    let cell = row.get(i).cloned().unwrap_or_default();
                    let padded = pad(&cell.text, widths[i], i + 1 == columns);
                    match cell.style {
                        Some(style) => self.paint(&padded, style),
                        None => padded,
                    }
                })
                .collect();
            lines.push(cells.join("  "));
        }
        lines
    }
}

/// One table cell: text plus an optional style.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cell {
    /// What is shown.
    pub text: String,
    /// How it is painted on a terminal.
    pub style: Option<Style>,
}

impl Cell {
    /// A plain cell.
    pub fn plain(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            style: None,
        }
    }

    /// A styled cell.
    pub fn styled(text: impl Into<String>, style: Style) -> Self {
        Self {
            text: text.into(),
            style: Some(style),
        }
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Self::plain(text)
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Self::plain(text)
    }
}

/// Display width: characters, with control characters (from names on the wire) counted but
/// replaced by `sanitize` before they get here.
fn width(text: &str) -> usize {
    text.chars().count()
}

fn pad(text: &str, to: usize, last: bool) -> String {
    if last {
        return text.to_owned();
    }
    let mut s = text.to_owned();
    s.extend(std::iter::repeat_n(' ', to.saturating_sub(width(text))));
    s
}

/// Names and messages come from the network: strip control characters so they cannot move the
/// cursor or forge lines in a terminal or a log.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Milliseconds as a short human duration (`850 ms`, `1.2 s`, `3 min 4 s`, `2 h 5 min`).
pub fn human_duration_ms(ms: u64) -> String {
    match ms {
        0..=999 => format!("{ms} ms"),
        1_000..=59_999 => format!("{:.1} s", ms as f64 / 1000.0),
        60_000..=3_599_999 => format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000),
        _ => format!("{} h {} min", ms / 3_600_000, (ms % 3_600_000) / 60_000),
    }
}

/// An action's outcome as scripts read it (`--json`): the outcome in snake case, the ids, the
/// latency, and whatever explains it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeView {
    /// `drop`, `mute`, `unmute`, `hold`, `unhold`.
    pub action: &'static str,
    /// `confirmed`, `not_confirmed`, `refused` or `already_gone`.
    pub outcome: &'static str,
    /// The conversation.
    pub conversation_id: String,
    /// The leg acted on.
    pub participant_id: String,
    /// The leg asked for, when a stale duplicate was resolved to another one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_participant_id: Option<String>,
    /// Who the leg was.
    pub party: PartyLabel,
    /// Confirmed: command to the confirming observation; otherwise command to outcome.
    pub latency_ms: u64,
    /// Whether the PATCH went out.
    pub request_sent: bool,
    /// `event` or `reread` (confirmed only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmed_via: Option<&'static str>,
    /// The whole call ended (confirmed drops).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_ended: Option<bool>,
    /// Parties expected to remain who are gone (confirmed drops).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub others_left: Vec<PartyLabel>,
    /// How long the app waited (not confirmed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waited_ms: Option<u64>,
    /// What the platform still showed of the leg (not confirmed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub still_shows: Option<serde_json::Value>,
    /// The per-communication disconnect's target (not confirmed drops).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub communication_id: Option<String>,
    /// HTTP status of a refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Vendor error code of a refusal (or `Forbidden` for the local permission check).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Vendor message of a refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Plain words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    /// The stale-duplicate resolution, when one was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    /// `ININ-Correlation-Id` of the request, for support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// The audit record written for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_id: Option<String>,
    /// For drops: who the plan said would remain, and its warnings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanView>,
}

/// A party in an outcome or plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PartyLabel {
    /// Leg id.
    pub participant_id: String,
    /// Display name.
    pub name: String,
    /// Purpose.
    pub purpose: String,
}

impl From<&PartySummary> for PartyLabel {
    fn from(p: &PartySummary) -> Self {
        Self {
            participant_id: p.participant_id.as_str().to_owned(),
            name: p.name.clone(),
            purpose: p.purpose.clone(),
        }
    }
}

impl PartyLabel {
    /// "Jane Doe (external)", terminal-safe.
    pub fn label(&self) -> String {
        if self.name.is_empty() {
            format!("participant {}", self.participant_id)
        } else {
            format!("{} ({})", sanitize(&self.name), sanitize(&self.purpose))
        }
    }
}

/// A drop plan as printed.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanView {
    /// The leg that will be dropped.
    pub target: PartyLabel,
    /// `ready` or `already_gone`.
    pub verdict: &'static str,
    /// Live parties that remain.
    pub remaining: Vec<PartyLabel>,
    /// Warning codes (`call_will_end`, `last_agent`, `customer_alone`).
    pub warnings: Vec<&'static str>,
    /// Warnings in words.
    pub warning_texts: Vec<&'static str>,
    /// The stale-duplicate resolution, when one was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
}

impl From<&DropPlan> for PlanView {
    fn from(plan: &DropPlan) -> Self {
        Self {
            target: PartyLabel::from(&plan.target),
            verdict: match plan.verdict {
                PlanVerdict::Ready => "ready",
                PlanVerdict::AlreadyGone => "already_gone",
            },
            remaining: plan.remaining.iter().map(PartyLabel::from).collect(),
            warnings: plan.warnings.iter().map(|w| warning_code(*w)).collect(),
            warning_texts: plan
                .warnings
                .iter()
                .map(|w| present::plan::warning(*w))
                .collect(),
            resolution: plan.resolution.clone(),
        }
    }
}

fn warning_code(w: DropWarning) -> &'static str {
    match w {
        DropWarning::CallWillEnd => "call_will_end",
        DropWarning::LastAgent => "last_agent",
        DropWarning::CustomerAlone => "customer_alone",
    }
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl OutcomeView {
    /// From the core's report.
    pub fn from_report(report: &ActionReport, plan: Option<&DropPlan>) -> Self {
        let party = PartyLabel::from(&report.participant);
        let requested = (report.requested_participant_id != report.participant.participant_id)
            .then(|| report.requested_participant_id.as_str().to_owned());
        let mut view = Self {
            action: report.action.verb(),
            outcome: "",
            conversation_id: report.conversation_id.as_str().to_owned(),
            participant_id: party.participant_id.clone(),
            requested_participant_id: requested,
            party,
            latency_ms: millis(report.timings.total),
            request_sent: report.timings.to_wire.is_some(),
            confirmed_via: None,
            call_ended: None,
            others_left: Vec::new(),
            waited_ms: None,
            still_shows: None,
            communication_id: None,
            status: None,
            code: None,
            message: None,
            explanation: None,
            resolution: report.resolution.clone(),
            correlation_id: report.correlation_id.clone(),
            audit_id: Some(report.audit_id.to_string()),
            plan: plan.map(PlanView::from),
        };
        match &report.outcome {
            ActionOutcome::Confirmed {
                latency,
                via,
                call_ended,
                others_left,
            } => {
                view.outcome = "confirmed";
                view.latency_ms = millis(*latency);
                view.confirmed_via = Some(match via {
                    ConfirmedVia::Event => "event",
                    ConfirmedVia::Reread => "reread",
                });
                view.call_ended = Some(*call_ended);
                view.others_left = others_left.iter().map(PartyLabel::from).collect();
            }
            ActionOutcome::NotConfirmed {
                waited,
                still_shows,
                explanation,
                communication_id,
            } => {
                view.outcome = "not_confirmed";
                view.waited_ms = Some(millis(*waited));
                view.still_shows = still_shows
                    .as_ref()
                    .and_then(|s| serde_json::to_value(s).ok());
                view.explanation = Some(explanation.clone());
                view.communication_id = communication_id.as_ref().map(|c| c.as_str().to_owned());
            }
            ActionOutcome::Refused {
                status,
                code,
                message,
                correlation_id,
                explanation,
            } => {
                view.outcome = "refused";
                view.status = *status;
                view.code = code.clone();
                view.message = Some(message.clone());
                view.explanation = Some(explanation.clone());
                if view.correlation_id.is_none() {
                    view.correlation_id = correlation_id.clone();
                }
            }
            ActionOutcome::AlreadyGone {
                request_sent,
                explanation,
            } => {
                view.outcome = "already_gone";
                view.request_sent = *request_sent;
                view.explanation = Some(explanation.clone());
            }
        }
        view
    }

    /// The exit code for this view's outcome: the contract with scripts.
    pub fn exit(&self) -> Exit {
        match self.outcome {
            "confirmed" | "already_gone" => Exit::Success,
            "refused" => Exit::Refused,
            "not_confirmed" => Exit::NotConfirmed,
            _ => Exit::Failure,
        }
    }

    /// The human lines: the outcome first, then what explains it.
    pub fn human_lines(&self, printer: &Printer) -> Vec<String> {
        let party = self.party.label();
        let verb = self.action;
        let mut lines = Vec::new();
        match self.outcome {
            "confirmed" => {
                let mut head = format!(
                    "{} {verb} {party}: the change was seen ({} ms, by {}).",
                    printer.paint("CONFIRMED", Style::Good),
                    self.latency_ms,
                    match self.confirmed_via {
                        Some("event") => "live event",
                        _ => "re-reading the call",
                    }
                );
                if self.call_ended == Some(true) {
                    head.push_str(" The call has ended.");
                }
                lines.push(head);
                if !self.others_left.is_empty() {
                    let names: Vec<String> =
                        self.others_left.iter().map(PartyLabel::label).collect();
                    lines.push(format!(
                        "{} also no longer on the call: {}",
                        printer.paint("Note:", Style::Warn),
                        names.join(", ")
                    ));
                }
            }
            "not_confirmed" => {
                lines.push(format!(
                    "{} {verb} {party}: accepted, but not seen after {} ms.",
                    printer.paint("NOT CONFIRMED", Style::Warn),
                    self.waited_ms.unwrap_or(self.latency_ms)
                ));
                if let Some(c) = &self.communication_id {
                    lines.push(format!("Per-communication disconnect target: {c}"));
                }
            }
            "refused" => {
                let mut head = format!("{} {verb} {party}", printer.paint("REFUSED", Style::Bad));
                match (self.status, &self.code) {
                    (Some(s), Some(c)) => head.push_str(&format!(" (HTTP {s}, {c})")),
                    (None, Some(c)) => head.push_str(&format!(" ({c})")),
                    _ => {}
                }
                head.push('.');
                lines.push(head);
            }
            _ => lines.push(format!(
                "{} {party} had already left the call.",
                printer.paint("ALREADY GONE", Style::Good)
            )),
        }
        if let Some(e) = &self.explanation {
            lines.push(sanitize(e));
        }
        if let Some(r) = &self.resolution {
            lines.push(sanitize(r));
        }
        if let Some(id) = &self.correlation_id {
            lines.push(format!("Correlation id: {id}"));
        }
        lines
    }

    /// The one-line reason for stderr when the outcome is not a success.
    pub fn reason(&self) -> Option<String> {
        let party = self.party.label();
        let detail = self
            .explanation
            .as_deref()
            .map(|e| format!(": {}", sanitize(e)))
            .unwrap_or_default();
        match self.outcome {
            "refused" => Some(format!("{} {party} refused{detail}", self.action)),
            "not_confirmed" => Some(format!("{} {party} not confirmed{detail}", self.action)),
            _ => None,
        }
    }
}

/// Whole seconds as a short human duration (`45 s`, `3 min 4 s`, `2 h 5 min`): time on a call.
pub fn human_secs(secs: u64) -> String {
    if secs < 60 {
        format!("{secs} s")
    } else {
        human_duration_ms(secs.saturating_mul(1000))
    }
}

#[cfg(test)]
mod tests;
