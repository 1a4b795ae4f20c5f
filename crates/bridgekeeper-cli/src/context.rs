//! What every command needs: which environment and OAuth client, the keyring, the session, the
//! audit log's path, and the printer.
//!
//! The last `login` is remembered (environment and client id only, never a secret) in the app's
//! prefs, by the same rule and in the same file as the desktop app (`app::prefs`): the OS config
//! folder's `io.bridgekeeper.desktop/prefs.json`, or `<--data-dir>/prefs.json`. So `whoami`,
//! `calls`, `drop`... need no flags after it. An old `<data dir>/cli-account.json` is moved into
//! the prefs the first time it is read.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use genesys_client::Environment;
use supervisor_core::admin_config::AdminConfig;
use supervisor_core::app;
use supervisor_core::app::prefs::{
    LEGACY_CLI_ACCOUNT_FILE, PREFS_FILE_NAME, PrefsFile, default_prefs_path,
};
use supervisor_core::auth::{AuthError, EnvironmentChoiceError, Session, choose_environment};
use supervisor_core::ipc::session::LastSignIn;
use supervisor_core::token_store::{OpenedStore, TokenStore, TokenStoreKind, open_store};

use crate::cli::GlobalArgs;
use crate::error::CliError;
use crate::output::Printer;

/// Folder name under the OS app-data folder; the desktop app's Tauri identifier.
pub const APP_FOLDER: &str = "io.bridgekeeper.desktop";
/// The audit log's file name inside the data folder.
pub const AUDIT_FILE_NAME: &str = "audit.jsonl";
/// The environment of a remembered sign-in, in the CLI's words when it cannot be used.
fn remembered_environment(last: &LastSignIn) -> Result<Environment, CliError> {
    parse_environment(last.region.as_deref(), last.api_base.as_deref())?.ok_or_else(|| {
        CliError::new("the remembered sign-in names no environment; run `login` again")
    })
}

/// Parses `--region` / `--api-base` by the core's one rule ([`choose_environment`]), in the CLI's
/// words.
pub fn parse_environment(
    region: Option<&str>,
    api_base: Option<&str>,
) -> Result<Option<Environment>, CliError> {
    use EnvironmentChoiceError as E;
    choose_environment(region, api_base).map_err(|e| match e {
        E::Both => CliError::new("choose either --region or --api-base, not both"),
        E::UnknownRegion { reason, .. } => CliError::new(reason),
        E::UnusableBase { base, reason } => CliError::new(format!(
            "--api-base is only for a local emulator on this computer \
             (http://127.0.0.1:PORT); {base:?} is not usable: {reason}"
        )),
        E::RemoteBase { base } => CliError::new(format!(
            "--api-base is only for a local emulator on this computer \
             (http://127.0.0.1:PORT), not {base}; use --region for Genesys Cloud"
        )),
    })
}

/// Everything a command needs; built once in `main`.
pub struct Context {
    /// The global options.
    pub global: GlobalArgs,
    /// Where output goes.
    pub printer: Printer,
    /// Opened on first use (commands that need no session never touch a keyring).
    store: OnceLock<OpenedStore>,
    /// The one session of this run: every part of a command shares it, so a refresh (which may
    /// hand out a new refresh token and void the old one) is done once, not by two copies.
    session: tokio::sync::OnceCell<Session>,
}

impl Context {
    /// A context; the token store is `--token-store`, else the configuration's `token_store`.
    pub fn new(global: GlobalArgs) -> Self {
        let printer = Printer::new(global.json);
        Self {
            global,
            printer,
            store: OnceLock::new(),
            session: tokio::sync::OnceCell::new(),
        }
    }

    /// The token store chosen by `--token-store` or the configuration. When `auto` passed over
    /// the system keyring, stderr says so and why (a fallback is never silent).
    pub fn store(&self) -> Result<Arc<dyn TokenStore>, CliError> {
        Ok(Arc::clone(&self.opened_store()?.store))
    }

    /// Which store holds the sessions (for "your session is in …").
    pub fn store_kind(&self) -> Result<TokenStoreKind, CliError> {
        Ok(self.opened_store()?.kind)
    }

    fn opened_store(&self) -> Result<&OpenedStore, CliError> {
        if let Some(opened) = self.store.get() {
            return Ok(opened);
        }
        let choice = self
            .global
            .token_store
            .unwrap_or_else(|| AdminConfig::load().token_store());
        let opened = open_store(choice)?;
        if let Some(reason) = &opened.fallback_reason {
            eprintln!(
                "note: no system keyring answered ({reason}); using {} (token store \"auto\")",
                opened.kind.describe()
            );
        }
        Ok(self.store.get_or_init(|| opened))
    }

