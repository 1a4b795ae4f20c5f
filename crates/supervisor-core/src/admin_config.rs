//! The admin-managed configuration: a system-wide file an IT admin (or an MDM tool) installs, and a
//! per-user one, both TOML with the same fields.
//!
//! ```toml
//! region = "eu_west_1"                 # a region name (or its domain); the sign-in form's region
//! client_id = "0b6f…"                  # the OAuth client id of the organisation
//! loopback_port = 8765                 # the port of the registered redirect URI
//! demo = false                         # offer "Try the demo organisation" (default true)
//! allow_policy_enforcement = false     # may a policy run in "enforce" mode (default true)
//! update_endpoint = "https://…/latest.json"  # where updates are looked for (default: none, off)
//! token_store = "kernel-keyring"       # where bridgekeeper-cli keeps sessions: "os-keyring" (default),
//!                                      # "kernel-keyring" (a server without a Secret Service) or "auto"
//! ```
//!
//! A field set in the system-wide file wins over the user's and is **locked**: the app shows it but
//! offers no way to change it. A file that cannot be used (not TOML, an unknown field, a wrong type,
//! a value out of range) is ignored as a whole, never rewritten, and reported as a
//! [`ConfigProblem`] that names the file, the line and the field, so the app can still start and say
//! exactly what to fix. This module is Tauri-free; the desktop app and the CLI both read it.
//! (Just over 600 lines: each field's parse, merge and message sit together; tests are beside it.)

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use genesys_client::Region;
use serde::Deserialize;
use toml::Spanned;
use url::Url;

use crate::auth::DEFAULT_REDIRECT_PORT;
use crate::token_store::TokenStoreChoice;

/// Overrides the system-wide file's location (tests, and admins trying a file out); empty means none.
pub const SYSTEM_CONFIG_ENV: &str = "BRIDGEKEEPER_SYSTEM_CONFIG";
/// Overrides the per-user file's location; empty means none.
pub const USER_CONFIG_ENV: &str = "BRIDGEKEEPER_USER_CONFIG";
/// The file name in both folders.
pub const CONFIG_FILE_NAME: &str = "config.toml";
/// The per-user folder's name under the OS config folder: the app identifier, where `prefs.json` lives.
pub const USER_CONFIG_FOLDER: &str = "io.bridgekeeper.desktop";
/// The longest client id accepted (Genesys ids are 36-character UUIDs).
const MAX_CLIENT_ID_LEN: usize = 256;

/// One setting of the file, for locks and messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// `region`
    Region,
    /// `client_id`
    ClientId,
    /// `loopback_port`
    LoopbackPort,
    /// `demo`
    Demo,
    /// `allow_policy_enforcement`
    AllowPolicyEnforcement,
    /// `update_endpoint`
    UpdateEndpoint,
    /// `token_store`
    TokenStore,
}

impl Field {
    /// Every field, in the documented order.
    pub const ALL: [Field; 7] = [
        Self::Region,
        Self::ClientId,
        Self::LoopbackPort,
        Self::Demo,
        Self::AllowPolicyEnforcement,
        Self::UpdateEndpoint,
        Self::TokenStore,
    ];

    /// The key as written in the file.
    pub fn key(self) -> &'static str {
        match self {
            Self::Region => "region",
            Self::ClientId => "client_id",
            Self::LoopbackPort => "loopback_port",
            Self::Demo => "demo",
            Self::AllowPolicyEnforcement => "allow_policy_enforcement",
            Self::UpdateEndpoint => "update_endpoint",
            Self::TokenStore => "token_store",
        }
    }
}

/// Which file a value or a problem comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The machine-wide file the admin manages; its fields are locked.
    System,
    /// The user's own file.
    User,
}

impl Scope {
    /// How messages name the file's role.
    pub fn describe(self) -> &'static str {
        match self {
            Self::System => "system-wide configuration",
            Self::User => "your configuration",
        }
    }
}

/// Where an effective value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Built in: no file sets it.
    Default,
    /// The user's file.
    User,
    /// The system-wide file (locked).
    System,
}

/// The validated settings of one file; `None` where the file does not set a field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigLayer {
    /// The region the sign-in uses.
    pub region: Option<Region>,
    /// The OAuth client id.
    pub client_id: Option<String>,
    /// The redirect URI's port (`http://localhost:PORT/oauth/callback`).
    pub loopback_port: Option<u16>,
    /// Whether the demo organisation is offered.
    pub demo: Option<bool>,
    /// Whether a policy may run in enforce mode.
    pub allow_policy_enforcement: Option<bool>,
    /// The updater's endpoint (the `latest.json` URL, Tauri placeholders allowed).
    pub update_endpoint: Option<String>,
    /// Where the CLI keeps sessions (the OS keyring, the kernel keyring, or whichever works).
    pub token_store: Option<TokenStoreChoice>,
}

