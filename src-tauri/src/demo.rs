//! The demo organisation: the Genesys Cloud emulator started inside the app, so a newcomer needs no
//! account, and the "browser" that signs in to it through the same PKCE code path as a real org.

use crate::state::DemoOrg;
use genesys_emulator::{
    ClientRequest, DEMO_REDIRECT_URIS, EmulatorConfig, ScenarioName, WorldHandle,
};
use supervisor_core::ipc::Browser;
use url::Url;

/// Conferences that start or end per minute in the demo, so the board visibly lives without being noisy.
const DEMO_CHURN_PER_MINUTE: f64 = 6.0;

/// Starts the emulator with the demo scenario on a free loopback port. Never fails: a failure becomes
/// [`DemoOrg::Failed`], which the UI shows instead of the app silently exiting.
///
/// Must run on Tauri's async runtime (`tauri::async_runtime`), which outlives this call and so keeps
/// the emulator's server tasks running.
///
/// `calls` sizes the org for load checks (the emulator's load scenario: the same users, queues and
/// clients, with that many live calls); `None` is the hand-made demo scenario.
pub async fn start(calls: Option<usize>) -> DemoOrg {
    let config = EmulatorConfig {
        scenario: if calls.is_some() {
            ScenarioName::Load
        } else {
            ScenarioName::Demo
        },
        conversations: calls.unwrap_or_default(),
        churn_per_minute: DEMO_CHURN_PER_MINUTE,
        ..Default::default()
    };
    match genesys_emulator::start(config).await {
        Ok(emulator) => {
            let base_url = emulator.base_url();
            tracing::info!(%base_url, "demo organisation started");
            DemoOrg::Running { base_url, emulator }
        }
        Err(error) => {
            let reason = error.to_string();
            tracing::error!(%reason, "the demo organisation could not start");
            DemoOrg::Failed { reason }
        }
    }
}

/// Plays the browser for the demo org: registers the app's loopback redirect (a free port, so a
/// pending real sign-in on the fixed port does not collide) on the emulator's public client, asks
/// the emulator's login host (which approves at once) and delivers its redirect to the listener.
pub struct DemoBrowser {
    world: WorldHandle,
}

impl DemoBrowser {
    /// A browser for this emulator.
    pub fn new(world: WorldHandle) -> Self {
        Self { world }
    }
}

fn query(url: &Url, key: &str) -> Result<String, String> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| format!("the authorize URL has no {key}"))
}

impl Browser for DemoBrowser {
    fn open(&self, url: &Url) -> Result<(), String> {
        let redirect = query(url, "redirect_uri")?;
        let client_id = query(url, "client_id")?;
        let mut redirect_uris: Vec<String> =
            DEMO_REDIRECT_URIS.iter().map(|s| (*s).to_owned()).collect();
        redirect_uris.push(redirect);
        self.world.upsert_client(ClientRequest {
            id: client_id,
            name: Some("Bridgekeeper desktop (demo)".into()),
            secret: None,
            redirect_uris,
            grants: vec!["authorization_code".into()],
            permissions: Vec::new(),
        })?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| e.to_string())?;
        let url = url.clone();
        tauri::async_runtime::spawn(async move {
            if let Err(error) = follow(&http, url).await {
                // The sign-in then times out with its own clear message; say why here too.
                tracing::error!(%error, "the demo sign-in redirect could not be delivered");
            }
        });
        Ok(())
    }
}

async fn follow(http: &reqwest::Client, url: Url) -> Result<(), String> {
    let answer = http.get(url).send().await.map_err(|e| e.to_string())?;
    let location = answer
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            format!(
                "the demo login answered {} without a redirect",
                answer.status()
            )
        })?
        // The listener binds 127.0.0.1; `localhost` may resolve to ::1 first.
        .replacen("//localhost:", "//127.0.0.1:", 1);
    let page = http
        .get(&location)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if page.status().is_success() {
        Ok(())
    } else {
        Err(format!("the sign-in listener answered {}", page.status()))
    }
}
