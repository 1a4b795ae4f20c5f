//! The policy file: the TOML contract of issue 8, parsed strictly, explained in words.
//!
//! ```toml
//! mode = "dry-run"                   # "dry-run" (the default) or "enforce"
//! max_drops_per_minute = 6
//!
//! [[rule]]
//! id = "held-too-long"
//! when = "held"                      # held | muted | alone | no_outside_party | silent | on_call | phantom
//! for = "10m"                        # a duration: 90s, 10m, 1h (or 1h30m)
//! purposes = ["agent", "external"]   # default: every purpose but customer
//! queues = ["Support"]               # names or ids; default: every watched queue
//! users = []                         # people whose queue-less bridges count too (emails or ids)
//! exclude_users = ["lead@example.com"]
//! allow_customer_alone = false
//! ```
//!
//! Unknown keys are errors (a misspelt `exclude_user` must not silently protect no one), and every
//! error names the line and the field, so `bridgekeeper-cli policy check` can point at it.
//!
//! About 690 lines on purpose: the format, its validation and the plain-words explanation are one
//! contract, kept in one place so a field is never documented, parsed and explained differently.

use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use genesys_model::Purpose;
use serde::Deserialize;
use toml::Spanned;

/// The default cap when the file does not set one: a runaway rule drops at most this many a minute.
pub const DEFAULT_MAX_DROPS_PER_MINUTE: u32 = 6;
/// The highest cap a file may set (one drop every 100 ms is already far beyond any bridge).
pub const MAX_DROPS_PER_MINUTE_LIMIT: u32 = 600;
/// The longest threshold a rule may use: a week (longer is surely a typo).
pub const MAX_THRESHOLD: Duration = Duration::from_secs(7 * 24 * 3600);

/// Whether the policy acts or only says what it would do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Report "would drop" and send nothing (the default).
    DryRun,
    /// Drop the legs found, within the cap and the safety rules.
    Enforce,
}

impl Mode {
    /// The file's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DryRun => "dry-run",
            Self::Enforce => "enforce",
        }
    }
}

/// What a rule looks for (the `when` key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// On hold longer than the threshold (from the platform's `startHoldTime`).
    Held,
    /// Muted longer than the threshold, counted from when the roster saw the mute.
    Muted,
    /// The only connected party on the call.
    Alone,
    /// No connected customer or external party on the call; the internal legs are the finding.
    NoOutsideParty,
    /// The outside (EXTERNAL) channel said nothing while transcription heartbeats arrive.
    Silent,
    /// On the call longer than the threshold.
    OnCall,
    /// Still live this long after an accepted drop.
    Phantom,
}

impl RuleKind {
    /// Every kind, in the order the file documents them.
    pub const ALL: [RuleKind; 7] = [
        Self::Held,
        Self::Muted,
        Self::Alone,
        Self::NoOutsideParty,
        Self::Silent,
        Self::OnCall,
        Self::Phantom,
    ];

    /// The file's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Held => "held",
            Self::Muted => "muted",
            Self::Alone => "alone",
            Self::NoOutsideParty => "no_outside_party",
            Self::Silent => "silent",
            Self::OnCall => "on_call",
            Self::Phantom => "phantom",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// The purposes a leg may have that a policy file can name.
pub const KNOWN_PURPOSES: [&str; 20] = [
    "acd",
    "agent",
    "api",
    "botflow",
    "campaign",
    "customer",
    "dialer",
    "external",
    "fax",
    "group",
    "inbound",
    "ivr",
    "manual",
    "outbound",
    "station",
    "user",
    "voicemail",
    "voicesurveyflow",
    "workflow",
    // Kept last: not a Genesys purpose, but what the roster calls a leg without one.
    "unknown",
];

/// One validated `[[rule]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// The rule's name, unique in the file; every decision in the audit log carries it.
    pub id: String,
    /// What it looks for.
    pub when: RuleKind,
    /// How long the condition must hold.
    pub threshold: Duration,
    /// Which legs it may act on (purposes, wire spelling); `customer` only when named.
    pub purposes: Vec<String>,
    /// True when the file listed the purposes (else the default: all but customer).
    pub purposes_listed: bool,
    /// Queues (names or ids) whose calls it looks at; empty: every watched queue.
    pub queues: Vec<String>,
    /// People (emails or ids) whose calls it looks at, also without a queue.
    pub users: Vec<String>,
    /// People (emails or ids) it never acts on.
    pub exclude_users: Vec<String>,
    /// May leave a customer without an agent (off by default, and the only way to allow it).
    pub allow_customer_alone: bool,
    /// 1-based line of the rule's `[[rule]]` table, for messages.
    pub line: usize,
}