impl ConfigLayer {
    /// True when the file sets `field`.
    pub fn sets(&self, field: Field) -> bool {
        match field {
            Field::Region => self.region.is_some(),
            Field::ClientId => self.client_id.is_some(),
            Field::LoopbackPort => self.loopback_port.is_some(),
            Field::Demo => self.demo.is_some(),
            Field::AllowPolicyEnforcement => self.allow_policy_enforcement.is_some(),
            Field::UpdateEndpoint => self.update_endpoint.is_some(),
            Field::TokenStore => self.token_store.is_some(),
        }
    }

    /// Parses and validates a file's text; every error names its line and field.
    pub fn parse(text: &str) -> Result<Self, Vec<ParseError>> {
        let raw: RawLayer =
            toml::from_str(text).map_err(|e| vec![ParseError::from_toml(text, &e)])?;
        raw.validate(text)
    }
}

/// What is wrong at one place of a file's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The field's key; `None` when the text is not TOML at all.
    pub field: Option<String>,
    /// What is wrong and what would be right.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "line {}, field `{field}`: {}", self.line, self.message),
            None => write!(
                f,
                "line {}, column {}: {}",
                self.line, self.column, self.message
            ),
        }
    }
}

impl ParseError {
    fn at(text: &str, span: Range<usize>, field: Field, message: impl Into<String>) -> Self {
        let (line, column) = line_col(text, span.start);
        Self {
            line,
            column,
            field: Some(field.key().to_owned()),
            message: message.into(),
        }
    }

    fn from_toml(text: &str, e: &toml::de::Error) -> Self {
        let span = e.span().unwrap_or(0..0);
        let (line, column) = line_col(text, span.start);
        let raw = e.message().trim();
        let field = quoted_after(raw, "unknown field `").or_else(|| key_on_line(text, span.start));
        let message = if raw.starts_with("unknown field `") {
            format!(
                "{raw} (this version knows {}; check the spelling)",
                Field::ALL.map(Field::key).join(", ")
            )
        } else {
            raw.to_owned()
        };
        Self {
            line,
            column,
            field,
            message,
        }
    }
}

/// A file that could not be used, in words an admin can act on. The file was ignored, not changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigProblem {
    /// Which of the two files.
    pub scope: Scope,
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when the problem is at a place in the file.
    pub line: Option<usize>,
    /// 1-based column, with the line.
    pub column: Option<usize>,
    /// The field, when known.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The two files' locations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigLocations {
    /// The system-wide file (`None`: not looked for).
    pub system: Option<PathBuf>,
    /// The per-user file (`None`: not looked for, e.g. no home folder).
    pub user: Option<PathBuf>,
}

impl ConfigLocations {
    /// The OS locations, each overridable by its environment variable (an empty value: no file).
    pub fn from_env() -> Self {
        let pick = |var: &str, default: Option<PathBuf>| match std::env::var_os(var) {
            Some(v) if v.is_empty() => None,
            Some(v) => Some(PathBuf::from(v)),
            None => default,
        };
        Self {
            system: pick(SYSTEM_CONFIG_ENV, Some(system_config_path())),
            user: pick(USER_CONFIG_ENV, user_config_path()),
        }
    }
}

/// The system-wide file where the OS keeps machine-wide settings.
pub fn system_config_path() -> PathBuf {
    if cfg!(target_os = "windows") {
        let base = std::env::var_os("ProgramData")
            .filter(|v| !v.is_empty())
            .map_or_else(|| PathBuf::from(r"C:\ProgramData"), PathBuf::from);
        base.join("Bridgekeeper").join(CONFIG_FILE_NAME)
    } else if cfg!(target_os = "macos") {
        PathBuf::from("/Library/Application Support/Bridgekeeper").join(CONFIG_FILE_NAME)
    } else {
        PathBuf::from("/etc/bridgekeeper").join(CONFIG_FILE_NAME)
    }
}

/// The per-user file, beside the app's `prefs.json` (`~/.config/io.bridgekeeper.desktop/` on Linux).
pub fn user_config_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join(USER_CONFIG_FOLDER).join(CONFIG_FILE_NAME))
}

/// The effective configuration: both files merged (system wins), with what was locked and what was
/// wrong. The default value (no file at all) changes nothing in the app's behaviour.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdminConfig {
    system: ConfigLayer,
    user: ConfigLayer,
    locations: ConfigLocations,
    problems: Vec<ConfigProblem>,
}

