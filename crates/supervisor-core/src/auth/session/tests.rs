//! Unit tests of `session` (kept beside it so the module itself stays short).

use super::*;
use crate::token_store::MemoryStore;

fn session(expires_in: chrono::Duration, renewable: bool) -> Session {
    let stored = StoredSession {
        environment: "http://127.0.0.1:9/".into(),
        client_id: "c".into(),
        user_id: "u".into(),
        user_name: None,
        access_token: AccessToken::new("tok-1"),
        expires_at: Utc::now() + expires_in,
        refresh_token: renewable.then(|| RefreshToken::new("r")),
        client_secret: renewable.then(|| ClientSecret::new("s")),
    };
    let env = Environment::custom("http://127.0.0.1:9").expect("env");
    Session::from_stored(
        stored,
        env,
        Arc::new(MemoryStore::new()),
        SessionOptions::default(),
    )
    .expect("session")
}

#[tokio::test]
async fn pkce_token_is_used_until_expiry_then_session_expired() {
    let s = session(chrono::Duration::hours(1), false);
    assert_eq!(
        s.access_token().await.expect("valid").expose_secret(),
        "tok-1"
    );
    let s = session(chrono::Duration::seconds(-1), false);
    assert!(matches!(
        s.access_token().await,
        Err(AuthError::SessionExpired)
    ));
    assert_eq!(s.status(), SessionStatus::Expired);
    let msg = TokenSource::access_token(&s)
        .await
        .expect_err("expired")
        .to_string();
    assert!(msg.contains("sign in again"), "{msg}");
}

#[tokio::test]
async fn pkce_401_ends_the_session_and_stale_401s_are_ignored() {
    let s = session(chrono::Duration::hours(1), false);
    s.invalidate(&AccessToken::new("some-older-token"));
    assert_eq!(s.status(), SessionStatus::Active);
    s.invalidate(&AccessToken::new("tok-1"));
    assert_eq!(s.status(), SessionStatus::Expired);
    assert!(matches!(
        s.access_token().await,
        Err(AuthError::SessionExpired)
    ));
}

#[tokio::test]
async fn subscribers_see_the_end_of_the_session_at_once() {
    let s = session(chrono::Duration::hours(1), false);
    let mut rx = s.subscribe();
    assert_eq!(*rx.borrow_and_update(), SessionStatus::Active);
    s.end();
    tokio::time::timeout(Duration::from_secs(1), rx.changed())
        .await
        .expect("published at once")
        .expect("sender alive");
    assert_eq!(*rx.borrow(), SessionStatus::Expired);
    assert!(matches!(
        s.access_token().await,
        Err(AuthError::SessionExpired)
    ));
    // Ending twice, or a 401 after the end, publishes nothing new.
    s.end();
    s.invalidate(&AccessToken::new("tok-1"));
    assert!(!rx.has_changed().expect("sender alive"));
}

#[tokio::test]
async fn unreachable_refresh_keeps_a_still_valid_token_but_not_an_expired_one() {
    // Port 9 on loopback refuses connections: the refresh fails as Unreachable.
    let s = session(chrono::Duration::seconds(30), true);
    assert_eq!(
        s.access_token().await.expect("still valid").expose_secret(),
        "tok-1"
    );
    assert_eq!(s.status(), SessionStatus::Active);
    let s = session(chrono::Duration::seconds(-5), true);
    let err = s.access_token().await.expect_err("expired and no refresh");
    assert!(matches!(err, AuthError::Api(_)), "{err}");
    assert_eq!(
        s.status(),
        SessionStatus::Active,
        "a network error is not a sign-out"
    );
}

#[test]
fn debug_shows_no_tokens() {
    let s = session(chrono::Duration::hours(1), true);
    let dbg = format!("{s:?}");
    assert!(!dbg.contains("tok-1"), "{dbg}");
}