impl Rule {
    /// True when the rule may act on a leg of this purpose (`None`: a leg with no purpose).
    pub fn covers_purpose(&self, purpose: Option<&Purpose>) -> bool {
        let text = purpose.map_or("unknown", Purpose::as_str);
        self.purposes.iter().any(|p| p == text)
    }

    /// True when the rule names `customer` among its purposes (the only way to act on a customer).
    pub fn names_customer(&self) -> bool {
        self.purposes.iter().any(|p| p == "customer")
    }

    /// The rule in one plain sentence (what `policy check` prints).
    pub fn explain(&self) -> String {
        let whom = if self.purposes_listed {
            format!("{} legs", or_list(&self.purposes))
        } else {
            "any leg except the customer's".to_owned()
        };
        let threshold = format_duration(self.threshold);
        let condition = match self.when {
            RuleKind::Held => format!(
                "that has been on hold for more than {threshold} (counted from the platform's \
                 startHoldTime)"
            ),
            RuleKind::Muted => format!(
                "that has been muted for more than {threshold} (counted from when Bridgekeeper saw \
                 the mute; a mute already present when watching started counts from then)"
            ),
            RuleKind::Alone => {
                format!(
                    "that has been the only connected party on its call for more than {threshold}"
                )
            }
            RuleKind::NoOutsideParty => format!(
                "on a call that has had no connected customer or external party for more than \
                 {threshold} (every internal leg of such a call)"
            ),
            RuleKind::Silent => format!(
                "on a call whose outside (EXTERNAL) side has said nothing for more than {threshold} \
                 while transcription is running (transcripts arrive about 35 s late; where \
                 transcription is not permitted or licensed the rule reports unavailable, never \
                 silent)"
            ),
            RuleKind::OnCall => format!("that has been on its call for more than {threshold}"),
            RuleKind::Phantom => format!(
                "that is still on the call {threshold} after a drop the platform accepted (it is \
                 then disconnected by its communication)"
            ),
        };
        let mut text = format!(
            "Rule \"{}\" ({}): drops {whom} {condition}",
            self.id,
            self.when.as_str()
        );
        if self.queues.is_empty() && self.users.is_empty() {
            text.push_str(", on every watched queue");
        } else {
            let mut scope = Vec::new();
            if !self.queues.is_empty() {
                scope.push(format!("on the queues {}", or_list(&self.queues)));
            }
            if !self.users.is_empty() {
                scope.push(format!("on calls of {}", or_list(&self.users)));
            }
            text.push_str(", ");
            text.push_str(&scope.join(" or "));
        }
        if !self.exclude_users.is_empty() {
            text.push_str(&format!("; never {}", or_list(&self.exclude_users)));
        }
        text.push('.');
        if self.names_customer() {
            text.push_str(" It may drop customers.");
        }
        if self.allow_customer_alone {
            text.push_str(" It may leave a customer without an agent.");
        } else {
            text.push_str(" It never leaves a customer without an agent.");
        }
        text
    }
}

/// A validated policy file.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// Dry run (the default) or enforce.
    pub mode: Mode,
    /// The most drops in any 60 s, across restarts and copies sharing the audit log.
    pub max_drops_per_minute: u32,
    /// The rules, in file order.
    pub rules: Vec<Rule>,
}

impl Policy {
    /// Parses and validates policy text; errors name the line and the field.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| PolicyError::from_toml(text, &e))?;
        raw.validate(text)
    }

    /// Reads and parses a policy file.
    pub fn load(path: &Path) -> Result<Self, PolicyFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyFileError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text).map_err(|error| PolicyFileError::Invalid {
            path: path.display().to_string(),
            error,
        })
    }

    /// A rule by id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The policy in words: the mode and the cap, then one sentence per rule.
    pub fn explain(&self) -> Vec<String> {
        let mut lines = vec![match self.mode {
            Mode::DryRun => {
                "Mode: dry run. It reports what it would drop and sends nothing.".to_owned()
            }
            Mode::Enforce => "Mode: enforce. It drops the legs its rules find.".to_owned(),
        }];
        lines.push(format!(
            "At most {} drop{} in any minute, counted across restarts and copies sharing the audit log.",
            self.max_drops_per_minute,
            if self.max_drops_per_minute == 1 { "" } else { "s" }
        ));
        if self.rules.is_empty() {
            lines.push("No rules: it finds nothing and drops nothing.".to_owned());
        }
        lines.extend(self.rules.iter().map(Rule::explain));
        lines.push(
            "Always: a leg is re-read before it is dropped and skipped when the finding no longer \
             holds; no leg is dropped twice."
                .to_owned(),
        );
        lines
    }
}

