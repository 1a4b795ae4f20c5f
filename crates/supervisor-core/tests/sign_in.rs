//! Sign-in end to end against the real emulator, in-process: the authorize URL is followed with
//! reqwest (no redirect following) and the redirect is delivered to the loopback listener as a
//! browser would deliver it.
//!
//! About 680 lines on purpose: every way a sign-in can go (PKCE, the pasted redirect, the
//! confidential client, expiry, renewal by another process) in one file, sharing one harness, so
//! the whole journey reads in one place.

use genesys_emulator::FaultSpec;
use genesys_emulator::test_support::{self, ClientRequest, deliver, follow_authorize};
use std::sync::Arc;
use std::time::Duration;

use genesys_client::{Environment, ErrorKind};
use genesys_emulator::{EmulatorConfig, RunningEmulator, SUPERVISOR_EMAIL, ScenarioName};
use genesys_model::ClientSecret;
use supervisor_core::auth::{
    AuthError, DEFAULT_REDIRECT_PATH, LoopbackConfig, Session, SessionOptions, SessionStatus,
    SignIn, SignInConfig,
};
use supervisor_core::token_store::{KeyringStore, MemoryStore, StoredSession, TokenStore};
use url::Url;

const SECRET: &str = "e2e-secret";

struct Org {
    emu: RunningEmulator,
    env: Environment,
    http: reqwest::Client,
}

async fn org(token_ttl: Duration) -> Org {
    let emu = genesys_emulator::start(EmulatorConfig {
        scenario: ScenarioName::Empty,
        token_ttl,
        ..Default::default()
    })
    .await
    .expect("emulator starts");
    let env = Environment::custom(&emu.base_url()).expect("loopback env");
    let http = test_support::http_client();
    Org { emu, env, http }
}

impl Org {
    /// Registers an OAuth client whose redirect URI is this test's loopback port, through the
    /// control plane (the demo client only knows port 8765).
    async fn register(&self, id: &str, secret: Option<&str>, redirect_uri: &str) {
        self.emu
            .control()
            .register_client(&ClientRequest::loopback(id, redirect_uri, secret))
            .await;
    }

    async fn fault(&self, fault: &FaultSpec) {
        self.emu.control().fault(fault).await;
    }

    /// The browser's first hop: the login host answers the authorize URL with a redirect.
    async fn authorize(&self, url: &Url) -> Url {
        follow_authorize(&self.http, url).await
    }

    /// The browser's second hop: the redirect arrives at the loopback listener.
    async fn deliver(&self, redirect: &Url) -> (u16, String) {
        deliver(&self.http, redirect).await
    }

    fn supervisor_id(&self) -> String {
        self.emu
            .world()
            .user_id(SUPERVISOR_EMAIL)
            .expect("supervisor")
    }

    fn requests_to(&self, path: &str) -> usize {
        self.emu
            .world()
            .requests(0)
            .iter()
            .filter(|r| r.path == path)
            .count()
    }

    fn config(&self, client_id: &str, secret: Option<&str>) -> SignInConfig {
        SignInConfig {
            environment: self.env.clone(),
            client_id: client_id.into(),
            client_secret: secret.map(ClientSecret::new),
            loopback: LoopbackConfig {
                port: 0,
                path: DEFAULT_REDIRECT_PATH.into(),
                timeout: Duration::from_secs(20),
            },
            login_hint: None,
            session: SessionOptions::default(),
        }
    }

    /// A whole sign-in: start, register the redirect, browse, deliver, finish.
    async fn sign_in(&self, cfg: SignInConfig, store: Arc<dyn TokenStore>) -> Session {
        let secret = cfg.client_secret.as_ref().map(|_| SECRET);
        let client_id = cfg.client_id.clone();
        let sign_in = SignIn::start(cfg, store).await.expect("start");
        self.register(&client_id, secret, sign_in.redirect_uri())
            .await;
        let url = sign_in.authorize_url().clone();
        let waiter = tokio::spawn(sign_in.finish());
        let redirect = self.authorize(&url).await;
        let (status, body) = self.deliver(&redirect).await;
        assert_eq!(status, 200, "{body}");
        waiter.await.expect("join").expect("signed in")
    }
}

