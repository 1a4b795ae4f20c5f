//! The callback parser and page rendering, without sockets.

use super::*;

fn ctx() -> Ctx {
    Ctx {
        expected_state: "s1".into(),
        path: "/oauth/callback".into(),
        port: 8765,
        claimed: AtomicBool::new(false),
    }
}

fn get(target: &str, host: &str) -> String {
    format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: t\r\n")
}

#[test]
fn request_rules() {
    let c = ctx();
    let ok = evaluate(
        &get("/oauth/callback?code=abc&state=s1", "localhost:8765"),
        &c,
    );
    assert_eq!(ok.0, 200);
    assert!(ok.2.contains("you can close this tab"));
    assert!(matches!(ok.3, Some(Ok(ref code)) if code.expose() == "abc"));
    // Only one success per sign-in.
    let again = evaluate(
        &get("/oauth/callback?code=abc&state=s1", "localhost:8765"),
        &c,
    );
    assert_eq!(again.0, 409);
    assert!(again.3.is_none());

    let c = ctx();
    for (req, status) in [
        (
            get("/oauth/callback?code=abc&state=s2", "localhost:8765"),
            400,
        ),
        (get("/oauth/callback?code=abc", "localhost:8765"), 400),
        (
            get("/oauth/callback?code=abc&state=s1", "evil.example:8765"),
            400,
        ),
        (
            get("/oauth/callback?code=abc&state=s1", "localhost:9999"),
            400,
        ),
        (get("/favicon.ico", "127.0.0.1:8765"), 404),
        (get("/oauth/callback?state=s1", "localhost:8765"), 400),
        (
            get("/oauth/callback?code=a&code=b&state=s1", "localhost"),
            400,
        ),
        (
            "GET /oauth/callback?code=abc&state=s1 HTTP/1.1\r\n".to_string(),
            400,
        ),
        ("garbage".to_string(), 400),
        ("GET / SPDY/3\r\nHost: localhost\r\n".to_string(), 400),
        (
            "POST /oauth/callback?code=abc&state=s1 HTTP/1.1\r\nHost: localhost\r\n".to_string(),
            405,
        ),
    ] {
        let r = evaluate(&req, &c);
        assert_eq!(r.0, status, "{req:?}");
        assert!(r.3.is_none(), "{req:?} must not end the wait");
    }
    // None of those consumed the single success.
    let ok = evaluate(&get("/oauth/callback?code=abc&state=s1", "127.0.0.1"), &c);
    assert_eq!(ok.0, 200);
}

#[test]
fn provider_error_with_right_state_ends_the_wait() {
    let c = ctx();
    let r = evaluate(
        &get(
            "/oauth/callback?error=access_denied&error_description=User%20said%20%3Cno%3E&state=s1",
            "localhost:8765",
        ),
        &c,
    );
    assert_eq!(r.0, 400);
    match r.3 {
        Some(Err(AuthError::AuthorizationDenied { error, description })) => {
            assert_eq!(error, "access_denied");
            assert_eq!(description.as_deref(), Some("User said <no>"));
        }
        other => panic!("unexpected {other:?}"),
    }
    // A forged error with a wrong state cannot abort the sign-in.
    let c = ctx();
    let r = evaluate(
        &get(
            "/oauth/callback?error=access_denied&state=nope",
            "localhost",
        ),
        &c,
    );
    assert_eq!(r.0, 400);
    assert!(r.3.is_none());
}

#[test]
fn html_is_escaped() {
    assert_eq!(
        html_escape("<a href=\"x\">&'"),
        "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
    );
}

#[test]
fn pasted_redirects_are_checked_like_callbacks() {
    let uri = "http://localhost:8765/oauth/callback";
    let state = "s".repeat(32);
    let ok = format!("  {uri}?code=the-code&state={state}\n");
    match check_pasted(&ok, uri, &state) {
        Pasted::Code(code) => assert_eq!(code.expose(), "the-code"),
        other => panic!("expected a code, got {other:?}"),
    }
    // 127.0.0.1 for localhost is the same listener.
    let numeric = format!("http://127.0.0.1:8765/oauth/callback?state={state}&code=c2");
    assert!(matches!(
        check_pasted(&numeric, uri, &state),
        Pasted::Code(_)
    ));
    let denied = format!("{uri}?error=access_denied&error_description=No+thanks&state={state}");
    match check_pasted(&denied, uri, &state) {
        Pasted::Denied(AuthError::AuthorizationDenied { error, description }) => {
            assert_eq!(error, "access_denied");
            assert_eq!(description.as_deref(), Some("No thanks"));
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    for (bad, why) in [
        ("the-code".to_owned(), "not an address"),
        (format!("{uri}?code=c&state=wrong"), "another sign-in"),
        (format!("{uri}?state={state}"), "no authorization code"),
        (
            format!("http://localhost:9999/oauth/callback?code=c&state={state}"),
            "not the redirect",
        ),
        (
            format!("http://evil.example:8765/oauth/callback?code=c&state={state}"),
            "not the redirect",
        ),
        (
            format!("{uri}?code=c&code=d&state={state}"),
            "repeats a parameter",
        ),
    ] {
        match check_pasted(&bad, uri, &state) {
            Pasted::Unusable(reason) => {
                assert!(reason.contains(why), "{bad}: {reason}");
                assert!(
                    !reason.contains("code=c&"),
                    "never echoes the paste: {reason}"
                );
            }
            other => panic!("{bad}: expected unusable, got {other:?}"),
        }
    }
}
