//! `whoami`: who is signed in where, checked against the API (so a revoked session says so).

use chrono::{DateTime, SecondsFormat, Utc};
use genesys_model::UserMe;
use serde::Serialize;
use supervisor_core::auth::{Session, environment_label};
use supervisor_core::permissions::PermissionReport;

use crate::context::Context;
use crate::error::CliError;
use crate::output::{Exit, sanitize};

/// The permission a drop needs; shown so an operator learns before acting that it is missing.
pub const DISCONNECT_PERMISSION: &str = "conversation:communication:disconnect";

/// The signed-in session as printed by `login` and `whoami`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    /// Genesys user id.
    pub user_id: String,
    /// Display name (the id when the profile has none).
    pub user_name: String,
    /// Email, when the profile has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Organisation name, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// Region name or emulator base.
    pub environment: String,
    /// OAuth client id.
    pub client_id: String,
    /// True for a confidential client that refreshes itself.
    pub renewable: bool,
    /// When the access token expires (RFC 3339).
    pub expires_at: String,
    /// Whether the user may drop parties (`conversation:communication:disconnect`), when checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub can_disconnect: Option<bool>,
    /// Each feature the user's roles leave unavailable, with the permission to ask for (when checked).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unavailable: Vec<String>,
    /// Where the session is kept (`os-keyring` or `kernel-keyring`), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_store: Option<&'static str>,
}

impl SessionView {
    /// From a session, enriched with the profile when it was read.
    pub fn from_session(session: &Session, profile: Option<&UserMe>) -> Self {
        let user = session.user();
        Self {
            user_id: user.id.clone(),
            user_name: profile
                .map(|p| p.display_name().to_owned())
                .or_else(|| user.name.clone())
                .unwrap_or_else(|| user.id.clone()),
            email: profile.and_then(|p| p.email.clone()),
            organization: profile
                .and_then(|p| p.organization.as_ref())
                .and_then(|o| o.name.clone()),
            environment: environment_label(session.environment()),
            client_id: session.client_id().to_owned(),
            renewable: session.is_renewable(),
            expires_at: rfc3339(session.expires_at()),
            can_disconnect: profile.map(|p| p.has_permission(DISCONNECT_PERMISSION)),
            unavailable: profile
                .map(|p| PermissionReport::of(p).lines())
                .unwrap_or_default(),
            token_store: None,
        }
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Prints the session after checking it with `GET /api/v2/users/me`.
pub async fn run(ctx: &Context) -> Result<Exit, CliError> {
    let session = ctx.session().await?;
    let api = session.api_client()?;
    let profile = api
        .users_me(&["authorization", "organization"])
        .await
        .map_err(CliError::from)?;
    let mut view = SessionView::from_session(&session, Some(&profile));
    view.token_store = ctx.store_kind().ok().map(|k| k.as_str());
    if ctx.printer.json() {
        ctx.printer.json_line(&view);
        return Ok(Exit::Success);
    }
    let p = &ctx.printer;
    let rows = [
        (
            "User",
            format!("{} ({})", sanitize(&view.user_name), view.user_id),
        ),
        (
            "Email",
            view.email.as_deref().map(sanitize).unwrap_or_default(),
        ),
        (
            "Organisation",
            view.organization
                .as_deref()
                .map(sanitize)
                .unwrap_or_default(),
        ),
        ("Environment", view.environment.clone()),
        ("OAuth client", view.client_id.clone()),
        (
            "Token store",
            view.token_store.unwrap_or_default().to_owned(),
        ),
        (
            "Session",
            if view.renewable {
                format!("renews itself (token until {})", view.expires_at)
            } else {
                format!("valid until {}, then sign in again", view.expires_at)
            },
        ),
        (
            "Can drop",
            match view.can_disconnect {
                Some(true) => "yes".to_owned(),
                Some(false) => format!("no (missing {DISCONNECT_PERMISSION})"),
                None => "unknown".to_owned(),
            },
        ),
    ];
    for (label, value) in rows {
        if !value.is_empty() {
            p.line(&format!("{:<13} {value}", format!("{label}:")));
        }
    }
    for line in &view.unavailable {
        p.line(&format!("{:<13} {}", "Unavailable:", sanitize(line)));
    }
    Ok(Exit::Success)
}