fn unique(tag: &str) -> String {
    format!("e2e-{tag}-{}", uuid::Uuid::new_v4().simple())
}

fn with_state(url: &Url, state: &str) -> Url {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                state.into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    let mut out = url.clone();
    out.query_pairs_mut().clear().extend_pairs(pairs);
    out
}

#[tokio::test]
async fn pkce_sign_in_refuses_a_wrong_state_then_completes_and_stores_the_session() {
    let org = org(Duration::from_secs(3600)).await;
    let store = Arc::new(MemoryStore::new());
    let client_id = unique("pkce");
    let sign_in = SignIn::start(org.config(&client_id, None), store.clone())
        .await
        .expect("start");
    org.register(&client_id, None, sign_in.redirect_uri()).await;
    let url = sign_in.authorize_url().clone();
    assert!(url.as_str().starts_with(&org.emu.base_url()));
    let waiter = tokio::spawn(sign_in.finish());

    let redirect = org.authorize(&url).await;
    assert!(redirect.query_pairs().any(|(k, _)| k == "code"));
    // A forged or stale redirect: refused, and the sign-in keeps waiting.
    let (status, body) = org.deliver(&with_state(&redirect, "forged")).await;
    assert_eq!(status, 400);
    assert!(body.contains("does not belong"), "{body}");
    assert!(!waiter.is_finished());

    let (status, body) = org.deliver(&redirect).await;
    assert_eq!(status, 200);
    assert!(body.contains("Signed in to Bridgekeeper \u{2014} you can close this tab"));
    let session = waiter.await.expect("join").expect("signed in");

    assert_eq!(session.user().id, org.supervisor_id());
    assert_eq!(session.user().name.as_deref(), Some("Sam Supervisor"));
    assert!(!session.is_renewable(), "PKCE sessions cannot refresh");
    assert_eq!(store.len(), 1);
    let stored = store
        .load(session.account_key())
        .expect("load")
        .expect("stored");
    assert!(stored.refresh_token.is_none() && stored.client_secret.is_none());
    assert_eq!(
        stored.access_token,
        session.access_token().await.expect("token")
    );
    // The session is a TokenSource: the API client works with it.
    let me = session
        .api_client()
        .expect("client")
        .users_me(&[])
        .await
        .expect("users/me");
    assert_eq!(me.id.as_str(), org.supervisor_id());
    // The redirect cannot be replayed: the listener is closed.
    assert!(org.http.get(redirect).send().await.is_err());
    // Nothing secret in Debug.
    let dbg = format!("{session:?} {stored:?}");
    assert!(!dbg.contains(stored.access_token.expose_secret()), "{dbg}");
}

#[tokio::test]
async fn callback_timeout_and_access_denied_are_clear_errors() {
    let org = org(Duration::from_secs(3600)).await;
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());

    let mut cfg = org.config(&unique("timeout"), None);
    cfg.loopback.timeout = Duration::from_millis(300);
    let sign_in = SignIn::start(cfg, store.clone()).await.expect("start");
    let err = sign_in.finish().await.expect_err("nobody came back");
    assert!(matches!(err, AuthError::CallbackTimeout { .. }), "{err}");
    // The message names the likely causes the app cannot see: a closed tab, an unregistered redirect.
    let text = supervisor_core::present::sign_in::auth(&err);
    assert!(
        text.contains("tab may have been closed") && text.contains("redirect URI"),
        "{text}"
    );

    // The login host refuses (unknown user): the browser comes back with error=access_denied.
    let client_id = unique("denied");
    let mut cfg = org.config(&client_id, None);
    cfg.login_hint = Some("nobody@nowhere.example".into());
    let sign_in = SignIn::start(cfg, store.clone()).await.expect("start");
    org.register(&client_id, None, sign_in.redirect_uri()).await;
    let url = sign_in.authorize_url().clone();
    let waiter = tokio::spawn(sign_in.finish());
    let redirect = org.authorize(&url).await;
    let (status, body) = org.deliver(&redirect).await;
    assert_eq!(status, 400);
    assert!(body.contains("nobody@nowhere.example"), "{body}");
    let err = waiter.await.expect("join").expect_err("denied");
    match &err {
        AuthError::AuthorizationDenied { error, .. } => assert_eq!(error, "access_denied"),
        other => panic!("expected AuthorizationDenied, got {other}"),
    }
    assert!(
        supervisor_core::present::sign_in::auth(&err).contains("No user"),
        "{err}"
    );
}