    /// `--data-dir`, else `<OS app-data>/io.bridgekeeper.desktop`.
    pub fn data_dir(&self) -> Result<PathBuf, CliError> {
        if let Some(dir) = &self.global.data_dir {
            return Ok(dir.clone());
        }
        dirs::data_dir().map(|d| d.join(APP_FOLDER)).ok_or_else(|| {
            CliError::new(
                "this system has no application data folder; pass --data-dir or --audit-file",
            )
        })
    }

    /// `--audit-file`, else `<data dir>/audit.jsonl`.
    pub fn audit_path(&self) -> Result<PathBuf, CliError> {
        match &self.global.audit_file {
            Some(path) => Ok(path.clone()),
            None => Ok(self.data_dir()?.join(AUDIT_FILE_NAME)),
        }
    }

    /// The environment given on the command line, if any.
    pub fn explicit_environment(&self) -> Result<Option<Environment>, CliError> {
        parse_environment(
            self.global.region.as_deref(),
            self.global.api_base.as_deref(),
        )
    }

    /// The environment and client to use: flags first, then the last `login`.
    pub fn account(&self) -> Result<(Environment, String), CliError> {
        // Nothing remembered and no flags: only a sign-in fixes it (`policy run` then exits 4).
        self.account_or(
            CliError::not_signed_in(),
            CliError::new(
                "no OAuth client id for this environment; pass --client-id (or sign in with \
                 `login` first)",
            ),
        )
    }

    /// [`Context::account`] with the errors to give when the environment or the client id is
    /// missing.
    pub fn account_or(
        &self,
        no_environment: CliError,
        no_client_id: CliError,
    ) -> Result<(Environment, String), CliError> {
        let remembered = self.remembered()?;
        // The admin's and the user's config.toml give the defaults after the flags and the last login.
        let admin = AdminConfig::load();
        let environment = match self.explicit_environment()? {
            Some(env) => env,
            None => match (&remembered, admin.region()) {
                (Some(r), _) => remembered_environment(r)?,
                (None, Some(region)) => Environment::Region(region),
                (None, None) => return Err(no_environment),
            },
        };
        let client_id = match self.global.client_id.as_deref().map(str::trim) {
            Some(id) if !id.is_empty() => id.to_owned(),
            _ => match (remembered, admin.client_id()) {
                (Some(r), _) if remembered_environment(&r).ok().as_ref() == Some(&environment) => {
                    r.client_id
                }
                (_, Some(id)) => id.to_owned(),
                _ => return Err(no_client_id),
            },
        };
        Ok((environment, client_id))
    }

    /// Resumes the stored session of [`Context::account`] from the token store, once per run
    /// (later calls share it).
    pub async fn session(&self) -> Result<Session, CliError> {
        self.session
            .get_or_try_init(|| async {
                let (environment, client_id) = self.account()?;
                app::session::resume(&environment, &client_id, self.store()?)
                    .await
                    .map_err(|e| match e {
                        AuthError::NotSignedIn => CliError::not_signed_in(),
                        other => other.into(),
                    })
            })
            .await
            .cloned()
    }

    /// The prefs file: `<--data-dir>/prefs.json` when a data folder is given (everything the CLI
    /// keeps then stays in it), else the desktop app's own prefs.
    fn prefs_file(&self) -> Result<PrefsFile, CliError> {
        let path = match &self.global.data_dir {
            Some(dir) => dir.join(PREFS_FILE_NAME),
            None => default_prefs_path().ok_or_else(|| {
                CliError::new(
                    "this system has no configuration folder for the remembered sign-in; pass \
                     --data-dir",
                )
            })?,
        };
        Ok(PrefsFile::new(path))
    }

    /// The last `login`'s environment and client, if any (an unreadable prefs file counts as
    /// none: it only saves typing). An old `cli-account.json` is adopted first.
    pub fn remembered(&self) -> Result<Option<LastSignIn>, CliError> {
        let prefs = self.prefs_file()?;
        if let Ok(dir) = self.data_dir() {
            let legacy = dir.join(LEGACY_CLI_ACCOUNT_FILE);
            if let Err(e) = prefs.adopt_legacy_cli_account(&legacy) {
                eprintln!(
                    "warning: could not move {} into {} ({e}); run `login` again",
                    legacy.display(),
                    prefs.path().display()
                );
            }
        }
        Ok(prefs.load().last_sign_in)
    }

