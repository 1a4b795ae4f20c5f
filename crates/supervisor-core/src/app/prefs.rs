//! What the app remembers between runs (the chosen queues, the last sign-in's settings): a small JSON
//! file in the app's config folder, the same file for the desktop and the CLI
//! ([`default_prefs_path`]). Never secrets: those live in the keyring.
//!
//! The CLI used to keep its last sign-in in `<data dir>/cli-account.json`; [`PrefsFile::adopt_legacy_cli_account`]
//! reads such a file once into the prefs and removes it.

use std::io::Write;
use std::path::{Path, PathBuf};

use genesys_client::Environment;
use serde::{Deserialize, Serialize};

use crate::admin_config::USER_CONFIG_FOLDER;
use crate::auth::environment_choice;
use crate::ipc::queues::{QueueInfo, WatchedPeople};
use crate::ipc::session::LastSignIn;

/// The prefs file's name in the app's config folder.
pub const PREFS_FILE_NAME: &str = "prefs.json";
/// The file the CLI kept its last sign-in in before it shared these prefs (in its data folder).
pub const LEGACY_CLI_ACCOUNT_FILE: &str = "cli-account.json";

/// Where both clients keep the prefs by default: the OS config folder for the app identifier
/// (`~/.config/io.bridgekeeper.desktop/prefs.json` on Linux, the folder Tauri's `app_config_dir`
/// resolves to). `None` when the system has no config folder.
pub fn default_prefs_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join(USER_CONFIG_FOLDER).join(PREFS_FILE_NAME))
}

/// The remembered settings; unknown fields are ignored so an older app can read a newer file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Prefs {
    /// The last real-org sign-in (the demo org is never remembered as one).
    pub last_sign_in: Option<LastSignIn>,
    /// Queues chosen on the real org, per account (`client_id@environment`).
    pub selected_queues: Vec<AccountQueues>,
}

/// The queues one account watches.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AccountQueues {
    /// `client_id@environment` (the token store's account key).
    pub account: String,
    /// The chosen queues with the names they had.
    pub queues: Vec<QueueInfo>,
    /// The people watched besides the queues.
    pub people: WatchedPeople,
}

impl Prefs {
    /// Remembers a real-org sign-in, the one rule for both clients: the environment as a region or
    /// an API base, the client id, and whether it was a confidential client (never the secret).
    pub fn remember_sign_in(
        &mut self,
        environment: &Environment,
        client_id: &str,
        confidential: bool,
    ) {
        let (region, api_base) = environment_choice(environment);
        self.last_sign_in = Some(LastSignIn {
            region,
            api_base,
            client_id: client_id.to_owned(),
            confidential,
        });
    }

    /// The queues remembered for an account.
    pub fn queues_for(&self, account: &str) -> Vec<QueueInfo> {
        self.selected_queues
            .iter()
            .find(|a| a.account == account)
            .map(|a| a.queues.clone())
            .unwrap_or_default()
    }

    /// The people remembered for an account.
    pub fn people_for(&self, account: &str) -> WatchedPeople {
        self.selected_queues
            .iter()
            .find(|a| a.account == account)
            .map(|a| a.people.clone())
            .unwrap_or_default()
    }

    /// Remembers the queues for an account (empty lists forget them); the people stay.
    pub fn set_queues_for(&mut self, account: &str, queues: Vec<QueueInfo>) {
        let people = self.people_for(account);
        self.set_watch_for(account, queues, people);
    }

    /// Remembers the queues and people for an account (nothing chosen forgets them).
    pub fn set_watch_for(&mut self, account: &str, queues: Vec<QueueInfo>, people: WatchedPeople) {
        self.selected_queues.retain(|a| a.account != account);
        if !queues.is_empty() || people != WatchedPeople::default() {
            self.selected_queues.push(AccountQueues {
                account: account.to_owned(),
                queues,
                people,
            });
        }
    }
}

/// Reads and writes [`Prefs`] at one path; a missing or unreadable file is an empty one (logged), since
/// losing a queue choice must never stop the app from starting.
#[derive(Debug, Clone)]
pub struct PrefsFile {
    path: PathBuf,
}

impl PrefsFile {
    /// Prefs at `path` (its folder is created on the first save).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// Where the file lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stored prefs, or the defaults when there are none or they cannot be read.
    pub fn load(&self) -> Prefs {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|error| {
                tracing::warn!(path = %self.path.display(), %error, "preferences unreadable; starting fresh");
                Prefs::default()
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Prefs::default(),
            Err(error) => {
                tracing::warn!(path = %self.path.display(), %error, "preferences could not be read");
                Prefs::default()
            }
        }
    }