#[tokio::test]
async fn port_in_use_fails_before_the_browser_opens() {
    let org = org(Duration::from_secs(3600)).await;
    let holder = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("holder");
    let mut cfg = org.config("any-client", None);
    cfg.loopback.port = holder.local_addr().expect("addr").port();
    let err = SignIn::start(cfg, Arc::new(MemoryStore::new()))
        .await
        .expect_err("busy port");
    assert!(matches!(err, AuthError::PortInUse { .. }), "{err}");
}

#[tokio::test]
async fn confidential_session_refreshes_before_expiry_and_stores_rotated_tokens() {
    let org = org(Duration::from_secs(3600)).await;
    let store = Arc::new(MemoryStore::new());
    let options = SessionOptions {
        refresh_margin: Duration::from_secs(5),
    };
    let mut cfg = org.config(&unique("conf"), Some(SECRET));
    cfg.session = options.clone();
    let session = org.sign_in(cfg, store.clone()).await;
    assert!(session.is_renewable());
    let first = store
        .load(session.account_key())
        .expect("load")
        .expect("stored");
    assert!(first.refresh_token.is_some());
    assert_eq!(
        first.client_secret.as_ref().map(|s| s.expose_secret()),
        Some(SECRET)
    );
    let t1 = session.access_token().await.expect("token");
    assert_eq!(t1, first.access_token, "fresh token is used as is");
    let token_calls = org.requests_to("/oauth/token");

    // Time passes without waiting for it: the stored token now expires in 4 s, inside the 5 s
    // refresh margin but before expiry, and the session resumed from it decides the same way the
    // long-lived one would an hour from now.
    let near_expiry = chrono::Utc::now() + chrono::Duration::seconds(4);
    store
        .save(
            session.account_key(),
            &StoredSession {
                expires_at: near_expiry,
                ..first.clone()
            },
        )
        .expect("save");
    let session = Session::resume(&org.env, session.client_id(), store.clone(), options)
        .await
        .expect("resume");
    assert!(chrono::Utc::now() < near_expiry);
    let (a, b, c) = tokio::join!(
        session.access_token(),
        session.access_token(),
        session.access_token()
    );
    let t2 = a.expect("refreshed");
    assert_ne!(t2, t1);
    assert_eq!(b.expect("b"), t2);
    assert_eq!(c.expect("c"), t2);
    assert_eq!(
        org.requests_to("/oauth/token"),
        token_calls + 1,
        "one refresh serves concurrent callers"
    );
    let second = store
        .load(session.account_key())
        .expect("load")
        .expect("stored");
    assert_eq!(second.access_token, t2);
    assert_ne!(second.refresh_token, first.refresh_token, "rotated");
    assert!(second.expires_at > near_expiry);
    session
        .api_client()
        .expect("client")
        .users_me(&[])
        .await
        .expect("new token works");
}

#[tokio::test]
async fn confidential_session_refreshes_once_on_401_but_never_loops() {
    let org = org(Duration::from_secs(3600)).await;
    let store = Arc::new(MemoryStore::new());
    let session = org
        .sign_in(org.config(&unique("conf401"), Some(SECRET)), store.clone())
        .await;
    let api = session.api_client().expect("client");
    let t1 = session.access_token().await.expect("token");

    // Access tokens die early (refresh tokens survive): one 401, then a refresh.
    org.fault(&FaultSpec::ExpireTokens { user_id: None }).await;
    let err = api.users_me(&[]).await.expect_err("401");
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(session.status(), SessionStatus::Active);
    api.users_me(&[]).await.expect("refreshed after the 401");
    let t2 = session.access_token().await.expect("token");
    assert_ne!(t2, t1);
    let stored = store
        .load(session.account_key())
        .expect("load")
        .expect("entry");
    assert_eq!(stored.access_token, t2, "rotated tokens stored");

    // A 401 again right after that refresh: over, no second refresh.
    let token_calls = org.requests_to("/oauth/token");
    org.fault(&FaultSpec::ExpireTokens { user_id: None }).await;
    assert_eq!(
        api.users_me(&[]).await.expect_err("401").kind(),
        ErrorKind::Unauthorized
    );
    assert_eq!(session.status(), SessionStatus::Expired);
    let err = api.users_me(&[]).await.expect_err("session over");
    assert_eq!(err.kind(), ErrorKind::NotSignedIn, "{err}");
    assert_eq!(org.requests_to("/oauth/token"), token_calls);
}