/// Why a policy file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyFileError {
    /// The file could not be read.
    #[error("cannot read the policy file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid policy.
    #[error("{path}: {error}")]
    Invalid {
        /// The file.
        path: String,
        /// Where and what.
        error: PolicyError,
    },
}

/// One error in a policy file: where it is and which field, so it can be fixed without guessing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The field, qualified by its rule (`rule[2].for`, `mode`); empty when the text is not TOML.
    pub field: String,
    /// What is wrong and what would be right.
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(
                f,
                "line {}, column {}: {}",
                self.line, self.column, self.message
            )
        } else {
            write!(
                f,
                "line {}, field `{}`: {}",
                self.line, self.field, self.message
            )
        }
    }
}

impl std::error::Error for PolicyError {}

impl PolicyError {
    fn at(text: &str, span: Range<usize>, field: String, message: impl Into<String>) -> Self {
        let (line, column) = line_col(text, span.start);
        Self {
            line,
            column,
            field,
            message: message.into(),
        }
    }

    fn from_toml(text: &str, e: &toml::de::Error) -> Self {
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim().to_owned();
        let (line, column) = line_col(text, span.start);
        let key = quoted_after(&message, "unknown field `")
            .or_else(|| quoted_after(&message, "missing field `"))
            .or_else(|| key_on_line(text, span.start));
        let field = match key {
            Some(key) => qualify(text, span.start, &key),
            None => String::new(),
        };
        Self {
            line,
            column,
            field,
            message,
        }
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn quoted_after(message: &str, prefix: &str) -> Option<String> {
    let rest = &message[message.find(prefix)? + prefix.len()..];
    Some(rest[..rest.find('`')?].to_owned())
}

/// The key of a `key = value` line at `offset`, if the line is one.
fn key_on_line(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty() && !key.starts_with('[') && !key.starts_with('#')).then(|| key.to_owned())
}

/// `rule[N].key` when `offset` lies inside the N-th `[[rule]]` table, else `key`.
fn qualify(text: &str, offset: usize, key: &str) -> String {
    match rule_index_at(text, offset) {
        Some(n) => format!("rule[{n}].{key}"),
        None => key.to_owned(),
    }
}

/// Which `[[rule]]` table (1-based) holds `offset`, counting the headers before it.
fn rule_index_at(text: &str, offset: usize) -> Option<usize> {
    let offset = offset.min(text.len());
    let mut index = None;
    let mut count = 0;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        if pos > offset {
            break;
        }
        let t = line.trim_start();
        if t.starts_with("[[") && t[2..].trim_start().starts_with("rule") {
            count += 1;
            index = Some(count);
        } else if t.starts_with('[') {
            index = None;
        }
        pos += line.len();
    }
    index
}

/// Parses `90s`, `10m`, `1h`, `1h30m`; whole numbers only, at least one second.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let hint = "write a duration such as 90s, 10m or 1h (combinations like 1h30m work too)";
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(format!("the duration is empty; {hint}"));
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in trimmed.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return Err(format!("\"{text}\" is not a duration; {hint}")),
        };
        if digits.is_empty() {
            return Err(format!("\"{text}\" is not a duration; {hint}"));
        }
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("\"{text}\" is too long a duration"))?;
        total = n
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(|| format!("\"{text}\" is too long a duration"))?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(format!(
            "\"{text}\" has no unit; {hint} (s for seconds, m for minutes, h for hours)"
        ));
    }
    let duration = Duration::from_secs(total);
    if duration.is_zero() {
        return Err(format!("\"{text}\" is zero; a rule needs at least 1s"));
    }
    if duration > MAX_THRESHOLD {
        return Err(format!("\"{text}\" is longer than the limit of 7 days"));
    }
    Ok(duration)
}

/// A duration as a person writes it: `90s` → "1 min 30 s", `10m` → "10 min", `1h` → "1 h".
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 {
        parts.push(format!("{m} min"));
    }
    if sec > 0 || parts.is_empty() {
        parts.push(format!("{sec} s"));
    }
    parts.join(" ")
}

fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    mode: Option<Spanned<String>>,
    max_drops_per_minute: Option<Spanned<i64>>,
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    when: Spanned<String>,
    #[serde(rename = "for")]
    threshold: Spanned<String>,
    purposes: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    queues: Vec<Spanned<String>>,
    #[serde(default)]
    users: Vec<Spanned<String>>,
    #[serde(default)]
    exclude_users: Vec<Spanned<String>>,
    #[serde(default)]
    allow_customer_alone: bool,
}

