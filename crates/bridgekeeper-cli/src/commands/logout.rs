//! `logout`: revoke the token on the server (best effort) and remove the session from the keyring.

use serde::Serialize;
use supervisor_core::auth::{AuthError, environment_label};
use supervisor_core::token_store::{AccountKey, TokenStoreKind};

use crate::context::Context;
use crate::error::CliError;
use crate::output::Exit;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogoutView {
    /// True when a stored session was removed.
    signed_out: bool,
    environment: String,
    client_id: String,
}

/// The store's short name for the sign-out line.
fn store_name(ctx: &Context) -> &'static str {
    match ctx.store_kind() {
        Ok(TokenStoreKind::KernelKeyring) => "the kernel keyring",
        _ => "the keyring",
    }
}

/// Signs out; signing out twice is not an error.
pub async fn run(ctx: &Context) -> Result<Exit, CliError> {
    let (environment, client_id) = ctx.account()?;
    let label = environment_label(&environment);
    let removed = match ctx.session().await {
        Ok(session) => {
            session.sign_out().await?;
            true
        }
        // An expired (or unreadable) session cannot be revoked, but its entry is still removed.
        Err(_) => {
            let key = AccountKey::new(&label, &client_id)?;
            let store = ctx.store()?;
            tokio::task::spawn_blocking(move || store.delete(&key))
                .await
                .map_err(|e| CliError::from(AuthError::Internal(e)))??
        }
    };
    let view = LogoutView {
        signed_out: removed,
        environment: label,
        client_id,
    };
    if ctx.printer.json() {
        ctx.printer.json_line(&view);
    } else if removed {
        ctx.printer.line(&format!(
            "Signed out of {} (client {}); the session was removed from {}.",
            view.environment,
            view.client_id,
            store_name(ctx)
        ));
    } else {
        ctx.printer.line(&format!(
            "Not signed in to {} (client {}); nothing to do.",
            view.environment, view.client_id
        ));
    }
    Ok(Exit::Success)
}
