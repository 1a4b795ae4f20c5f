//! Sign-in and session commands: `sign_in`, `sign_in_demo`, `sign_out`, `session_info`.

use genesys_client::{Environment, Region};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::error::IpcError;
use super::queues::QueueInfo;
use crate::auth::{EnvironmentChoiceError, choose_environment};

/// `sign_in`: the organisation's OAuth client, in a region or (for a local emulator) at an explicit API base.
///
/// Exactly one of `region` and `apiBase` is set. `clientSecret` is only for a confidential client and is
/// kept in the OS keyring, never on disk in the clear; this type's `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignInRequest {
    /// A region name from `SessionInfoResponse.regions` (`us_east_1`, ...).
    pub region: Option<String>,
    /// An explicit API base (`http://127.0.0.1:PORT` for a local emulator).
    pub api_base: Option<String>,
    /// The OAuth client id registered for Bridgekeeper in the organisation.
    pub client_id: String,
    /// The client secret, only when the organisation uses a confidential client.
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for SignInRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInRequest")
            .field("region", &self.region)
            .field("api_base", &self.api_base)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl SignInRequest {
    /// The environment the request names, by the one rule ([`choose_environment`]): one of region
    /// or API base, never both, an API base only for a local emulator.
    pub fn environment(&self) -> Result<Environment, IpcError> {
        use EnvironmentChoiceError as E;
        match choose_environment(self.region.as_deref(), self.api_base.as_deref()) {
            Ok(Some(environment)) => Ok(environment),
            Ok(None) => Err(IpcError::invalid("Choose the region of your organisation.")),
            Err(E::Both) => Err(IpcError::invalid(
                "Choose either a region or a custom API base, not both.",
            )),
            Err(E::UnknownRegion { name, .. }) => Err(IpcError::invalid(format!(
                "“{name}” is not a Genesys Cloud region this app knows."
            ))),
            Err(E::UnusableBase { reason, .. }) => Err(IpcError::invalid(format!(
                "The custom API base is not usable: {reason}"
            ))),
            Err(E::RemoteBase { base }) => Err(IpcError::invalid(format!(
                "A custom API base is only for a local emulator on this computer \
                 (http://127.0.0.1:PORT), not {base}; choose a Genesys Cloud region instead."
            ))),
        }
    }

    /// The client id, trimmed; an empty one is refused with a message for the form.
    pub fn client_id(&self) -> Result<&str, IpcError> {
        let id = self.client_id.trim();
        if id.is_empty() {
            return Err(IpcError::invalid(
                "Enter the OAuth client id your administrator created for Bridgekeeper.",
            ));
        }
        Ok(id)
    }

    /// The secret, when one was typed (blank means a PKCE client).
    pub fn client_secret(&self) -> Option<&str> {
        self.client_secret
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}

/// One entry of the sign-in screen's region list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RegionOption {
    /// What `SignInRequest.region` takes (`us_east_1`).
    pub name: String,
    /// How people know it ("Americas (US East)").
    pub label: String,
    /// The region's domain, shown beside the label so an admin can match it to their login URL.
    pub domain: String,
}

/// How supervisors know each region; a region the table does not name still shows (by its domain).
fn region_label(region: Region) -> String {
    let known = match region.name() {
        "us_east_1" => "Americas (US East)",
        "us_east_2" => "Americas (US East 2, FedRAMP)",
        "us_west_2" => "Americas (US West)",
        "ca_central_1" => "Americas (Canada)",
        "sa_east_1" => "Americas (São Paulo)",
        "mx_central_1" => "Americas (Mexico)",
        "eu_west_1" => "EMEA (Dublin)",
        "eu_west_2" => "EMEA (London)",
        "eu_central_1" => "EMEA (Frankfurt)",
        "eu_central_2" => "EMEA (Zurich)",
        "me_central_1" => "EMEA (UAE)",
        "eusc_de_east_1" => "EMEA (EU Sovereign Cloud, Germany)",
        "ap_southeast_2" => "Asia Pacific (Sydney)",
        "ap_northeast_1" => "Asia Pacific (Tokyo)",
        "ap_northeast_2" => "Asia Pacific (Seoul)",
        "ap_northeast_3" => "Asia Pacific (Osaka)",
        "ap_south_1" => "Asia Pacific (Mumbai)",
        "ap_southeast_1" => "Asia Pacific (Singapore)",
        _ => return format!("Genesys Cloud ({})", region.domain()),
    };
    known.to_owned()
}

