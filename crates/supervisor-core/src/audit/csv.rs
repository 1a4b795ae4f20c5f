//! CSV export of audit records (RFC 4180 quoting, written by hand: one small function).

use std::io::{self, Write};

use super::record::AuditRecord;

/// Column names of the export, in order.
pub const CSV_HEADER: [&str; 16] = [
    "id",
    "time",
    "actorUserId",
    "actorName",
    "action",
    "conversationId",
    "participantId",
    "partyName",
    "partyPurpose",
    "requestMethod",
    "requestPath",
    "requestBody",
    "outcome",
    "latencyMs",
    "correlationId",
    "detail",
];

/// Writes a header and one row per record, CRLF line ends, quoting as RFC 4180 requires.
///
/// Text that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR)
/// gets a leading `'`: caller names come from outside the organisation.
pub fn write_csv<W: Write>(records: &[AuditRecord], mut out: W) -> io::Result<()> {
    write_row(&mut out, CSV_HEADER.iter().map(|h| Field::Plain(h)))?;
    for r in records {
        let body = if r.request.body.is_null() {
            String::new()
        } else {
            r.request.body.to_string()
        };
        let time = r.time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let id = r.id.to_string();
        let latency = r.latency_ms.to_string();
        let fields = [
            Field::Plain(&id),
            Field::Plain(&time),
            Field::Text(&r.actor.user_id),
            Field::Text(&r.actor.name),
            Field::Plain(r.action.as_str()),
            Field::Text(&r.conversation_id),
            Field::Text(&r.participant_id),
            Field::Text(&r.party.name),
            Field::Text(&r.party.purpose),
            Field::Text(&r.request.method),
            Field::Text(&r.request.path),
            Field::Text(&body),
            Field::Plain(r.outcome.as_str()),
            Field::Plain(&latency),
            Field::Text(r.correlation_id.as_deref().unwrap_or("")),
            Field::Text(r.detail.as_deref().unwrap_or("")),
        ];
        write_row(&mut out, fields.into_iter())?;
    }
    out.flush()
}

enum Field<'a> {
    /// Produced by us (ids, numbers, enum spellings): quoted if needed, never neutralised.
    Plain(&'a str),
    /// Free text that may come from outside: also neutralised against formula injection.
    Text(&'a str),
}

fn write_row<'a, W: Write>(out: &mut W, fields: impl Iterator<Item = Field<'a>>) -> io::Result<()> {
    let mut line = String::new();
    for (i, field) in fields.enumerate() {
        if i > 0 {
            line.push(',');
        }
        match field {
            Field::Plain(s) => push_quoted(&mut line, s, false),
            Field::Text(s) => push_quoted(&mut line, s, true),
        }
    }
    line.push_str("\r\n");
    out.write_all(line.as_bytes())
}

fn push_quoted(line: &mut String, value: &str, neutralise: bool) {
    let formula = neutralise && value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let needs_quotes = formula
        || value.contains([',', '"', '\n', '\r'])
        || value.starts_with(' ')
        || value.ends_with(' ');
    if !needs_quotes {
        line.push_str(value);
        return;
    }
    line.push('"');
    if formula {
        line.push('\'');
    }
    for c in value.chars() {
        if c == '"' {
            line.push('"');
        }
        line.push(c);
    }
    line.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(v: &str, neutralise: bool) -> String {
        let mut s = String::new();
        push_quoted(&mut s, v, neutralise);
        s
    }

    #[test]
    fn quoting_rules() {
        assert_eq!(quoted("plain", true), "plain");
        assert_eq!(quoted("a,b", true), "\"a,b\"");
        assert_eq!(quoted("say \"hi\"", true), "\"say \"\"hi\"\"\"");
        assert_eq!(quoted("two\nlines", true), "\"two\nlines\"");
        assert_eq!(quoted("cr\r", true), "\"cr\r\"");
        assert_eq!(quoted(" padded", true), "\" padded\"");
        assert_eq!(quoted("", true), "");
        assert_eq!(
            quoted("=HYPERLINK(\"x\")", true),
            "\"'=HYPERLINK(\"\"x\"\")\""
        );
        assert_eq!(quoted("-5", false), "-5");
        assert_eq!(quoted("+15551234", true), "\"'+15551234\"");
    }
}
