//! `login`: the browser sign-in with the loopback redirect; the session goes to the keyring.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::Duration;

use genesys_model::ClientSecret;
use serde::Serialize;
use supervisor_core::auth::{
    DEFAULT_REDIRECT_PATH, LoopbackConfig, SessionOptions, SignIn, SignInConfig, environment_label,
};
use url::Url;

use crate::cli::LoginArgs;
use crate::commands::whoami::SessionView;
use crate::context::{Context, RememberedAccount};
use crate::error::CliError;
use crate::output::Exit;

/// First JSON line of `login --json`: what to open.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AuthorizeView<'a> {
    authorize_url: &'a str,
    redirect_uri: &'a str,
}

/// Runs the sign-in and prints the signed-in user.
pub async fn run(ctx: &Context, args: &LoginArgs) -> Result<Exit, CliError> {
    let (environment, client_id) = ctx.account_or(
        "choose where to sign in: --region REGION (e.g. us_east_1) or --api-base URL for a \
         local emulator",
        "--client-id is required: the OAuth client id your administrator created for Bridgekeeper",
    )?;
    let client_secret = if args.client_secret_stdin {
        Some(read_secret_line()?)
    } else {
        None
    };

    let config = SignInConfig {
        environment: environment.clone(),
        client_id: client_id.clone(),
        client_secret,
        loopback: LoopbackConfig {
            port: args.redirect_port,
            path: DEFAULT_REDIRECT_PATH.to_owned(),
            timeout: Duration::from_secs(args.timeout),
        },
        login_hint: args
            .login_hint
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_owned),
        session: SessionOptions::default(),
    };
    let sign_in = SignIn::start(config, ctx.store()).await?;
    let url = sign_in.authorize_url().clone();
    if ctx.printer.json() {
        ctx.printer.json_line(&AuthorizeView {
            authorize_url: url.as_str(),
            redirect_uri: sign_in.redirect_uri(),
        });
    } else {
        eprintln!(
            "Open this address in a browser to sign in to {} (waiting up to {} s):",
            environment_label(&environment),
            args.timeout
        );
        ctx.printer.line(url.as_str());
    }
    if !args.no_browser {
        if let Err(reason) = open_browser(&url) {
            eprintln!("note: could not open the browser ({reason}); open the address yourself");
        }
    }

    let session = sign_in.finish().await?;
    ctx.remember(&RememberedAccount::new(&environment, &client_id))?;
    let view = SessionView::from_session(&session, None);
    if ctx.printer.json() {
        ctx.printer.json_line(&view);
    } else {
        ctx.printer.line(&format!(
            "Signed in as {} ({}) on {}; the session is in the system keyring{}.",
            view.user_name,
            view.user_id,
            view.environment,
            if view.renewable {
                " and renews itself"
            } else {
                ""
            }
        ));
    }
    Ok(Exit::Success)
}

/// Reads one line from stdin as the client secret; an empty line is an error.
fn read_secret_line() -> Result<ClientSecret, CliError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::new(format!("cannot read the client secret from stdin: {e}")))?;
    let secret = line.trim_end_matches(['\r', '\n']).trim();
    if secret.is_empty() {
        return Err(CliError::new(
            "--client-secret-stdin: stdin gave no secret (expected it on the first line)",
        ));
    }
    Ok(ClientSecret::new(secret))
}

/// Opens `url` in the system browser without a shell (the URL is never interpreted by one).
fn open_browser(url: &Url) -> Result<(), String> {
    let (program, args): (&str, Vec<&str>) = if cfg!(target_os = "windows") {
        // `cmd /c start` would parse `&` in the query; the URL handler takes it verbatim.
        (
            "rundll32",
            vec!["url.dll,FileProtocolHandler", url.as_str()],
        )
    } else if cfg!(target_os = "macos") {
        ("open", vec![url.as_str()])
    } else {
        ("xdg-open", vec![url.as_str()])
    };
    Command::new(program)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(|_| ())
        .map_err(|e| format!("{program}: {e}"))
}
