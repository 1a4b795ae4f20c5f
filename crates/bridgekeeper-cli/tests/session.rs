//! Sign-in, who am I, queues and sign-out through the built binary, against the emulator, with
//! the session in the real OS keyring (ignored by a plain `cargo test`; scripts/test.sh runs them
//! with `--include-ignored` in a throwaway D-Bus session).

mod common;

use common::Harness;
use genesys_emulator::FaultSpec;
use genesys_emulator::{QUEUE_NAMES, SUPERVISOR_EMAIL, agent_email};
use serde_json::{Value, json};
use supervisor_core::token_store::{KeyringStore, TokenStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real OS keyring: scripts/test.sh runs it in a throwaway keyring session"]
async fn keyring_login_whoami_queues_logout() {
    let mut h = Harness::start("session").await;
    let supervisor = h.emu.world().user_id(SUPERVISOR_EMAIL).expect("supervisor");

    let session = h.login(None).await;
    assert_eq!(session["userId"], json!(supervisor));
    assert_eq!(session["userName"], json!("Sam Supervisor"));
    assert_eq!(session["clientId"], json!(h.client_id));
    assert_eq!(
        session["renewable"],
        json!(false),
        "PKCE sessions do not renew"
    );
    let stored = KeyringStore::new()
        .load(&h.account_key())
        .expect("keyring readable")
        .expect("the session is in the keyring");
    assert_eq!(stored.user_id, supervisor);
    // Only non-secret settings are remembered on disk.
    let remembered = std::fs::read_to_string(h.data.path().join("prefs.json")).expect("remembered");
    assert!(remembered.contains(&h.client_id), "{remembered}");
    assert!(!remembered.contains(stored.access_token.expose_secret()));

    // No flags needed after login (the harness passes --api-base; the client id is remembered).
    let who = h.run(&["whoami", "--json"]).await;
    who.expect_code(0);
    let who = who.json();
    assert_eq!(who["userId"], json!(supervisor));
    assert_eq!(who["email"], json!(SUPERVISOR_EMAIL));
    assert_eq!(who["canDisconnect"], json!(true));
    let human = h.run(&["whoami"]).await;
    human.expect_code(0);
    assert!(human.stdout.contains("Sam Supervisor"), "{human:?}");
    assert!(human.stdout.contains("Can drop:     yes"), "{human:?}");

    let queues = h.run(&["queues", "--json"]).await;
    queues.expect_code(0);
    let names: Vec<String> = queues
        .json()
        .as_array()
        .expect("array")
        .iter()
        .map(|q| q["name"].as_str().expect("name").to_owned())
        .collect();
    let mut expected: Vec<String> = QUEUE_NAMES.iter().map(|s| s.to_string()).collect();
    expected.sort_by_key(|s| s.to_lowercase());
    assert_eq!(names, expected);
    let filtered = h.run(&["queues", "--name", "UPP", "--json"]).await;
    filtered.expect_code(0);
    let filtered: Vec<Value> = filtered.json().as_array().expect("array").clone();
    assert_eq!(filtered.len(), 1, "{filtered:?}");
    assert_eq!(filtered[0]["name"], json!("Support"));
    assert_eq!(
        filtered[0]["id"],
        json!(h.emu.world().queue_id("Support").expect("queue"))
    );
    let table = h.run(&["queues"]).await;
    table.expect_code(0);
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert!(lines[0].starts_with("NAME"), "{table:?}");
    assert_eq!(lines.len(), QUEUE_NAMES.len() + 1);
    let id_col = lines[0].find("ID").expect("ID column");
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.len() > id_col && l.as_bytes()[id_col - 1] == b' ')
    );
    assert!(
        !table.stdout.contains('\x1b'),
        "no colour when not a terminal"
    );

    let out = h.run(&["logout", "--json"]).await;
    out.expect_code(0);
    assert_eq!(out.json()["signedOut"], json!(true));
    assert!(
        KeyringStore::new()
            .load(&h.account_key())
            .expect("readable")
            .is_none(),
        "logout removes the keyring entry"
    );
    let revoke = h
        .emu
        .world()
        .requests(0)
        .into_iter()
        .any(|r| r.method == "DELETE" && r.path == "/api/v2/tokens/me");
    assert!(revoke, "logout revokes the token on the server");
    let who = h.run(&["whoami"]).await;
    who.expect_code(1);
    assert!(who.stderr.contains("not signed in"), "{who:?}");
    assert_eq!(who.stderr.trim().lines().count(), 1, "one line: {who:?}");
    let again = h.run(&["logout"]).await;
    again.expect_code(0);
    assert!(again.stdout.contains("nothing to do"), "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real OS keyring: scripts/test.sh runs it in a throwaway keyring session"]
async fn keyring_revoked_session_says_sign_in_again() {
    let mut h = Harness::start("revoked").await;
    let agent = agent_email(1);
    let session = h.login(Some(&agent)).await;
    assert_eq!(
        session["userId"],
        json!(h.emu.world().user_id(&agent).expect("agent"))
    );
    let who = h.run(&["whoami", "--json"]).await;
    who.expect_code(0);
    assert_eq!(who.json()["canDisconnect"], json!(false));

    h.fault(&FaultSpec::RevokeTokens { user_id: None }).await;
    let who = h.run(&["whoami"]).await;
    who.expect_code(1);
    assert!(who.stderr.contains("sign in again"), "{who:?}");
    assert_eq!(who.stderr.trim().lines().count(), 1, "{who:?}");
    // Logout still clears the (now useless) entry.
    h.run(&["logout"]).await.expect_code(0);
    assert!(
        KeyringStore::new()
            .load(&h.account_key())
            .expect("readable")
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real OS keyring: scripts/test.sh runs it in a throwaway keyring session"]
async fn keyring_confidential_login_reads_the_secret_from_stdin_and_renews() {
    let mut h = Harness::start("confidential").await;
    let secret = "cli-e2e-secret";
    let session = h.login_with(None, Some(secret)).await;
    assert_eq!(session["renewable"], json!(true), "{session}");
    let stored = KeyringStore::new()
        .load(&h.account_key())
        .expect("keyring readable")
        .expect("stored");
    assert!(stored.refresh_token.is_some());
    // The secret is in the keyring only: not on disk, not in any output.
    let on_disk = std::fs::read_to_string(h.data.path().join("prefs.json")).expect("file");
    assert!(!on_disk.contains(secret), "{on_disk}");
    let who = h.run(&["whoami"]).await;
    who.expect_code(0);
    assert!(who.stdout.contains("renews itself"), "{who:?}");
    assert!(!who.stdout.contains(secret) && !who.stderr.contains(secret));
    h.run(&["logout"]).await.expect_code(0);
}