/// Every region the client knows, sorted by label for the dropdown.
pub fn region_options() -> Vec<RegionOption> {
    let mut options: Vec<RegionOption> = Region::ALL
        .iter()
        .map(|&r| RegionOption {
            name: r.name().to_owned(),
            label: region_label(r),
            domain: r.domain().to_owned(),
        })
        .collect();
    options.sort_by(|a, b| a.label.cmp(&b.label));
    options
}

/// Where the session stands, for the app shell to pick the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum SessionState {
    /// Nobody is signed in: show sign-in.
    SignedOut,
    /// Signed in: show queues or the board.
    SignedIn,
    /// The session ended by itself (expired or revoked): show sign-in with "sign in again".
    Expired,
}

/// The signed-in supervisor and where, for the header and the audit log's "who".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    /// Genesys user id.
    pub user_id: String,
    /// Display name (the user id when the profile has none).
    pub user_name: String,
    /// Region label or the API base, for the header.
    pub environment: String,
    /// The OAuth client used.
    pub client_id: String,
    /// True on the built-in demo organisation, so the UI can never mistake it for a real org.
    pub demo: bool,
    /// True when the session renews itself (confidential client); else it ends at `expiresAtMs`.
    pub renewable: bool,
    /// When the current access token expires (ms since the Unix epoch).
    #[ts(type = "number")]
    pub expires_at_ms: i64,
}

/// What the sign-in form remembers between runs (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LastSignIn {
    /// Region name last used, if a region was used.
    pub region: Option<String>,
    /// API base last used, if a custom base was used.
    pub api_base: Option<String>,
    /// Client id last used.
    pub client_id: String,
    /// Whether a confidential client was used (the form then opens its advanced section).
    pub confidential: bool,
}

/// `session_info`: the session (if any) plus what the sign-in screen needs to render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfoResponse {
    /// Signed out, signed in or expired.
    pub state: SessionState,
    /// The session when signed in.
    pub session: Option<SessionInfo>,
    /// Every region, by label.
    pub regions: Vec<RegionOption>,
    /// The last sign-in's settings, to pre-fill the form.
    pub last_sign_in: Option<LastSignIn>,
    /// The redirect URI the OAuth client must have registered (shown in the form's help).
    pub redirect_uri: String,
    /// True when the demo organisation can be started ("Try the demo organisation").
    pub demo_available: bool,
    /// The queues this account watched last time (empty when signed out or none chosen yet).
    pub selected_queues: Vec<QueueInfo>,
}

/// `sign_in` / `sign_in_demo`: the new session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignInResponse {
    /// The signed-in session.
    pub session: SessionInfo,
    /// The queues this account watched last time, so the board can open at once.
    pub selected_queues: Vec<QueueInfo>,
}

/// `sign_out`: the app is signed out in every case; a warning says what could not be cleaned up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignOutResponse {
    /// Set when the stored sign-in could not be removed from the keyring (the app forgot it anyway).
    pub warning: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(region: Option<&str>, base: Option<&str>) -> SignInRequest {
        SignInRequest {
            region: region.map(str::to_owned),
            api_base: base.map(str::to_owned),
            client_id: " my-client ".into(),
            client_secret: Some("s3cret".into()),
        }
    }

    #[test]
    fn every_region_has_a_name_and_labels_are_unique() {
        let options = region_options();
        assert_eq!(options.len(), Region::ALL.len());
        assert!(
            options
                .iter()
                .all(|o| !o.label.starts_with("Genesys Cloud (")),
            "{options:?}"
        );
        let mut labels: Vec<_> = options.iter().map(|o| o.label.as_str()).collect();
        labels.dedup();
        assert_eq!(labels.len(), options.len());
    }

    #[test]
    fn environment_needs_exactly_one_of_region_and_base() {
        assert_eq!(
            request(Some("eu_west_1"), None)
                .environment()
                .expect("region"),
            Environment::Region(Region::EuWest1)
        );
        assert!(
            request(Some("eu_west_1"), Some("http://127.0.0.1:1"))
                .environment()
                .is_err()
        );
        assert!(request(None, None).environment().is_err());
        assert!(request(Some("mars_1"), None).environment().is_err());
        assert!(request(None, Some("ftp://x")).environment().is_err());
        assert!(
            request(None, Some("http://127.0.0.1:9000"))
                .environment()
                .is_ok()
        );
    }

    #[test]
    fn debug_hides_the_secret_and_client_id_is_trimmed() {
        let r = request(Some("us_east_1"), None);
        let shown = format!("{r:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert_eq!(r.client_id().expect("id"), "my-client");
        assert_eq!(r.client_secret(), Some("s3cret"));
        let blank = SignInRequest {
            client_id: "  ".into(),
            client_secret: Some(" ".into()),
            ..r
        };
        assert!(blank.client_id().is_err());
        assert_eq!(blank.client_secret(), None);
    }
}
