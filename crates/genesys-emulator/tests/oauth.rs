//! OAuth: PKCE, confidential code + refresh, client credentials, expiry and revocation.

mod common;

use common::*;
use genesys_emulator::{
    CONFIDENTIAL_CLIENT_ID, DEMO_CLIENT_SECRET, FaultSpec, PUBLIC_CLIENT_ID, SUPERVISOR_EMAIL,
};
use serde_json::Value;

async fn exchange(env: &Env, code: &str, verifier: &str) -> reqwest::Response {
    env.http
        .post(env.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("code_verifier", verifier),
            ("client_id", PUBLIC_CLIENT_ID),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .expect("token")
}

#[tokio::test]
async fn pkce_happy_path_gives_a_bearer_token_without_refresh() {
    let env = start().await;
    let (code, verifier) = env.authorize(SUPERVISOR_EMAIL).await;
    let resp = exchange(&env, &code, &verifier).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 86_400);
    assert!(
        body.get("refresh_token").is_none(),
        "public clients get no refresh token"
    );
    let token = body["access_token"].as_str().unwrap();
    let me = env.get_json(token, "/api/v2/users/me").await;
    assert_eq!(me["email"], SUPERVISOR_EMAIL);
}

#[tokio::test]
async fn wrong_verifier_and_reused_code_are_invalid_grant() {
    let env = start().await;
    let (code, _) = env.authorize(SUPERVISOR_EMAIL).await;
    let (other_verifier, _) = pkce_pair();
    let resp = exchange(&env, &code, &other_verifier).await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("code_verifier")
    );

    let (code, verifier) = env.authorize(SUPERVISOR_EMAIL).await;
    assert_eq!(exchange(&env, &code, &verifier).await.status(), 200);
    let again = exchange(&env, &code, &verifier).await;
    assert_eq!(again.status(), 400);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");

    let (code, _) = env.authorize(SUPERVISOR_EMAIL).await;
    let resp = exchange(&env, &code, "short").await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );
}