#[tokio::test]
async fn confidential_session_revoked_by_the_server_is_session_expired() {
    let org = org(Duration::from_secs(3600)).await;
    let session = org
        .sign_in(
            org.config(&unique("confrevoke"), Some(SECRET)),
            Arc::new(MemoryStore::new()),
        )
        .await;
    let api = session.api_client().expect("client");
    api.users_me(&[]).await.expect("works");
    // Revocation takes the refresh token too: the one refresh attempt is refused.
    org.fault(&FaultSpec::RevokeTokens { user_id: None }).await;
    let token_calls = org.requests_to("/oauth/token");
    assert_eq!(
        api.users_me(&[]).await.expect_err("401").kind(),
        ErrorKind::Unauthorized
    );
    assert_eq!(
        session.status(),
        SessionStatus::Active,
        "will try one refresh"
    );
    let err = api.users_me(&[]).await.expect_err("session over");
    assert_eq!(err.kind(), ErrorKind::NotSignedIn, "{err}");
    assert!(err.to_string().contains("sign in again"), "{err}");
    assert_eq!(org.requests_to("/oauth/token"), token_calls + 1);
    assert_eq!(session.status(), SessionStatus::Expired);
    assert!(matches!(
        session.access_token().await,
        Err(AuthError::SessionExpired)
    ));
}

#[tokio::test]
async fn pkce_session_expiry_is_session_expired_and_sends_nothing() {
    let org = org(Duration::from_secs(3600)).await;
    let store = Arc::new(MemoryStore::new());
    let session = org
        .sign_in(org.config(&unique("exp"), None), store.clone())
        .await;
    session
        .api_client()
        .expect("client")
        .users_me(&[])
        .await
        .expect("works while valid");

    // The stored token expires 2.5 s from now; the session counts the last 2 s as expired (clock
    // skew), so a session resumed from it is good for half a second. The emulator would still
    // accept the token: any request sent after that would be the client's fault alone.
    let stored = store
        .load(session.account_key())
        .expect("load")
        .expect("stored");
    store
        .save(
            session.account_key(),
            &StoredSession {
                expires_at: chrono::Utc::now() + chrono::Duration::milliseconds(2500),
                ..stored
            },
        )
        .expect("save");
    let session = Session::resume(
        &org.env,
        session.client_id(),
        store.clone(),
        SessionOptions::default(),
    )
    .await
    .expect("resume while valid");
    let api = session.api_client().expect("client");
    tokio::time::sleep(Duration::from_millis(600)).await;

    let before = org.requests_to("/api/v2/users/me");
    let started = std::time::Instant::now();
    let err = api.users_me(&[]).await.expect_err("expired");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "fails at once, never waits"
    );
    assert_eq!(err.kind(), ErrorKind::NotSignedIn, "{err}");
    assert!(err.to_string().contains("sign in again"), "{err}");
    assert_eq!(
        org.requests_to("/api/v2/users/me"),
        before,
        "no request was sent (or queued)"
    );
    assert!(matches!(
        session.access_token().await,
        Err(AuthError::SessionExpired)
    ));
    // Resuming the stored (expired) PKCE session says the same.
    let resumed = Session::resume(
        &org.env,
        session.client_id(),
        store.clone(),
        SessionOptions::default(),
    )
    .await;
    assert!(matches!(resumed, Err(AuthError::SessionExpired)));
}

