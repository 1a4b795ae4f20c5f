//! `login`: the browser sign-in with the loopback redirect; the session goes to the token store
//! (the system keyring, or the kernel keyring on a server). `login --service` is the sign-in done
//! once for a headless service: a confidential client (its secret never on the command line), no
//! browser here, and the redirected address may be pasted back when the redirect cannot reach this
//! machine.

use std::io::{BufRead, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use genesys_model::ClientSecret;
use serde::Serialize;
use supervisor_core::auth::{
    AuthError, DEFAULT_REDIRECT_PATH, LoopbackConfig, PasteCheck, Pasted, SessionOptions, SignIn,
    SignInConfig, environment_label,
};
use supervisor_core::token_store::Secret;
use url::Url;

use crate::cli::LoginArgs;
use crate::commands::whoami::SessionView;
use crate::context::Context;
use crate::error::CliError;
use crate::output::Exit;

/// The environment variable a confidential client's secret may come from (never argv: `ps` shows
/// every process's arguments to every user, while the environment is private to its owner).
pub const CLIENT_SECRET_ENV: &str = "BRIDGEKEEPER_CLIENT_SECRET";
/// A client secret file longer than this is not a secret file.
const MAX_SECRET_FILE_BYTES: u64 = 64 * 1024;

/// First JSON line of `login --json`: what to open.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AuthorizeView<'a> {
    authorize_url: &'a str,
    redirect_uri: &'a str,
    /// True when the redirected address may be pasted on stdin (headless sign-in).
    paste: bool,
    /// Where the session will be kept.
    token_store: &'static str,
}

/// Runs the sign-in and prints the signed-in user.
pub async fn run(ctx: &Context, args: &LoginArgs) -> Result<Exit, CliError> {
    let (environment, client_id) = ctx.account_or(
        CliError::new(
            "choose where to sign in: --region REGION (e.g. us_east_1) or --api-base URL for a \
             local emulator",
        ),
        CliError::new(
            "--client-id is required: the OAuth client id your administrator created for \
             Bridgekeeper",
        ),
    )?;
    let client_secret = client_secret(args, std::env::var_os(CLIENT_SECRET_ENV))?;
    if args.service && client_secret.is_none() {
        return Err(CliError::new(format!(
            "--service signs in with a confidential OAuth client: give its secret in the \
             environment variable {CLIENT_SECRET_ENV}, with --client-secret-file PATH or with \
             --client-secret-stdin (never on the command line)"
        )));
    }
    // Open the store before the browser: a store that cannot work fails now, not after sign-in.
    let store = ctx.store()?;
    let store_kind = ctx.store_kind()?;
    let headless = args.service || args.no_browser;

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
    let confidential = config.client_secret.is_some();
    let sign_in = SignIn::start(config, store).await?;
    let url = sign_in.authorize_url().clone();
    let redirect_uri = sign_in.redirect_uri().to_owned();
    if ctx.printer.json() {
        ctx.printer.json_line(&AuthorizeView {
            authorize_url: url.as_str(),
            redirect_uri: &redirect_uri,
            paste: headless,
            token_store: store_kind.as_str(),
        });
    } else {
        eprintln!(
            "Open this address in a browser to sign in to {} (waiting up to {} s):",
            environment_label(&environment),
            args.timeout
        );
        ctx.printer.line(url.as_str());
    }
    if headless {
        let port = Url::parse(&redirect_uri)
            .ok()
            .and_then(|u| u.port())
            .unwrap_or(args.redirect_port);
        eprintln!(
            "The browser may run on any computer. After you sign in there, it is sent to \
             {redirect_uri}. Either keep `ssh -L {port}:localhost:{port} <this machine>` open from \
             that computer, and the sign-in completes by itself; or copy the address the browser \
             ends on (the page may not load) and paste it here, then press Enter."
        );
    } else if let Err(reason) = open_browser(&url) {
        eprintln!("note: could not open the browser ({reason}); open the address yourself");
    }

    let pasted = pasted_redirect(headless.then(|| sign_in.paste_check()));
    let session = sign_in.finish_or(pasted).await?;
    ctx.remember(&environment, &client_id, confidential)?;
    let mut view = SessionView::from_session(&session, None);
    view.token_store = Some(store_kind.as_str());
    if ctx.printer.json() {
        ctx.printer.json_line(&view);
    } else {
        ctx.printer.line(&format!(
            "Signed in as {} ({}) on {}; the session is in {}{}.",
            view.user_name,
            view.user_id,
            view.environment,
            store_kind.describe(),
            if view.renewable {
                " and renews itself"
            } else {
                ""
            }
        ));
    }
    Ok(Exit::Success)
}

