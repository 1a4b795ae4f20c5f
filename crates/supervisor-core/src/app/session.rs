//! The session lifecycle of the desktop: sign-in through the browser, resume from the keyring at
//! start, sign-out, and noticing a session that ended by itself.

use std::sync::Arc;

use genesys_client::Environment;
use genesys_model::ClientSecret;

use super::board::watch_request;
use super::prefs::Prefs;
use super::{
    Browser, DEMO_ACCOUNT, DEMO_CALLBACK_TIMEOUT, DemoSignIn, Desktop, Signed, State, lock,
};
use crate::auth::{
    AuthError, LoopbackConfig, Session, SessionOptions, SessionStatus, SignIn, SignInConfig,
};
use crate::ipc::error::{ErrorCode, IpcError};
use crate::ipc::session::{
    LastSignIn, SessionInfo, SessionInfoResponse, SessionState, SignInRequest, SignInResponse,
    SignOutResponse, region_options,
};
use crate::token_store::{MemoryStore, TokenStore};

/// Resumes the session stored for an environment and client, without a browser: the desktop at
/// start, and every CLI command after `login`.
///
/// [`AuthError::NotSignedIn`] when nothing is stored; [`AuthError::SessionExpired`] when the stored
/// PKCE token has expired.
pub async fn resume(
    environment: &Environment,
    client_id: &str,
    store: Arc<dyn TokenStore>,
) -> Result<Session, AuthError> {
    Session::resume(environment, client_id, store, SessionOptions::default()).await
}

fn session_info(signed: &Signed) -> SessionInfo {
    let user = signed.session.user();
    SessionInfo {
        user_id: user.id.clone(),
        user_name: user.name.clone().unwrap_or_else(|| user.id.clone()),
        environment: signed.environment.clone(),
        client_id: signed.session.client_id().to_owned(),
        demo: signed.demo,
        renewable: signed.session.is_renewable(),
        expires_at_ms: signed.session.expires_at().timestamp_millis(),
    }
}

/// How people know an environment: the region's label, "Demo organisation", or the API base.
fn environment_name(environment: &Environment, demo: bool) -> String {
    if demo {
        return "Demo organisation".to_owned();
    }
    match environment {
        Environment::Region(r) => region_options()
            .into_iter()
            .find(|o| o.name == r.name())
            .map_or_else(|| r.name().to_owned(), |o| o.label),
        other => other.api_base().as_str().trim_end_matches('/').to_owned(),
    }
}

impl Desktop {
    /// `session_info`: resumes the remembered sign-in from the keyring the first time.
    pub async fn session_info(&self) -> SessionInfoResponse {
        let prefs = self.prefs.load();
        let mut state = self.state.lock().await;
        if !state.resume_tried && state.signed.is_none() {
            state.resume_tried = true;
            if let Some(last) = &prefs.last_sign_in {
                match self.resume(last, &prefs).await {
                    Ok(signed) => state.signed = Some(signed),
                    Err(e) if e.code == ErrorCode::SessionExpired => state.expired = true,
                    Err(e) => {
                        tracing::info!(code = e.code.as_str(), message = %e.message, "no session resumed")
                    }
                }
            }
        }
        self.drop_if_ended(&mut state);
        let (session_state, session, selected) = match &state.signed {
            Some(signed) => (
                SessionState::SignedIn,
                Some(session_info(signed)),
                signed.queues.clone(),
            ),
            None if state.expired => (SessionState::Expired, None, Vec::new()),
            None => (SessionState::SignedOut, None, Vec::new()),
        };
        SessionInfoResponse {
            state: session_state,
            session,
            regions: region_options(),
            last_sign_in: prefs.last_sign_in,
            redirect_uri: format!(
                "http://localhost:{}{}",
                self.config.loopback.port, self.config.loopback.path
            ),
            demo_available: self.config.demo_available,
            selected_queues: selected,
        }
    }

    async fn resume(&self, last: &LastSignIn, prefs: &Prefs) -> Result<Signed, IpcError> {
        let request = SignInRequest {
            region: last.region.clone(),
            api_base: last.api_base.clone(),
            client_id: last.client_id.clone(),
            client_secret: None,
        };
        let environment = request.environment()?;
        let session = resume(
            &environment,
            request.client_id()?,
            Arc::clone(&self.keyring),
        )
        .await?;
        self.signed(session, false, prefs)
    }

    /// A session that ended by itself (expired, revoked) is torn down and remembered as expired.
    /// The session's published status is the only record of that: the roster and the actions
    /// report what they learn to it, so nothing else is consulted here.
    pub(super) fn drop_if_ended(&self, state: &mut State) {
        let ended = state
            .signed
            .as_ref()
            .is_some_and(|s| s.session.status() != SessionStatus::Active);
        if ended {
            if let Some(signed) = state.signed.take() {
                tracing::info!("the session ended; sign in again");
                self.tear_down(signed);
            }
            state.expired = true;
        }
    }