#[tokio::test]
async fn pkce_session_revoked_by_the_server_is_session_expired() {
    let org = org(Duration::from_secs(3600)).await;
    let session = org
        .sign_in(
            org.config(&unique("revoke"), None),
            Arc::new(MemoryStore::new()),
        )
        .await;
    let api = session.api_client().expect("client");
    org.fault(&FaultSpec::RevokeTokens {
        user_id: Some(org.supervisor_id()),
    })
    .await;
    let err = api.users_me(&[]).await.expect_err("revoked");
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(session.status(), SessionStatus::Expired);
    assert!(matches!(
        session.access_token().await,
        Err(AuthError::SessionExpired)
    ));
    let err = api.users_me(&[]).await.expect_err("still over");
    assert_eq!(err.kind(), ErrorKind::NotSignedIn);
}

#[tokio::test]
async fn resume_and_sign_out() {
    let org = org(Duration::from_secs(3600)).await;
    let store = Arc::new(MemoryStore::new());
    let client_id = unique("out");
    let missing = Session::resume(
        &org.env,
        &client_id,
        store.clone(),
        SessionOptions::default(),
    )
    .await
    .expect_err("nothing stored");
    assert!(matches!(missing, AuthError::NotSignedIn));

    let session = org
        .sign_in(org.config(&client_id, None), store.clone())
        .await;
    let resumed = Session::resume(
        &org.env,
        &client_id,
        store.clone(),
        SessionOptions::default(),
    )
    .await
    .expect("resume");
    assert_eq!(resumed.user(), session.user());
    resumed
        .api_client()
        .expect("client")
        .users_me(&[])
        .await
        .expect("resumed token works");

    let token = session.access_token().await.expect("token");
    session.sign_out().await.expect("sign out");
    assert!(store.is_empty(), "stored session deleted");
    assert!(matches!(
        session.access_token().await,
        Err(AuthError::NotSignedIn)
    ));
    assert_eq!(session.status(), SessionStatus::SignedOut);
    // The server revoked the token (DELETE /api/v2/tokens/me).
    let resp = org
        .http
        .get(format!("{}/api/v2/tokens/me", org.emu.base_url()))
        .bearer_auth(token.expose_secret())
        .send()
        .await
        .expect("tokens/me");
    assert_eq!(resp.status().as_u16(), 401);
    // Sign-out is best effort on the server side: a second one still succeeds locally.
    session.sign_out().await.expect("second sign out");
}

/// Real OS keyring (see the crate README): ignored by a plain `cargo test`, run by scripts/test.sh,
/// where a missing or locked keyring fails it.
#[tokio::test]
#[ignore = "needs the real OS keyring: scripts/test.sh runs it in a throwaway keyring session"]
async fn keyring_real_sign_in_stores_and_sign_out_removes_the_entry() {
    let org = org(Duration::from_secs(3600)).await;
    let store = Arc::new(KeyringStore::new());
    let session = org
        .sign_in(org.config(&unique("keyring"), Some(SECRET)), store.clone())
        .await;
    let key = session.account_key().clone();
    let stored = store.load(&key).expect("keyring load").expect("entry");
    assert_eq!(stored.user_id, org.supervisor_id());
    assert!(stored.refresh_token.is_some());
    session.sign_out().await.expect("sign out");
    assert!(
        store.load(&key).expect("keyring load").is_none(),
        "entry removed"
    );
}

/// The headless sign-in: the browser's redirect never reaches the listener; its address is pasted.
async fn sign_in_by_paste(
    org: &Org,
    cfg: SignInConfig,
    registered_secret: &str,
    store: Arc<dyn TokenStore>,
) -> Result<Session, AuthError> {
    let client_id = cfg.client_id.clone();
    let sign_in = SignIn::start(cfg, store).await.expect("start");
    org.register(&client_id, Some(registered_secret), sign_in.redirect_uri())
        .await;
    let url = sign_in.authorize_url().clone();
    assert!(
        url.query_pairs().all(|(k, _)| k != "code_challenge"),
        "no PKCE on the confidential code grant"
    );
    let check = sign_in.paste_check();
    let redirect = org.authorize(&url).await;
    // A paste of another sign-in's redirect is refused; this one's is taken.
    let foreign = with_state(&redirect, "another-sign-in");
    assert!(matches!(
        check.check(foreign.as_str()),
        supervisor_core::auth::Pasted::Unusable(_)
    ));
    let pasted = async move {
        match check.check(redirect.as_str()) {
            supervisor_core::auth::Pasted::Code(code) => Ok(code),
            other => panic!("the redirect should carry a code: {other:?}"),
        }
    };
    sign_in.finish_or(pasted).await
}