    /// Reads the CLI's old `cli-account.json` (`{region?, apiBase?, clientId}`) into the prefs once,
    /// when they remember no sign-in yet, and removes it; the prefs win when both exist (the old
    /// file is then removed too: it can only be older). A missing file is nothing to do; an
    /// unreadable one is left in place and logged, since it only saved typing.
    pub fn adopt_legacy_cli_account(&self, legacy: &Path) -> std::io::Result<()> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Legacy {
            region: Option<String>,
            api_base: Option<String>,
            client_id: String,
        }
        let bytes = match std::fs::read(legacy) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(error),
        };
        let old: Legacy = match serde_json::from_slice(&bytes) {
            Ok(old) => old,
            Err(error) => {
                tracing::warn!(path = %legacy.display(), %error, "old CLI sign-in file unreadable; left as is");
                return Ok(());
            }
        };
        let mut prefs = self.load();
        if prefs.last_sign_in.is_none() {
            prefs.last_sign_in = Some(LastSignIn {
                region: old.region,
                api_base: old.api_base,
                client_id: old.client_id,
                confidential: false,
            });
            self.save(&prefs)?;
            tracing::info!(from = %legacy.display(), to = %self.path.display(), "remembered sign-in moved into the prefs");
        }
        std::fs::remove_file(legacy)
    }

    /// Saves atomically (write a sibling file, sync, rename) so a crash leaves the old or the new file.
    pub fn save(&self, prefs: &Prefs) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self.path.with_extension("json.tmp");
        let json = serde_json::to_vec_pretty(prefs).map_err(std::io::Error::other)?;
        {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&json)?;
            file.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path(name: &str) -> PathBuf {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        std::env::temp_dir()
            .join(format!("bk-prefs-{}-{nanos}", std::process::id()))
            .join(name)
    }

    #[test]
    fn round_trips_and_survives_garbage() {
        let path = temp_path("prefs.json");
        let file = PrefsFile::new(&path);
        assert_eq!(file.load(), Prefs::default());

        let mut prefs = Prefs::default();
        let support = QueueInfo {
            id: "q1".into(),
            name: "Support".into(),
        };
        prefs.set_queues_for("c@eu_west_1", vec![support.clone()]);
        prefs.last_sign_in = Some(LastSignIn {
            region: Some("eu_west_1".into()),
            api_base: None,
            client_id: "c".into(),
            confidential: false,
        });
        file.save(&prefs).expect("save");
        assert_eq!(file.load(), prefs);
        assert_eq!(file.load().queues_for("c@eu_west_1"), vec![support]);
        assert!(file.load().queues_for("other").is_empty());

        prefs.set_queues_for("c@eu_west_1", vec![]);
        assert!(prefs.selected_queues.is_empty());

        std::fs::write(&path, b"{not json").expect("write");
        assert_eq!(file.load(), Prefs::default());
        if let Some(dir) = path.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    #[test]
    fn a_remembered_sign_in_is_a_region_or_an_api_base_and_never_a_secret() {
        let mut prefs = Prefs::default();
        let emu = Environment::custom("http://127.0.0.1:4567").expect("env");
        prefs.remember_sign_in(&emu, "client-a", true);
        assert_eq!(
            prefs.last_sign_in,
            Some(LastSignIn {
                region: None,
                api_base: Some("http://127.0.0.1:4567".into()),
                client_id: "client-a".into(),
                confidential: true,
            })
        );
    }

    #[test]
    fn the_clis_old_account_file_is_adopted_once_and_removed() {
        let dir = tempfile::tempdir().expect("dir");
        let file = PrefsFile::new(dir.path().join("config").join(PREFS_FILE_NAME));
        let legacy = dir.path().join(LEGACY_CLI_ACCOUNT_FILE);
        // Nothing to adopt: nothing happens.
        file.adopt_legacy_cli_account(&legacy).expect("no file");
        assert_eq!(file.load(), Prefs::default());

        std::fs::write(
            &legacy,
            br#"{"apiBase":"http://127.0.0.1:9/","clientId":"old"}"#,
        )
        .expect("write");
        file.adopt_legacy_cli_account(&legacy).expect("adopt");
        let last = file.load().last_sign_in.expect("adopted");
        assert_eq!(
            (last.api_base.as_deref(), last.client_id.as_str()),
            (Some("http://127.0.0.1:9/"), "old")
        );
        assert!(!legacy.exists(), "read once, then removed");

        // The prefs win over an old file found later.
        std::fs::write(&legacy, br#"{"region":"eu_west_1","clientId":"older"}"#).expect("write");
        file.adopt_legacy_cli_account(&legacy).expect("adopt");
        assert_eq!(
            file.load().last_sign_in.map(|l| l.client_id),
            Some("old".into())
        );
        assert!(!legacy.exists());

        // An unreadable old file stays for the person to look at; the prefs are untouched.
        std::fs::write(&legacy, b"{not json").expect("write");
        file.adopt_legacy_cli_account(&legacy).expect("tolerated");
        assert!(legacy.exists());
    }
}
