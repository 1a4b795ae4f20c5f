//! The demo organisation: the Genesys Cloud emulator started inside the app, so a newcomer needs no account.

use crate::state::DemoOrg;
use genesys_emulator::{EmulatorConfig, ScenarioName};

/// Conferences that start or end per minute in the demo, so the board visibly lives without being noisy.
const DEMO_CHURN_PER_MINUTE: f64 = 6.0;

/// Starts the emulator with the demo scenario on a free loopback port. Never fails: a failure becomes
/// [`DemoOrg::Failed`], which the UI shows instead of the app silently exiting.
///
/// Must run on Tauri's async runtime (`tauri::async_runtime`), which outlives this call and so keeps
/// the emulator's server tasks running.
pub async fn start() -> DemoOrg {
    let config = EmulatorConfig {
        scenario: ScenarioName::Demo,
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