impl AdminConfig {
    /// Reads both files from their OS locations (or the environment's overrides). Never fails: a
    /// missing file is no file, a bad one is a [`ConfigProblem`] and its defaults.
    pub fn load() -> Self {
        Self::load_from(ConfigLocations::from_env())
    }

    /// Reads both files from these locations.
    pub fn load_from(locations: ConfigLocations) -> Self {
        let mut problems = Vec::new();
        let system = read_layer(Scope::System, locations.system.as_deref(), &mut problems);
        let user = read_layer(Scope::User, locations.user.as_deref(), &mut problems);
        for problem in &problems {
            tracing::warn!(%problem, "a configuration file was ignored");
        }
        Self {
            system,
            user,
            locations,
            problems,
        }
    }

    /// Two already parsed layers (tests, and callers with their own files).
    pub fn from_layers(system: ConfigLayer, user: ConfigLayer) -> Self {
        Self {
            system,
            user,
            ..Self::default()
        }
    }

    /// Where the files were looked for.
    pub fn locations(&self) -> &ConfigLocations {
        &self.locations
    }

    /// The files that could not be used, in the order read (system first).
    pub fn problems(&self) -> &[ConfigProblem] {
        &self.problems
    }

    /// True when the system-wide file sets `field`: the app must not let the user change it.
    pub fn is_locked(&self, field: Field) -> bool {
        self.system.sets(field)
    }

    /// Every locked field.
    pub fn locked(&self) -> Vec<Field> {
        Field::ALL
            .into_iter()
            .filter(|f| self.is_locked(*f))
            .collect()
    }

    /// Which file the effective value of `field` comes from.
    pub fn origin(&self, field: Field) -> Origin {
        if self.system.sets(field) {
            Origin::System
        } else if self.user.sets(field) {
            Origin::User
        } else {
            Origin::Default
        }
    }

    /// The configured region (`None`: the user chooses, the form starts on the last one used).
    pub fn region(&self) -> Option<Region> {
        self.system.region.or(self.user.region)
    }

    /// The configured OAuth client id.
    pub fn client_id(&self) -> Option<&str> {
        self.system
            .client_id
            .as_deref()
            .or(self.user.client_id.as_deref())
    }

    /// The redirect URI's port (default 8765).
    pub fn loopback_port(&self) -> u16 {
        self.system
            .loopback_port
            .or(self.user.loopback_port)
            .unwrap_or(DEFAULT_REDIRECT_PORT)
    }

    /// Whether "Try the demo organisation" is offered (default yes).
    pub fn demo_offered(&self) -> bool {
        self.system.demo.or(self.user.demo).unwrap_or(true)
    }

    /// Whether a policy may run in enforce mode (default yes; dry runs are always allowed).
    pub fn policy_enforcement_allowed(&self) -> bool {
        self.system
            .allow_policy_enforcement
            .or(self.user.allow_policy_enforcement)
            .unwrap_or(true)
    }

    /// The updater's endpoint; `None` keeps the updater off.
    pub fn update_endpoint(&self) -> Option<&str> {
        self.system
            .update_endpoint
            .as_deref()
            .or(self.user.update_endpoint.as_deref())
    }

    /// Where the CLI keeps sessions (default: the OS keyring).
    pub fn token_store(&self) -> TokenStoreChoice {
        self.system
            .token_store
            .or(self.user.token_store)
            .unwrap_or_default()
    }

    /// The system-wide file's path, for "set by your administrator in …".
    pub fn system_path(&self) -> Option<&Path> {
        self.locations.system.as_deref()
    }
}