    /// Remembers the environment and client of a successful `login` (atomically replaced, the
    /// rest of the prefs kept).
    pub fn remember(
        &self,
        environment: &Environment,
        client_id: &str,
        confidential: bool,
    ) -> Result<(), CliError> {
        let file = self.prefs_file()?;
        let mut prefs = file.load();
        prefs.remember_sign_in(environment, client_id, confidential);
        file.save(&prefs)
            .map_err(|e| CliError::new(format!("cannot write {}: {e}", file.path().display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use genesys_client::Region;

    #[test]
    fn environments_regions_and_only_loopback_bases() {
        assert_eq!(
            parse_environment(Some("eu_west_1"), None).expect("region"),
            Some(Environment::Region(Region::EuWest1))
        );
        assert_eq!(
            parse_environment(Some("mypurecloud.ie"), None).expect("domain"),
            Some(Environment::Region(Region::EuWest1))
        );
        assert!(parse_environment(Some("mars_1"), None).is_err());
        assert!(
            parse_environment(None, Some("http://127.0.0.1:9000"))
                .expect("ok")
                .is_some()
        );
        let remote = parse_environment(None, Some("https://api.example.com")).expect_err("remote");
        assert!(remote.message.contains("local emulator"), "{remote}");
        assert!(parse_environment(None, Some("http://10.1.2.3:80")).is_err());
        assert!(parse_environment(Some("us_east_1"), Some("http://127.0.0.1:1")).is_err());
        assert_eq!(parse_environment(Some(" "), None).expect("blank"), None);
    }

    #[test]
    fn remembered_account_round_trips_and_flags_win() {
        let dir = tempfile::tempdir().expect("tempdir");
        let global = GlobalArgs {
            region: None,
            api_base: None,
            client_id: None,
            json: false,
            audit_file: None,
            data_dir: Some(dir.path().to_path_buf()),
            token_store: None,
        };
        let ctx = Context::new(global.clone());
        assert!(ctx.remembered().expect("read").is_none());
        let never = ctx.account().expect_err("nothing remembered, no flags");
        assert!(
            never.needs_sign_in,
            "only a sign-in fixes it: {}",
            never.message
        );
        assert!(never.message.contains("not signed in"), "{}", never.message);
        let env = Environment::custom("http://127.0.0.1:4567").expect("env");
        ctx.remember(&env, "client-a", false).expect("write");
        assert_eq!(
            ctx.account().expect("account"),
            (env.clone(), "client-a".to_owned())
        );
        assert_eq!(
            ctx.audit_path().expect("path"),
            dir.path().join("audit.jsonl")
        );

        // Another environment on the command line: the remembered client id does not apply.
        let other = Context::new(GlobalArgs {
            region: Some("us_east_1".into()),
            ..global.clone()
        });
        let no_client = other
            .account()
            .expect_err("no client id for this environment");
        assert!(
            !no_client.needs_sign_in,
            "a flag fixes it: {}",
            no_client.message
        );
        let other = Context::new(GlobalArgs {
            region: Some("us_east_1".into()),
            client_id: Some("client-b".into()),
            ..global.clone()
        });
        assert_eq!(
            other.account().expect("account"),
            (Environment::Region(Region::UsEast1), "client-b".to_owned())
        );

        std::fs::write(dir.path().join(PREFS_FILE_NAME), b"{not json").expect("write");
        assert!(ctx.remembered().expect("tolerated").is_none());
    }

    #[test]
    fn an_old_cli_account_file_is_read_once_into_the_shared_prefs() {
        let dir = tempfile::tempdir().expect("tempdir");
        let legacy = dir.path().join(LEGACY_CLI_ACCOUNT_FILE);
        std::fs::write(
            &legacy,
            br#"{"apiBase":"http://127.0.0.1:4567/","clientId":"client-old"}"#,
        )
        .expect("write");
        let ctx = Context::new(GlobalArgs {
            region: None,
            api_base: None,
            client_id: None,
            json: false,
            audit_file: None,
            data_dir: Some(dir.path().to_path_buf()),
            token_store: None,
        });
        let env = Environment::custom("http://127.0.0.1:4567").expect("env");
        assert_eq!(
            ctx.account().expect("the old file's account"),
            (env, "client-old".to_owned())
        );
        assert!(!legacy.exists(), "moved, not copied");
        let prefs = std::fs::read_to_string(dir.path().join(PREFS_FILE_NAME)).expect("prefs");
        assert!(prefs.contains("client-old"), "{prefs}");
    }
}
