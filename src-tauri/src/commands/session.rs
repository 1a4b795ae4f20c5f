//! Sign-in and session commands.

use crate::demo::DemoBrowser;
use crate::error::{ErrorCode, IpcError};
use crate::state::AppState;
use genesys_emulator::PUBLIC_CLIENT_ID;
use supervisor_core::app::{Browser, DemoSignIn};
use supervisor_core::ipc::session::{
    SessionInfoResponse, SignInRequest, SignInResponse, SignOutResponse,
};
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_opener::OpenerExt;
use url::Url;

/// Opens the authorize URL in the user's default browser.
struct SystemBrowser<R: Runtime>(AppHandle<R>);

impl<R: Runtime> Browser for SystemBrowser<R> {
    fn open(&self, url: &Url) -> Result<(), String> {
        self.0
            .opener()
            .open_url(url.as_str(), None::<&str>)
            .map_err(|e| e.to_string())
    }
}

/// `session_info`: the session (resumed from the keyring at the first call), regions, remembered settings.
#[tauri::command]
pub async fn session_info(state: State<'_, AppState>) -> Result<SessionInfoResponse, IpcError> {
    Ok(state.desktop().session_info().await)
}

/// `sign_in`: browser sign-in to a region (or a loopback emulator) with the organisation's client.
#[tauri::command]
pub async fn sign_in<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    request: SignInRequest,
) -> Result<SignInResponse, IpcError> {
    state.desktop().sign_in(request, &SystemBrowser(app)).await
}

/// `sign_in_demo`: starts the demo org if needed and signs in through the same PKCE path.
#[tauri::command]
pub async fn sign_in_demo(state: State<'_, AppState>) -> Result<SignInResponse, IpcError> {
    // No emulator is started when the configuration turned the demo off.
    state.desktop().demo_allowed()?;
    let demo = state.demo_emulator().await.map_err(|reason| {
        IpcError::new(
            ErrorCode::DemoUnavailable,
            format!("The demo organisation could not start: {reason}"),
        )
    })?;
    let sign_in = DemoSignIn {
        base_url: demo.base_url,
        client_id: PUBLIC_CLIENT_ID.to_owned(),
    };
    state
        .desktop()
        .sign_in_demo(sign_in, &DemoBrowser::new(demo.world))
        .await
}

/// `sign_out`: stops the board, revokes and forgets the session.
#[tauri::command]
pub async fn sign_out(state: State<'_, AppState>) -> Result<SignOutResponse, IpcError> {
    Ok(state.desktop().sign_out().await)
}
