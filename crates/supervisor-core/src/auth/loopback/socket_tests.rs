//! The listener over real loopback sockets: state checks, denial, timeout, a busy port, bad requests.

use super::*;

fn test_config(timeout: Duration) -> LoopbackConfig {
    LoopbackConfig {
        port: 0,
        path: DEFAULT_REDIRECT_PATH.into(),
        timeout,
    }
}

/// Sends raw bytes as a browser would and returns the status code and body.
async fn raw_get(port: u16, target: &str, host: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let req = format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nAccept: text/html\r\n\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("read");
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status");
    (status, out)
}

#[tokio::test]
async fn wrong_state_is_refused_then_the_right_one_completes_and_the_listener_closes() {
    let listener = LoopbackListener::bind(&test_config(Duration::from_secs(10)))
        .await
        .expect("bind");
    let port = listener.port();
    assert_eq!(
        listener.redirect_uri(),
        format!("http://localhost:{port}/oauth/callback")
    );
    let waiter = tokio::spawn(async move { listener.wait_for_code("st-1").await });

    // A browser preconnect that never sends anything must not block the others.
    let _idle = TcpStream::connect(("127.0.0.1", port)).await.expect("idle");
    let (status, body) = raw_get(
        port,
        "/oauth/callback?code=evil&state=wrong",
        &format!("localhost:{port}"),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("does not belong"));
    let (status, _) = raw_get(port, "/favicon.ico", &format!("localhost:{port}")).await;
    assert_eq!(status, 404);
    let (status, _) = raw_get(
        port,
        "/oauth/callback?code=c0de&state=st-1",
        &format!("attacker.example:{port}"),
    )
    .await;
    assert_eq!(status, 400, "foreign Host refused");
    assert!(!waiter.is_finished(), "the wait continues after refusals");

    let (status, body) = raw_get(
        port,
        "/oauth/callback?code=c0de&state=st-1",
        &format!("127.0.0.1:{port}"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.contains("Signed in to Bridgekeeper \u{2014} you can close this tab"));
    assert!(body.contains("Referrer-Policy: no-referrer"));
    let code = waiter.await.expect("join").expect("code");
    assert_eq!(code.expose(), "c0de");
    // Exactly one callback: the port is closed now.
    assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());
}

#[tokio::test]
async fn access_denied_callback_is_a_clear_error() {
    let listener = LoopbackListener::bind(&test_config(Duration::from_secs(10)))
        .await
        .expect("bind");
    let port = listener.port();
    let waiter = tokio::spawn(async move { listener.wait_for_code("st-2").await });
    let (status, body) = raw_get(
        port,
        "/oauth/callback?error=access_denied&error_description=The+user+denied+access&state=st-2",
        "localhost",
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("The user denied access"));
    let err = waiter.await.expect("join").expect_err("denied");
    assert!(matches!(err, AuthError::AuthorizationDenied { .. }));
    assert_eq!(
        crate::present::sign_in::auth(&err),
        "Sign-in was not completed: The user denied access"
    );
}

#[tokio::test]
async fn times_out_with_a_clear_error() {
    let listener = LoopbackListener::bind(&test_config(Duration::from_millis(200)))
        .await
        .expect("bind");
    let started = Instant::now();
    let err = listener.wait_for_code("st-3").await.expect_err("timeout");
    assert!(matches!(err, AuthError::CallbackTimeout { .. }), "{err}");
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert!(crate::present::sign_in::auth(&err).contains("start sign-in again"));
}

#[tokio::test]
async fn port_in_use_is_reported_clearly() {
    let holder = TcpListener::bind(("127.0.0.1", 0)).await.expect("holder");
    let port = holder.local_addr().expect("addr").port();
    let err = LoopbackListener::bind(&LoopbackConfig {
        port,
        ..test_config(Duration::from_secs(1))
    })
    .await
    .expect_err("busy");
    assert!(
        matches!(err, AuthError::PortInUse { port: p } if p == port),
        "{err}"
    );
    assert!(err.to_string().contains(&format!("port {port}")));
    assert!(err.to_string().contains("in use"));
}

#[tokio::test]
async fn oversized_and_bad_paths_are_rejected() {
    let err = LoopbackListener::bind(&LoopbackConfig {
        path: "oauth".into(),
        ..test_config(Duration::from_secs(1))
    })
    .await
    .expect_err("bad path");
    assert!(matches!(err, AuthError::InvalidConfig { .. }));

    let listener = LoopbackListener::bind(&test_config(Duration::from_secs(5)))
        .await
        .expect("bind");
    let port = listener.port();
    let waiter = tokio::spawn(async move { listener.wait_for_code("s").await });
    let mut s = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let huge = format!("GET /oauth/callback?x={} HTTP/1.1\r\n", "a".repeat(40_000));
    let _ = s.write_all(huge.as_bytes()).await;
    let mut out = String::new();
    let _ = s.read_to_string(&mut out).await;
    assert!(out.starts_with("HTTP/1.1 431"), "{out}");
    assert!(!waiter.is_finished());
    waiter.abort();
}
