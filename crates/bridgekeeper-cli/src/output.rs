//! Human and JSON rendering, and the exit codes scripts switch on.

use std::io::{self, IsTerminal, Write};

use serde::Serialize;

/// The process exit codes, a contract with scripts.
#[allow(dead_code)] // TEMP: Refused/NotConfirmed used by drop (next commit)
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
#[allow(dead_code)] // TEMP: Dim used by calls (next commit)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_the_documented_contract() {
        assert_eq!(Exit::Success.code(), 0);
        assert_eq!(Exit::Failure.code(), 1);
        assert_eq!(Exit::Refused.code(), 2);
        assert_eq!(Exit::NotConfirmed.code(), 3);
    }

    #[test]
    fn tables_align_columns_and_only_paint_with_colour() {
        let rows = vec![
            vec![Cell::plain("Support"), Cell::plain("q-1"), Cell::plain("3")],
            vec![
                Cell::plain("Retention desk"),
                Cell::styled("q-22", Style::Bad),
                Cell::plain("10"),
            ],
        ];
        let plain = Printer::with(false, false).render_table(&["NAME", "ID", "MEMBERS"], &rows);
        assert_eq!(
            plain,
            [
                "NAME            ID    MEMBERS",
                "Support         q-1   3",
                "Retention desk  q-22  10",
            ]
        );
        assert!(plain.iter().all(|l| !l.contains('\x1b')));
        let colored = Printer::with(false, true).render_table(&["NAME", "ID", "MEMBERS"], &rows);
        assert!(colored[0].starts_with("\x1b[1m"));
        assert!(colored[2].contains("\x1b[31mq-22"));
    }

    #[test]
    fn sanitize_and_durations() {
        assert_eq!(sanitize("a\x1b[2Jb\nc"), "a [2Jb c");
        assert_eq!(human_duration_ms(850), "850 ms");
        assert_eq!(human_duration_ms(1_250), "1.2 s");
        assert_eq!(human_duration_ms(184_000), "3 min 4 s");
        assert_eq!(human_duration_ms(7_500_000), "2 h 5 min");
    }
}