    pub(super) fn signed(
        &self,
        session: Session,
        demo: bool,
        prefs: &Prefs,
    ) -> Result<Signed, IpcError> {
        let client = session.api_client()?;
        let environment = environment_name(session.environment(), demo);
        let account = if demo {
            DEMO_ACCOUNT.to_owned()
        } else {
            session.account_key().as_str().to_owned()
        };
        let queues = prefs.queues_for(&account);
        let people = prefs.people_for(&account);
        let live = self.start_live(
            &session,
            &client,
            watch_request(&queues, &people, &session.user().id),
        );
        Ok(Signed {
            session,
            client,
            demo,
            account,
            environment,
            queues,
            people,
            live,
        })
    }

    pub(super) fn tear_down(&self, signed: Signed) {
        self.stop_forwarder();
        lock(&self.plans).clear();
        if let Some(live) = signed.live {
            tokio::spawn(async move { live.roster.shutdown().await });
        }
    }

    /// `sign_in`: PKCE (or a confidential client) through the system browser and the loopback
    /// redirect; remembers the settings (never the secret) for next time.
    pub async fn sign_in(
        &self,
        request: SignInRequest,
        browser: &dyn Browser,
    ) -> Result<SignInResponse, IpcError> {
        let environment = request.environment()?;
        super::config::check_locks(&self.config.admin, &request, &environment)?;
        let client_id = request.client_id()?.to_owned();
        let mut config = match request.client_secret() {
            Some(secret) => SignInConfig::confidential(
                environment.clone(),
                &client_id,
                ClientSecret::new(secret),
            ),
            None => SignInConfig::pkce(environment.clone(), &client_id),
        };
        config.loopback = self.config.loopback.clone();
        let session = self
            .browser_sign_in(config, Arc::clone(&self.keyring), browser)
            .await?;
        let mut prefs = self.prefs.load();
        prefs.remember_sign_in(&environment, &client_id, request.client_secret().is_some());
        self.save_prefs(&prefs);
        self.install(session, false, &prefs).await
    }

    /// `sign_in_demo`: the same PKCE code path against the in-process emulator, with a throwaway
    /// in-memory token store (the demo never touches the keyring) and a free redirect port.
    pub async fn sign_in_demo(
        &self,
        demo: DemoSignIn,
        browser: &dyn Browser,
    ) -> Result<SignInResponse, IpcError> {
        self.demo_allowed()?;
        let environment = Environment::custom(&demo.base_url)
            .map_err(|e| IpcError::new(ErrorCode::DemoUnavailable, e.to_string()))?;
        let mut config = SignInConfig::pkce(environment, &demo.client_id);
        config.loopback = LoopbackConfig {
            port: 0,
            path: self.config.loopback.path.clone(),
            timeout: DEMO_CALLBACK_TIMEOUT,
        };
        let session = self
            .browser_sign_in(config, Arc::new(MemoryStore::new()), browser)
            .await?;
        let prefs = self.prefs.load();
        self.install(session, true, &prefs).await
    }

    async fn browser_sign_in(
        &self,
        config: SignInConfig,
        store: Arc<dyn TokenStore>,
        browser: &dyn Browser,
    ) -> Result<Session, IpcError> {
        let started = SignIn::start(config, store).await?;
        tracing::info!(redirect_uri = %started.redirect_uri(), "opening the browser for sign-in");
        browser.open(started.authorize_url()).map_err(|reason| {
            IpcError::new(
                ErrorCode::SignInFailed,
                format!("The browser could not be opened for the sign-in: {reason}"),
            )
        })?;
        Ok(started.finish().await?)
    }

    async fn install(
        &self,
        session: Session,
        demo: bool,
        prefs: &Prefs,
    ) -> Result<SignInResponse, IpcError> {
        let signed = self.signed(session, demo, prefs)?;
        let response = SignInResponse {
            session: session_info(&signed),
            selected_queues: signed.queues.clone(),
        };
        let mut state = self.state.lock().await;
        if let Some(old) = state.signed.replace(signed) {
            self.tear_down(old);
        }
        state.expired = false;
        state.resume_tried = true;
        Ok(response)
    }

    /// `sign_out`: stops the board, revokes the token (best effort) and forgets the session.
    pub async fn sign_out(&self) -> SignOutResponse {
        let signed = {
            let mut state = self.state.lock().await;
            state.expired = false;
            state.signed.take()
        };
        let Some(signed) = signed else {
            return SignOutResponse { warning: None };
        };
        let session = signed.session.clone();
        self.tear_down(signed);
        match session.sign_out().await {
            Ok(()) => SignOutResponse { warning: None },
            Err(e) => {
                tracing::warn!(error = %e, "sign-out could not remove the stored session");
                SignOutResponse {
                    warning: Some(format!(
                        "Signed out in this window, but the stored sign-in could not be removed: {}",
                        crate::present::sign_in::auth(&e)
                    )),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environments_are_named_for_people() {
        let env = Environment::Region(genesys_client::Region::EuWest1);
        assert_eq!(environment_name(&env, false), "EMEA (Dublin)");
        assert_eq!(environment_name(&env, true), "Demo organisation");
        let emu = Environment::custom("http://127.0.0.1:9000").expect("emulator");
        assert_eq!(environment_name(&emu, false), "http://127.0.0.1:9000");
    }
}
