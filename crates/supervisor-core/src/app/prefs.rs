//! What the app remembers between runs (the chosen queues, the last sign-in's settings): a small JSON
//! file in the app's config folder. Never secrets: those live in the keyring.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ipc::queues::{QueueInfo, WatchedPeople};
use crate::ipc::session::LastSignIn;

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
}