#[tokio::test]
async fn bad_redirect_and_unknown_client_get_an_error_page_not_a_redirect() {
    let env = start().await;
    let (_, challenge) = pkce_pair();
    for (client, redirect) in [
        (
            PUBLIC_CLIENT_ID,
            "http://localhost:8765/oauth/callback/extra",
        ),
        (PUBLIC_CLIENT_ID, "http://evil.example/cb"),
        ("no-such-client", REDIRECT),
    ] {
        let resp = env
            .http
            .get(env.url("/oauth/authorize"))
            .query(&[
                ("client_id", client),
                ("response_type", "code"),
                ("redirect_uri", redirect),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{client} {redirect}");
        assert!(resp.headers().get("location").is_none());
        assert!(resp.text().await.unwrap().contains("Sign-in error"));
    }
}

#[tokio::test]
async fn authorize_errors_redirect_with_error_and_state() {
    let env = start().await;
    let (_, challenge) = pkce_pair();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("response_type", "code")], "invalid_request"),
        (
            vec![
                ("response_type", "code"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "plain"),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("response_type", "token"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
            "unsupported_response_type",
        ),
        (
            vec![
                ("response_type", "code"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
                ("login_hint", "nobody@demo.example"),
            ],
            "access_denied",
        ),
    ];
    for (extra, expected) in cases {
        let mut q = vec![
            ("client_id", PUBLIC_CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("state", "st-9"),
        ];
        q.extend(extra);
        let resp = env
            .http
            .get(env.url("/oauth/authorize"))
            .query(&q)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 302);
        let pairs = location_query(&resp);
        assert_eq!(param(&pairs, "error").as_deref(), Some(expected));
        assert!(param(&pairs, "error_description").is_some());
        assert_eq!(param(&pairs, "state").as_deref(), Some("st-9"));
        assert!(param(&pairs, "code").is_none());
    }
}

#[tokio::test]
async fn login_hint_picks_the_user_and_accepts_org_suffix() {
    let env = start().await;
    let token = env.login("agent3@demo.example:bridgekeeper-demo").await;
    let me = env.get_json(&token, "/api/v2/users/me").await;
    assert_eq!(me["email"], "agent3@demo.example");
}

#[tokio::test]
async fn confidential_code_flow_returns_refresh_token_that_rotates() {
    let env = start().await;
    let resp = env
        .http
        .get(env.url("/oauth/authorize"))
        .query(&[
            ("client_id", CONFIDENTIAL_CLIENT_ID),
            ("response_type", "code"),
            ("redirect_uri", "http://127.0.0.1:8765/oauth/callback"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let code = param(&location_query(&resp), "code").unwrap();
    // Without the secret the confidential client is rejected.
    let resp = env
        .http
        .post(env.url("/oauth/token"))
        .basic_auth(CONFIDENTIAL_CLIENT_ID, Some("wrong"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );

    let resp = env
        .http
        .get(env.url("/oauth/authorize"))
        .query(&[
            ("client_id", CONFIDENTIAL_CLIENT_ID),
            ("response_type", "code"),
            ("redirect_uri", "http://127.0.0.1:8765/oauth/callback"),
        ])
        .send()
        .await
        .unwrap();
    let code = param(&location_query(&resp), "code").unwrap();
    let body: Value = env
        .http
        .post(env.url("/oauth/token"))
        .basic_auth(CONFIDENTIAL_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "http://127.0.0.1:8765/oauth/callback"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refresh = body["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    let refresh_grant = |rt: String| {
        env.http
            .post(env.url("/oauth/token"))
            .basic_auth(CONFIDENTIAL_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
            .form(&[
                ("grant_type", "refresh_token".to_owned()),
                ("refresh_token", rt),
            ])
            .send()
    };
    let resp = refresh_grant(refresh.clone()).await.unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    let new_access = body["access_token"].as_str().unwrap().to_owned();
    let new_refresh = body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new_refresh, refresh);
    assert_eq!(env.get(&new_access, "/api/v2/users/me").await.status(), 200);
    // The old refresh token was rotated away.
    let resp = refresh_grant(refresh).await.unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    // Logout revokes the session's refresh token too.
    let resp = env
        .send(
            reqwest::Method::DELETE,
            &new_access,
            "/api/v2/tokens/me",
            None,
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(env.get(&new_access, "/api/v2/users/me").await.status(), 401);
    assert_eq!(refresh_grant(new_refresh).await.unwrap().status(), 400);
}

#[tokio::test]
async fn client_credentials_work_but_are_not_a_user() {
    let env = start().await;
    let token = env.service_token().await;
    let resp = env.get(&token, "/api/v2/users/me").await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "not.a.user");
    // It can still read queues (its role has routing:queue:view).
    let queues = env.get_json(&token, "/api/v2/routing/queues").await;
    assert_eq!(queues["total"], 4);
    // A public client cannot use client credentials; a bad grant type is unsupported.
    let resp = env
        .http
        .post(env.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", PUBLIC_CLIENT_ID),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "unauthorized_client"
    );
    let resp = env
        .http
        .post(env.url("/oauth/token"))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );
}

#[tokio::test]
async fn expired_and_revoked_tokens_are_bad_credentials() {
    // Expiry through the fault, which ends the token's life now (the TTL rule itself is a unit
    // test of the token store): no real second to wait out.
    let env = start().await;
    let token = env.supervisor().await;
    let head = env
        .send(reqwest::Method::HEAD, &token, "/api/v2/tokens/me", None)
        .await;
    assert_eq!(head.status(), 200);
    let info = env.get_json(&token, "/api/v2/tokens/me").await;
    assert_eq!(info["OAuthClient"]["id"], PUBLIC_CLIENT_ID);
    assert!(info["organization"]["id"].is_string());
    let sup_id = user_id(&env, SUPERVISOR_EMAIL);
    env.emu
        .world()
        .add_fault(FaultSpec::ExpireTokens {
            user_id: Some(sup_id),
        })
        .unwrap();
    let resp = env.get(&token, "/api/v2/users/me").await;
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["code"],
        "bad.credentials"
    );
    let head = env
        .send(reqwest::Method::HEAD, &token, "/api/v2/tokens/me", None)
        .await;
    assert_eq!(head.status(), 401);

    // Revocation through the control-plane fault, and a missing token.
    let env = start().await;
    let token = env.supervisor().await;
    let agent = env.login("agent1@demo.example").await;
    let sup_id = user_id(&env, SUPERVISOR_EMAIL);
    env.emu
        .world()
        .add_fault(FaultSpec::RevokeTokens {
            user_id: Some(sup_id),
        })
        .unwrap();
    assert_eq!(env.get(&token, "/api/v2/users/me").await.status(), 401);
    assert_eq!(env.get(&agent, "/api/v2/users/me").await.status(), 200);
    env.emu
        .world()
        .add_fault(FaultSpec::ExpireTokens { user_id: None })
        .unwrap();
    assert_eq!(env.get(&agent, "/api/v2/users/me").await.status(), 401);
    let resp = env
        .http
        .get(env.url("/api/v2/users/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["code"],
        "authentication.required"
    );
}

#[tokio::test]
async fn control_plane_can_register_a_loopback_client() {
    let env = start().await;
    let resp = env
        .control(
            "/oauth/clients",
            serde_json::json!({"id": "loopback-test", "redirectUris": ["http://127.0.0.1:50123/cb"], "grants": ["authorization_code"]}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let (verifier, challenge) = pkce_pair();
    let resp = env
        .http
        .get(env.url("/oauth/authorize"))
        .query(&[
            ("client_id", "loopback-test"),
            ("response_type", "code"),
            ("redirect_uri", "http://127.0.0.1:50123/cb"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let code = param(&location_query(&resp), "code").unwrap();
    let resp = env
        .http
        .post(env.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", &verifier),
            ("client_id", "loopback-test"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let bad = env
        .control(
            "/oauth/clients",
            serde_json::json!({"id": "x", "grants": ["password"]}),
        )
        .await;
    assert_eq!(bad.status(), 400);
}