/// The confidential client's secret from exactly one of its sources, or `None` (PKCE).
fn client_secret(
    args: &LoginArgs,
    from_env: Option<std::ffi::OsString>,
) -> Result<Option<ClientSecret>, CliError> {
    let sources = [
        args.client_secret_stdin,
        args.client_secret_file.is_some(),
        from_env.is_some(),
    ];
    if sources.iter().filter(|given| **given).count() > 1 {
        return Err(CliError::new(format!(
            "the client secret is given more than once (--client-secret-stdin, \
             --client-secret-file, {CLIENT_SECRET_ENV}); give it one way"
        )));
    }
    if args.client_secret_stdin {
        return read_secret_line().map(Some);
    }
    if let Some(path) = &args.client_secret_file {
        return read_secret_file(path).map(Some);
    }
    match from_env {
        None => Ok(None),
        Some(value) => {
            let value = value
                .into_string()
                .map_err(|_| CliError::new(format!("{CLIENT_SECRET_ENV} is not valid UTF-8")))?;
            let secret = value.trim();
            if secret.is_empty() {
                return Err(CliError::new(format!(
                    "{CLIENT_SECRET_ENV} is set but empty; set it to the OAuth client's secret \
                     or unset it"
                )));
            }
            Ok(Some(ClientSecret::new(secret)))
        }
    }
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

/// Reads the first line of a secret file (a systemd credential, /dev/fd/N, a file only its owner
/// can read); the error names the path, never the content.
fn read_secret_file(path: &Path) -> Result<ClientSecret, CliError> {
    let shown = path.display();
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::new(format!("cannot read the client secret from {shown}: {e}")))?;
    warn_if_readable_by_others(&file, path);
    let mut text = String::new();
    file.take(MAX_SECRET_FILE_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| CliError::new(format!("cannot read the client secret from {shown}: {e}")))?;
    let secret = text.lines().next().unwrap_or_default().trim();
    if secret.is_empty() {
        return Err(CliError::new(format!(
            "--client-secret-file {shown}: the file is empty (expected the secret on its first line)"
        )));
    }
    Ok(ClientSecret::new(secret))
}

#[cfg(unix)]
fn warn_if_readable_by_others(file: &std::fs::File, path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(meta) = file.metadata() {
        let mode = meta.permissions().mode();
        if meta.is_file() && mode & 0o077 != 0 {
            eprintln!(
                "warning: {} can be read by other users (mode {:o}); `chmod 600` it, or better use \
                 a systemd credential or {CLIENT_SECRET_ENV}",
                path.display(),
                mode & 0o777
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_file: &std::fs::File, _path: &Path) {}

/// The code from an address pasted on stdin, for a headless sign-in; never resolves otherwise (the
/// loopback redirect is then the only way). Lines that are not this sign-in's redirect are
/// explained on stderr and the next one is read; the end of stdin leaves the loopback waiting.
async fn pasted_redirect(check: Option<PasteCheck>) -> Result<Secret, AuthError> {
    let Some(check) = check else {
        return std::future::pending().await;
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    // std's stdin (the same buffer the secret line was read from), on a thread of its own: a
    // blocking read that the process exit ends.
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    while let Some(line) = rx.recv().await {
        if line.trim().is_empty() {
            continue;
        }
        match check.check(&line) {
            Pasted::Code(code) => return Ok(code),
            Pasted::Denied(refusal) => return Err(refusal),
            Pasted::Unusable(reason) => {
                eprintln!("{reason}; paste again (or wait for the redirect)")
            }
        }
    }
    std::future::pending().await
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn args(stdin: bool, file: Option<&Path>) -> LoginArgs {
        LoginArgs {
            redirect_port: 0,
            no_browser: true,
            client_secret_stdin: stdin,
            client_secret_file: file.map(Path::to_path_buf),
            service: true,
            login_hint: None,
            timeout: 5,
        }
    }

    #[test]
    fn the_secret_comes_from_one_source_only() {
        assert!(
            client_secret(&args(false, None), None)
                .expect("none")
                .is_none()
        );
        let from_env = client_secret(&args(false, None), Some(" s3cret\n".into()))
            .expect("env")
            .expect("some");
        assert_eq!(from_env.expose_secret(), "s3cret");
        let err = client_secret(&args(false, None), Some("  ".into())).expect_err("empty");
        assert!(err.message.contains("empty"), "{err}");

        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("secret");
        let mut f = std::fs::File::create(&path).expect("create");
        f.write_all(b"file-secret\nignored second line\n")
            .expect("write");
        let from_file = client_secret(&args(false, Some(&path)), None)
            .expect("file")
            .expect("some");
        assert_eq!(from_file.expose_secret(), "file-secret");
        let twice = client_secret(&args(false, Some(&path)), Some("x".into())).expect_err("twice");
        assert!(twice.message.contains("more than once"), "{twice}");

        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").expect("write");
        let err = client_secret(&args(false, Some(&empty)), None).expect_err("empty file");
        assert!(err.message.contains("empty"), "{err}");
        let missing = dir.path().join("missing");
        let err = client_secret(&args(false, Some(&missing)), None).expect_err("missing");
        assert!(err.message.contains("missing"), "names the path: {err}");
    }
}
