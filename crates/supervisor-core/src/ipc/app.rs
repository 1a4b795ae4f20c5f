//! `app_info`: what the first screen and support need to know about the running app.

use serde::Serialize;
use ts_rs::TS;

/// The version (for support) and whether this is the demo organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// The app's version, as bundled.
    pub version: String,
    /// Present only on the demo organisation, so the UI can never mistake it for a real org.
    pub demo: Option<DemoInfo>,
}

/// Where the demo organisation lives, so a user can also point a script or the SDK at it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DemoInfo {
    /// The emulator's base URL (loopback, plain HTTP).
    pub base_url: String,
}

/// `update_check`: whether updates are on, and the newer version the update endpoint offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UpdateCheckResponse {
    /// False when no update endpoint is configured (updates are off; nothing was asked).
    pub enabled: bool,
    /// The offered update, or `null` when this version is the newest.
    pub available: Option<UpdateView>,
}

/// A signed update the endpoint offers ("Update 0.2.0 available").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UpdateView {
    /// The offered version.
    pub version: String,
    /// Its release notes (may be empty).
    pub notes: String,
}

/// `update_install`: the update was verified and installed; the app restarts into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UpdateInstallResponse {
    /// The version now installed.
    pub version: String,
}
