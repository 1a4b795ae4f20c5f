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