#[tokio::test]
async fn confidential_sign_in_by_paste_completes_and_a_wrong_secret_is_client_rejected() {
    let org = org(Duration::from_secs(3600)).await;
    let store = Arc::new(MemoryStore::new());

    let client_id = unique("wrong-secret");
    let err = sign_in_by_paste(
        &org,
        org.config(&client_id, Some("not-the-secret")),
        SECRET,
        store.clone(),
    )
    .await
    .expect_err("a wrong secret is refused");
    match &err {
        AuthError::ClientRejected {
            client_id: id,
            source,
        } => {
            assert_eq!(id, &client_id);
            assert_eq!(source.kind(), ErrorKind::OAuth, "{source}");
        }
        other => panic!("expected ClientRejected, got {other:?}"),
    }
    // The log line names the client and the OAuth error; the sentence people read says what to do.
    assert!(err.to_string().contains("invalid_client"), "{err}");
    let text = supervisor_core::present::sign_in::auth(&err);
    assert!(
        text.contains("invalid_client") && text.contains("secret is wrong"),
        "{text}"
    );
    assert!(!text.contains("not-the-secret"), "{text}");
    assert!(store.is_empty(), "nothing is stored after a refusal");

    let client_id = unique("paste");
    let session = sign_in_by_paste(
        &org,
        org.config(&client_id, Some(SECRET)),
        SECRET,
        store.clone(),
    )
    .await
    .expect("signed in by paste");
    assert!(session.is_renewable());
    assert_eq!(session.user().id, org.supervisor_id());
    assert_eq!(store.len(), 1);
}

#[tokio::test]
async fn a_session_renewed_by_another_process_takes_the_stored_tokens_instead_of_ending() {
    // Two processes on one stored session (a service and an admin's `whoami`): both hold the same
    // refresh token; the first refresh rotates it, so the second's is void.
    let org = org(Duration::from_secs(30)).await;
    let store = Arc::new(MemoryStore::new());
    let options = SessionOptions {
        refresh_margin: Duration::from_secs(60),
    };
    let mut cfg = org.config(&unique("shared"), Some(SECRET));
    cfg.session = options.clone();
    let first = org.sign_in(cfg, store.clone()).await;
    let resume = || Session::resume(&org.env, first.client_id(), store.clone(), options.clone());
    let service = resume().await.expect("service resumes");
    let admin = resume().await.expect("admin resumes");

    // 30 s tokens inside a 60 s margin: each use renews.
    let by_admin = admin.access_token().await.expect("the admin renews");
    let calls = org.requests_to("/oauth/token");
    let by_service = service
        .access_token()
        .await
        .expect("the service goes on with the admin's renewal");
    assert_eq!(service.status(), SessionStatus::Active);
    assert_eq!(
        org.requests_to("/oauth/token"),
        calls + 2,
        "one refused refresh with the voided token, one with the stored one"
    );
    assert_ne!(by_service, by_admin, "the stored token was renewed in turn");
    let stored = store
        .load(service.account_key())
        .expect("load")
        .expect("stored");
    assert_eq!(stored.access_token, by_service);
    service
        .api_client()
        .expect("client")
        .users_me(&[])
        .await
        .expect("the service's token works");

    // A refusal with nothing newer stored still ends the session.
    org.fault(&FaultSpec::RevokeTokens { user_id: None }).await;
    let lonely = resume().await.expect("resumes");
    assert!(matches!(
        lonely.access_token().await,
        Err(AuthError::SessionExpired)
    ));
    assert_eq!(lonely.status(), SessionStatus::Expired);
}