impl RawPolicy {
    fn validate(self, text: &str) -> Result<Policy, PolicyError> {
        let err = |span: Range<usize>, key: &str, message: String| {
            PolicyError::at(text, span.clone(), qualify(text, span.start, key), message)
        };
        let mode = match &self.mode {
            None => Mode::DryRun,
            Some(m) => match m.get_ref().as_str() {
                "dry-run" => Mode::DryRun,
                "enforce" => Mode::Enforce,
                other => {
                    return Err(err(
                        m.span(),
                        "mode",
                        format!("\"{other}\" is not a mode; use \"dry-run\" or \"enforce\""),
                    ));
                }
            },
        };
        let max_drops_per_minute = match &self.max_drops_per_minute {
            None => DEFAULT_MAX_DROPS_PER_MINUTE,
            Some(n) => match u32::try_from(*n.get_ref()) {
                Ok(v) if (1..=MAX_DROPS_PER_MINUTE_LIMIT).contains(&v) => v,
                _ => {
                    return Err(err(
                        n.span(),
                        "max_drops_per_minute",
                        format!(
                            "{} is out of range; use a whole number from 1 to \
                             {MAX_DROPS_PER_MINUTE_LIMIT} (dry-run mode drops nothing anyway)",
                            n.get_ref()
                        ),
                    ));
                }
            },
        };
        let mut rules: Vec<Rule> = Vec::with_capacity(self.rule.len());
        for raw in self.rule {
            let id_span = raw.id.span();
            let id = raw.id.get_ref().trim().to_owned();
            if id.is_empty() {
                return Err(err(id_span, "id", "a rule needs a non-empty id".into()));
            }
            if let Some(other) = rules.iter().find(|r| r.id == id) {
                return Err(err(
                    id_span,
                    "id",
                    format!(
                        "the id \"{id}\" is already used by the rule on line {}; ids must be unique \
                         (the audit log names decisions by them)",
                        other.line
                    ),
                ));
            }
            let when = RuleKind::parse(raw.when.get_ref()).ok_or_else(|| {
                err(
                    raw.when.span(),
                    "when",
                    format!(
                        "\"{}\" is not a condition; use one of {}",
                        raw.when.get_ref(),
                        RuleKind::ALL.map(RuleKind::as_str).join(", ")
                    ),
                )
            })?;
            let threshold = parse_duration(raw.threshold.get_ref())
                .map_err(|m| err(raw.threshold.span(), "for", m))?;
            let (purposes, purposes_listed) = match raw.purposes {
                None => (
                    KNOWN_PURPOSES
                        .iter()
                        .filter(|p| **p != "customer")
                        .map(|p| (*p).to_owned())
                        .collect(),
                    false,
                ),
                Some(list) => {
                    if list.get_ref().is_empty() {
                        return Err(err(
                            list.span(),
                            "purposes",
                            "an empty list lets the rule act on no leg; leave `purposes` out for \
                             every purpose but customer"
                                .into(),
                        ));
                    }
                    let mut out: Vec<String> = Vec::new();
                    for p in list.into_inner() {
                        let value = p.get_ref().trim().to_ascii_lowercase();
                        if !KNOWN_PURPOSES.contains(&value.as_str()) {
                            return Err(err(
                                p.span(),
                                "purposes",
                                format!(
                                    "\"{}\" is not a participant purpose; use any of {}",
                                    p.get_ref(),
                                    KNOWN_PURPOSES.join(", ")
                                ),
                            ));
                        }
                        if !out.contains(&value) {
                            out.push(value);
                        }
                    }
                    (out, true)
                }
            };
            let list = |items: Vec<Spanned<String>>,
                        key: &str|
             -> Result<Vec<String>, PolicyError> {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    let value = item.get_ref().trim().to_owned();
                    if value.is_empty() {
                        return Err(err(item.span(), key, "an empty name matches no one".into()));
                    }
                    out.push(value);
                }
                Ok(out)
            };
            rules.push(Rule {
                id,
                when,
                threshold,
                purposes,
                purposes_listed,
                queues: list(raw.queues, "queues")?,
                users: list(raw.users, "users")?,
                exclude_users: list(raw.exclude_users, "exclude_users")?,
                allow_customer_alone: raw.allow_customer_alone,
                line: rule_header_line(text, id_span.start),
            });
        }
        Ok(Policy {
            mode,
            max_drops_per_minute,
            rules,
        })
    }
}

/// The line of the `[[rule]]` header above `offset` (else the line of `offset`).
fn rule_header_line(text: &str, offset: usize) -> usize {
    let (line, _) = line_col(text, offset);
    text.lines()
        .take(line)
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("[["))
        .map(|(i, _)| i + 1)
        .last()
        .unwrap_or(line)
}

#[cfg(test)]
mod tests;
