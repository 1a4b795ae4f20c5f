//! genesys-emulator: a stateful emulator of the Genesys Cloud API subset Bridgekeeper uses
//! (OAuth, REST, notification channels and WebSocket), with a control plane under
//! `/_emulator/`. Library first (tests start it in-process on 127.0.0.1:0), binary second.
//!
//! Every conversation mutation goes through [`World::change`], which publishes the new
//! snapshot to the notification topics; no event is ever scripted beside a state change.

mod api;
mod change;
mod churn;
mod config;
mod control;
mod errors;
mod factory;
mod faults;
mod history;
mod ids;
pub(crate) mod middleware;
mod model;
mod notify;
mod oauth;
mod render;
mod scenario;
#[cfg(feature = "test-support")]
pub mod test_support;
mod tokens;
mod transcription;
mod world;
mod ws;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use change::{
    Change, ChangeError, LegUpdate, NewCallRequest, PartyRequest, SYSTEM_WRAPUP_CODE, TargetState,
};
pub use config::{EmulatorConfig, SCENARIOS, ScenarioName};
pub use control::{
    AnalyticsRequest, ChurnRequest, ClientRequest, LeaveRequest, ScenarioRequest, UserRequest,
};
pub use faults::{ActiveFault, FaultSpec};
pub use history::AnalyticsSettings;
pub use model::LegState;
pub use scenario::{
    AGENT_COUNT, CONFIDENTIAL_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URIS, OBSERVER_EMAIL,
    ORG_ID, ORG_NAME, PERM_CONVERSATION_DETAIL, PERM_DISCONNECT, PERM_QUEUE_OBSERVATION,
    PERM_QUEUE_VIEW, PERM_VIEW, PUBLIC_CLIENT_ID, QUEUE_NAMES, SERVICE_CLIENT_ID, SUPERVISOR_EMAIL,
    agent_email,
};
pub use transcription::{
    PERM_TRANSCRIPTION, SilentRequest, SpeakOutcome, SpeakRequest, TranscriptionRequest,
    TranscriptionSettings,
};
pub use world::{EventStats, QueueInfo, RequestRecord, UserInfo, WorldHandle};
pub use ws::{HEARTBEAT, PONG};

use crate::errors::ApiError;
use crate::world::Shared;

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// Any other I/O failure while starting.
    #[error("emulator I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// A running emulator; dropping it (or `shutdown().await`) stops the server and its tasks.
pub struct RunningEmulator {
    addr: SocketAddr,
    base_url: String,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
    churn: Option<JoinHandle<()>>,
    transcription: Option<JoinHandle<()>>,
}

impl RunningEmulator {
    /// The bound address (the real port when the config asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: the API, login and WebSocket origin.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// In-process access to the world (truth, ids, faults, state changes).
    pub fn world(&self) -> WorldHandle {
        WorldHandle {
            shared: self.shared.clone(),
        }
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &EmulatorConfig {
        &self.shared.config
    }

    /// Stops the server: sockets get a close frame, in-flight requests up to 5 s to finish.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(server) = self.server.take() {
            let abort = server.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), server)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        if let Some(churn) = self.churn.take() {
            churn.abort();
        }
        if let Some(t) = self.transcription.take() {
            t.abort();
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(s) = self.server.take() {
            s.abort();
        }
        if let Some(c) = self.churn.take() {
            c.abort();
        }
        if let Some(t) = self.transcription.take() {
            t.abort();
        }
    }
}

async fn fallback(method: Method, uri: Uri) -> Response {
    ApiError::not_found(format!("No resource matches {method} {}.", uri.path())).into_response()
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method.not.allowed",
        format!("{method} is not supported on {}.", uri.path()),
    )
    .into_response()
}

fn app(shared: Arc<Shared>) -> Router {
    Router::new()
        .merge(api::router())
        .merge(oauth::routes())
        .merge(ws::routes())
        .nest("/_emulator", control::routes())
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            middleware::gateway,
        ))
        .with_state(shared)
}

/// Starts the emulator on `config.listen` and returns once it accepts connections.
pub async fn start(config: EmulatorConfig) -> Result<RunningEmulator, EmulatorError> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| EmulatorError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr()?;
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_owned()
    } else if addr.is_ipv6() {
        format!("[{}]", addr.ip())
    } else {
        addr.ip().to_string()
    };
    let base_url = format!("http://{host}:{}", addr.port());
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let shared = Arc::new(Shared::new(config, base_url.clone(), shutdown_rx.clone()));
    let router = app(shared.clone());
    let mut stop = shutdown_rx.clone();
    let server = tokio::spawn(async move {
        let result = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "emulator server stopped with an error");
        }
    });
    let churn = tokio::spawn(churn::run(shared.clone()));
    let transcription = tokio::spawn(transcription::run(shared.clone()));
    tracing::info!(%base_url, scenario = %shared.config.scenario, seed = shared.config.seed, "genesys emulator started");
    Ok(RunningEmulator {
        addr,
        base_url,
        shared,
        shutdown: shutdown_tx,
        server: Some(server),
        churn: Some(churn),
        transcription: Some(transcription),
    })
}