fn read_layer(scope: Scope, path: Option<&Path>, problems: &mut Vec<ConfigProblem>) -> ConfigLayer {
    let Some(path) = path else {
        return ConfigLayer::default();
    };
    let problem = |line: Option<usize>, column, field, message: String| ConfigProblem {
        scope,
        path: path.to_owned(),
        line,
        column,
        field,
        message,
    };
    let text = match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                problems.push(problem(
                    None,
                    None,
                    None,
                    format!(
                        "the {} is not UTF-8 text; save it as UTF-8. It is ignored until then",
                        scope.describe()
                    ),
                ));
                return ConfigLayer::default();
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return ConfigLayer::default(),
        Err(e) => {
            problems.push(problem(
                None,
                None,
                None,
                format!(
                    "the {} cannot be read ({e}); it is ignored until it can",
                    scope.describe()
                ),
            ));
            return ConfigLayer::default();
        }
    };
    match ConfigLayer::parse(&text) {
        Ok(layer) => layer,
        Err(errors) => {
            problems.extend(
                errors
                    .into_iter()
                    .map(|e| problem(Some(e.line), Some(e.column), e.field, e.message)),
            );
            ConfigLayer::default()
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLayer {
    region: Option<Spanned<String>>,
    client_id: Option<Spanned<String>>,
    loopback_port: Option<Spanned<i64>>,
    demo: Option<Spanned<bool>>,
    allow_policy_enforcement: Option<Spanned<bool>>,
    update_endpoint: Option<Spanned<String>>,
    token_store: Option<Spanned<String>>,
}

impl RawLayer {
    fn validate(self, text: &str) -> Result<ConfigLayer, Vec<ParseError>> {
        let mut errors = Vec::new();
        let mut layer = ConfigLayer {
            demo: self.demo.map(Spanned::into_inner),
            allow_policy_enforcement: self.allow_policy_enforcement.map(Spanned::into_inner),
            ..ConfigLayer::default()
        };
        if let Some(region) = self.region {
            match region.get_ref().parse::<Region>() {
                Ok(r) => layer.region = Some(r),
                Err(_) => errors.push(ParseError::at(
                    text,
                    region.span(),
                    Field::Region,
                    format!(
                        "\"{}\" is not a Genesys Cloud region; use one of {}",
                        region.get_ref(),
                        Region::ALL
                            .iter()
                            .map(|r| r.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )),
            }
        }
        if let Some(id) = self.client_id {
            let value = id.get_ref().trim();
            let bad = if value.is_empty() {
                Some("the client id is empty; write the Client ID of the organisation's OAuth client, or remove the line".to_owned())
            } else if value.len() > MAX_CLIENT_ID_LEN {
                Some(format!(
                    "the client id is longer than {MAX_CLIENT_ID_LEN} characters"
                ))
            } else if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
                Some("the client id contains spaces or control characters".to_owned())
            } else {
                None
            };
            match bad {
                Some(message) => {
                    errors.push(ParseError::at(text, id.span(), Field::ClientId, message));
                }
                None => layer.client_id = Some(value.to_owned()),
            }
        }
        if let Some(port) = self.loopback_port {
            match u16::try_from(*port.get_ref()) {
                Ok(p) if p != 0 => layer.loopback_port = Some(p),
                _ => errors.push(ParseError::at(
                    text,
                    port.span(),
                    Field::LoopbackPort,
                    format!(
                        "{} is not a usable port; use 1 to 65535, the port of the redirect URI \
                         registered on the OAuth client (usually 8765)",
                        port.get_ref()
                    ),
                )),
            }
        }
        if let Some(endpoint) = self.update_endpoint {
            match check_endpoint(endpoint.get_ref()) {
                Ok(url) => layer.update_endpoint = Some(url),
                Err(message) => errors.push(ParseError::at(
                    text,
                    endpoint.span(),
                    Field::UpdateEndpoint,
                    message,
                )),
            }
        }
        if let Some(store) = self.token_store {
            match store.get_ref().parse::<TokenStoreChoice>() {
                Ok(choice) => layer.token_store = Some(choice),
                Err(message) => errors.push(ParseError::at(
                    text,
                    store.span(),
                    Field::TokenStore,
                    format!("{message}; a sign-in is never kept in a file"),
                )),
            }
        }
        if errors.is_empty() {
            Ok(layer)
        } else {
            Err(errors)
        }
    }
}

/// An update endpoint must be HTTPS (plain HTTP only on this computer, for tests).
fn check_endpoint(text: &str) -> Result<String, String> {
    let value = text.trim();
    let url = Url::parse(value)
        .map_err(|e| format!("\"{value}\" is not a URL ({e}); write https://…/latest.json"))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => Ok(value.to_owned()),
        "http" if loopback => Ok(value.to_owned()),
        "http" => Err(format!(
            "\"{value}\" is plain HTTP; updates are fetched over HTTPS only (http:// is accepted \
             for 127.0.0.1 and localhost)"
        )),
        other => Err(format!(
            "\"{value}\" uses {other}:; an update endpoint is an https:// URL"
        )),
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn quoted_after(message: &str, prefix: &str) -> Option<String> {
    let rest = &message[message.find(prefix)? + prefix.len()..];
    Some(rest[..rest.find('`')?].to_owned())
}

/// The key of the `key = value` line at `offset`, if it is one.
fn key_on_line(text: &str, offset: usize) -> Option<String> {
    let (line, _) = line_col(text, offset);
    let line = text.lines().nth(line - 1)?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty() && !key.starts_with('[') && !key.starts_with('#')).then(|| key.to_owned())
}

#[cfg(test)]
mod tests;
