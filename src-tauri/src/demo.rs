//! The demo organisation: the Genesys Cloud emulator started inside the app, so a newcomer needs no
//! account, and the "browser" that signs in to it through the same PKCE code path as a real org.
//! For measuring the app alone, the emulator may instead run in another process (`--demo-url`):
//! then the browser registers the redirect through the emulator's HTTP control plane.

use std::time::Duration;

use crate::state::{DemoControl, DemoOrg};
use genesys_emulator::{ClientRequest, DEMO_REDIRECT_URIS, EmulatorConfig, ScenarioName};
use supervisor_core::app::Browser;
use url::Url;

/// How long the app waits for an emulator in another process to answer, at launch and per call.
const EXTERNAL_TIMEOUT: Duration = Duration::from_secs(10);

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
            DemoOrg::Running {
                base_url,
                emulator: Some(emulator),
            }
        }
        Err(error) => {
            let reason = error.to_string();
            tracing::error!(%reason, "the demo organisation could not start");
            DemoOrg::Failed { reason }
        }
    }
}

/// The demo org on an emulator already running in another process at `base_url` (an origin that
/// `--demo-url` validated). Never fails: an emulator that does not answer its control plane becomes
/// [`DemoOrg::Failed`] naming the address, which the UI shows.
pub async fn external(base_url: String) -> DemoOrg {
    let probe = async {
        let answer = http_client()?
            .get(format!("{base_url}/_emulator/churn"))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if answer.status().is_success() {
            Ok(())
        } else {
            Err(format!("its control plane answered {}", answer.status()))
        }
    };
    match probe.await {
        Ok(()) => {
            tracing::info!(%base_url, "demo organisation in another process");
            DemoOrg::Running {
                base_url,
                emulator: None,
            }
        }
        Err(error) => {
            let reason = format!("no genesys-emulator answers at {base_url}: {error}");
            tracing::error!(%reason, "the demo organisation could not be reached");
            DemoOrg::Failed { reason }
        }
    }
}

fn http_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(EXTERNAL_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())
}

/// Plays the browser for the demo org: registers the app's loopback redirect (a free port, so a
/// pending real sign-in on the fixed port does not collide) on the emulator's public client, asks
/// the emulator's login host (which approves at once) and delivers its redirect to the listener.
pub struct DemoBrowser {
    control: DemoControl,
}

impl DemoBrowser {
    /// A browser for this emulator, registering through its control plane.
    pub fn new(control: DemoControl) -> Self {
        Self { control }
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
        let client = ClientRequest {
            id: client_id,
            name: Some(DEMO_CLIENT_NAME.into()),
            secret: None,
            redirect_uris,
            grants: vec!["authorization_code".into()],
            permissions: Vec::new(),
        };
        let http = http_client()?;
        // In another process, the registration is an HTTP call too, so it runs (first) in the task.
        let remote = match &self.control {
            DemoControl::InProcess(world) => {
                world.upsert_client(client)?;
                None
            }
            DemoControl::Http(base_url) => Some((base_url.clone(), client)),
        };
        let url = url.clone();
        tauri::async_runtime::spawn(async move {
            let delivered = async {
                if let Some((base_url, client)) = remote {
                    register(&http, &base_url, &client).await?;
                }
                follow(&http, url).await
            };
            if let Err(error) = delivered.await {
                // The sign-in then times out with its own clear message; say why here too.
                tracing::error!(%error, "the demo sign-in redirect could not be delivered");
            }
        });
        Ok(())
    }
}

/// The name the demo org shows for the app's client.
const DEMO_CLIENT_NAME: &str = "Bridgekeeper desktop (demo)";

/// The control-plane body for `client` (`POST /_emulator/oauth/clients`, camelCase like
/// [`ClientRequest`]'s serde form; that type only deserialises).
fn client_body(client: &ClientRequest) -> serde_json::Value {
    serde_json::json!({
        "id": client.id,
        "name": client.name,
        "secret": client.secret,
        "redirectUris": client.redirect_uris,
        "grants": client.grants,
        "permissions": client.permissions,
    })
}

/// Adds or replaces the client on an emulator in another process.
async fn register(
    http: &reqwest::Client,
    base_url: &str,
    client: &ClientRequest,
) -> Result<(), String> {
    let answer = http
        .post(format!("{base_url}/_emulator/oauth/clients"))
        .json(&client_body(client))
        .send()
        .await
        .map_err(|e| format!("registering the demo redirect at {base_url}: {e}"))?;
    let status = answer.status();
    if status.is_success() {
        Ok(())
    } else {
        let text = answer.text().await.unwrap_or_default();
        Err(format!(
            "the emulator refused the demo redirect: {status} {text}"
        ))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_control_plane_body_mirrors_the_client_request() {
        let client = ClientRequest {
            id: "bridgekeeper-desktop".into(),
            name: Some(DEMO_CLIENT_NAME.into()),
            secret: None,
            redirect_uris: vec!["http://127.0.0.1:5/oauth/callback".into()],
            grants: vec!["authorization_code".into()],
            permissions: Vec::new(),
        };
        let body = client_body(&client);
        // What the emulator's route parses back is the request we built.
        let back: ClientRequest = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(back.id, client.id);
        assert_eq!(back.name, client.name);
        assert_eq!(back.secret, None);
        assert_eq!(back.redirect_uris, client.redirect_uris);
        assert_eq!(back.grants, client.grants);
        assert_eq!(body["redirectUris"][0], "http://127.0.0.1:5/oauth/callback");
    }

    #[tokio::test]
    async fn an_emulator_in_another_process_is_reached_over_its_control_plane() {
        let emulator = genesys_emulator::start(EmulatorConfig {
            scenario: ScenarioName::Empty,
            ..Default::default()
        })
        .await
        .expect("an emulator starts");
        let base_url = emulator.base_url();
        let org = external(base_url.clone()).await;
        assert!(
            matches!(&org, DemoOrg::Running { base_url: b, emulator: None } if *b == base_url),
            "{org:?}"
        );

        let http = http_client().unwrap();
        let client = ClientRequest {
            id: "bridgekeeper-desktop".into(),
            name: Some(DEMO_CLIENT_NAME.into()),
            secret: None,
            redirect_uris: vec!["http://127.0.0.1:5/oauth/callback".into()],
            grants: vec!["authorization_code".into()],
            permissions: Vec::new(),
        };
        register(&http, &base_url, &client).await.unwrap();
        let clients: serde_json::Value = http
            .get(format!("{base_url}/_emulator/oauth/clients"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let registered = clients["entities"]
            .as_array()
            .and_then(|all| all.iter().find(|c| c["id"] == "bridgekeeper-desktop"))
            .unwrap_or_else(|| panic!("the client is registered: {clients}"));
        assert!(
            registered
                .to_string()
                .contains("http://127.0.0.1:5/oauth/callback"),
            "{registered}"
        );

        let refused = ClientRequest {
            grants: vec!["password".into()],
            ..client
        };
        let error = register(&http, &base_url, &refused).await.unwrap_err();
        assert!(error.contains("400"), "{error}");
    }

    #[tokio::test]
    async fn nothing_listening_at_the_demo_url_is_a_failed_demo_naming_it() {
        // A port that was free a moment ago: nothing answers there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let base_url = format!("http://127.0.0.1:{port}");
        match external(base_url.clone()).await {
            DemoOrg::Failed { reason } => assert!(
                reason.starts_with(&format!("no genesys-emulator answers at {base_url}: ")),
                "{reason}"
            ),
            other => panic!("a failed demo, not {other:?}"),
        }
    }
}
