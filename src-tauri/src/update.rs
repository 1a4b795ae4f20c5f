//! Signed updates through `tauri-plugin-updater`, off unless an endpoint is configured.
//!
//! The endpoint comes from `BRIDGEKEEPER_UPDATE_ENDPOINT` (tests and one-off overrides) or else the
//! admin's / user's `config.toml` (`update_endpoint`). Without one the plugin is not even registered.
//! The public key is the shipped `plugins.updater.pubkey` of `tauri.conf.json`: the plugin verifies
//! every download against it, so an update whose signature does not match is refused, never
//! installed. Checking and downloading never install anything by themselves.

use supervisor_core::admin_config::AdminConfig;
use tauri::Runtime;
use tauri_plugin_updater::UpdaterExt;
use url::Url;

/// The environment variable naming an update endpoint; it wins over the config files.
pub const UPDATE_ENDPOINT_ENV: &str = "BRIDGEKEEPER_UPDATE_ENDPOINT";

/// Why the configured update endpoint cannot be used (shown as is, so it names where it came from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointError(pub String);

impl std::fmt::Display for EndpointError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EndpointError {}

/// The update endpoint, if any: the environment variable, else the config files; `Ok(None)` = off.
pub fn updater_endpoint(admin: &AdminConfig) -> Result<Option<Url>, EndpointError> {
    endpoint_from(std::env::var(UPDATE_ENDPOINT_ENV).ok(), admin)
}

/// [`updater_endpoint`] with the environment variable's value passed in (a blank one counts as unset).
pub fn endpoint_from(
    env_value: Option<String>,
    admin: &AdminConfig,
) -> Result<Option<Url>, EndpointError> {
    let (raw, source) = match env_value.filter(|v| !v.trim().is_empty()) {
        Some(value) => (value, UPDATE_ENDPOINT_ENV),
        None => match admin.update_endpoint() {
            Some(value) => (value.to_owned(), "update_endpoint in config.toml"),
            None => return Ok(None),
        },
    };
    parse_endpoint(raw.trim(), source).map(Some)
}

/// An endpoint URL: absolute, http(s) (the plugin refuses plain http in release builds).
pub fn parse_endpoint(raw: &str, source: &str) -> Result<Url, EndpointError> {
    let url = Url::parse(raw)
        .map_err(|e| EndpointError(format!("{source} is not a URL ({e}): '{raw}'")))?;
    match url.scheme() {
        "https" | "http" => Ok(url),
        other => Err(EndpointError(format!(
            "{source} must be an https URL, not {other}: '{raw}'"
        ))),
    }
}

/// The updater plugin (register it only when [`updater_endpoint`] names one).
pub fn plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R, tauri_plugin_updater::Config> {
    tauri_plugin_updater::Builder::new().build()
}

/// A newer version the endpoint offers, as the UI shows it ("Update 0.2.0 available").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Available {
    /// The offered version.
    pub version: String,
    /// The release notes from `latest.json` (may be empty).
    pub notes: String,
}

/// Why a check or a download failed, in words for the supervisor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateError {
    /// The update's signature does not match the app's public key: it was refused, not installed.
    BadSignature(String),
    /// The endpoint could not be reached or answered something unusable.
    Unavailable(String),
}

impl std::fmt::Display for UpdateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadSignature(detail) => write!(
                f,
                "The update was refused: its signature does not match Bridgekeeper's publisher key, \
                 so it may have been tampered with. Nothing was installed. ({detail})"
            ),
            Self::Unavailable(detail) => write!(f, "Could not check for updates: {detail}"),
        }
    }
}

impl std::error::Error for UpdateError {}

fn classify(error: tauri_plugin_updater::Error) -> UpdateError {
    use tauri_plugin_updater::Error as E;
    match error {
        E::Minisign(_) | E::Base64(_) | E::SignatureUtf8(_) => {
            UpdateError::BadSignature(error.to_string())
        }
        other => UpdateError::Unavailable(other.to_string()),
    }
}

/// Checked update, kept between "available" and "install" so the same signed file is installed.
pub struct Pending(pub tauri_plugin_updater::Update);

impl Pending {
    /// What the UI shows.
    pub fn available(&self) -> Available {
        Available {
            version: self.0.version.clone(),
            notes: self.0.body.clone().unwrap_or_default(),
        }
    }

    /// Downloads the update and verifies its signature; the bytes are only returned when it matches.
    pub async fn download_verified(&self) -> Result<Vec<u8>, UpdateError> {
        self.0.download(|_, _| {}, || {}).await.map_err(classify)
    }

    /// Downloads, verifies and installs (the caller makes sure no action is in flight).
    pub async fn install(&self) -> Result<(), UpdateError> {
        let bytes = self.download_verified().await?;
        self.0.install(bytes).map_err(classify)
    }
}

/// Asks `endpoint` whether a newer version exists; `Ok(None)` when the app is up to date.
pub async fn check<R: Runtime, M: tauri::Manager<R>>(
    app: &M,
    endpoint: Url,
) -> Result<Option<Pending>, UpdateError> {
    let updater = app
        .updater_builder()
        .endpoints(vec![endpoint])
        .map_err(classify)?
        .build()
        .map_err(classify)?;
    Ok(updater.check().await.map_err(classify)?.map(Pending))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_must_be_http_urls_and_errors_name_their_source() {
        assert!(parse_endpoint("https://updates.example.com/latest.json", "x").is_ok());
        let bad = parse_endpoint("updates.example.com/latest.json", "update_endpoint").unwrap_err();
        assert!(bad.0.starts_with("update_endpoint is not a URL"), "{bad}");
        let ftp = parse_endpoint("ftp://example.com/latest.json", "ENV").unwrap_err();
        assert!(ftp.0.contains("must be an https URL, not ftp"), "{ftp}");
    }

    #[test]
    fn no_endpoint_keeps_the_updater_off_and_the_variable_wins_over_the_files() {
        use supervisor_core::admin_config::ConfigLayer;
        let none = AdminConfig::from_layers(ConfigLayer::default(), ConfigLayer::default());
        assert_eq!(endpoint_from(None, &none), Ok(None));
        assert_eq!(endpoint_from(Some("  ".into()), &none), Ok(None));
        let admin = AdminConfig::from_layers(
            ConfigLayer {
                update_endpoint: Some("https://admin.example.com/latest.json".into()),
                ..ConfigLayer::default()
            },
            ConfigLayer::default(),
        );
        let from_file = endpoint_from(None, &admin).unwrap().unwrap();
        assert_eq!(from_file.host_str(), Some("admin.example.com"));
        let from_env = endpoint_from(Some("http://127.0.0.1:9/latest.json".into()), &admin)
            .unwrap()
            .unwrap();
        assert_eq!(from_env.host_str(), Some("127.0.0.1"));
        let bad = endpoint_from(
            None,
            &AdminConfig::from_layers(
                ConfigLayer {
                    update_endpoint: Some("not a url".into()),
                    ..ConfigLayer::default()
                },
                ConfigLayer::default(),
            ),
        )
        .unwrap_err();
        assert!(
            bad.0
                .starts_with("update_endpoint in config.toml is not a URL"),
            "{bad}"
        );
    }
}
