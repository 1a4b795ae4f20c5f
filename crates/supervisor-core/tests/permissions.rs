//! The permission self-check against the emulator: a user whose role lacks a permission is told
//! which feature is unavailable and which permission to ask for; the demo supervisor only misses
//! the live transcript (the emulated org grants no transcription).

use genesys_client::{Client, Environment, StaticToken};
use genesys_emulator::test_support::{self, sign_in};
use genesys_emulator::{EmulatorConfig, SUPERVISOR_EMAIL, ScenarioName, UserRequest};
use supervisor_core::permissions::{self, PermissionReport};

async fn client_for(emu: &genesys_emulator::RunningEmulator, email: &str) -> Client {
    let http = test_support::http_client();
    let token = sign_in(&http, &emu.base_url(), email).await;
    Client::builder(Environment::custom(&emu.base_url()).expect("loopback"))
        .token_source(StaticToken::new(token))
        .build()
        .expect("client")
}

#[tokio::test]
async fn a_user_without_the_drop_permission_is_told_what_to_ask_for() {
    let emu = genesys_emulator::start(EmulatorConfig {
        scenario: ScenarioName::Empty,
        ..Default::default()
    })
    .await
    .expect("emulator starts");
    emu.control()
        .upsert_user(&UserRequest {
            email: "lead@demo.example".into(),
            name: Some("Lee Lead".into()),
            permissions: Some(vec![
                "routing:queue:view".into(),
                "analytics:queueObservation:view".into(),
                "analytics:conversationDetail:view".into(),
                "conversation:communication:view".into(),
                "conversation:transcription:view".into(),
            ]),
            queue_ids: None,
        })
        .await;

    let report = permissions::check(&client_for(&emu, "lead@demo.example").await)
        .await
        .expect("checked");
    let missing: Vec<_> = report.missing().iter().map(|f| f.permission).collect();
    assert_eq!(missing, ["conversation:communication:disconnect"]);
    let lines = report.lines();
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with(
            "Dropping, muting and holding a party is unavailable: ask your administrator to grant \
             conversation:communication:disconnect."
        ),
        "{lines:?}"
    );

    let supervisor = permissions::check(&client_for(&emu, SUPERVISOR_EMAIL).await)
        .await
        .expect("checked");
    assert!(matches!(supervisor, PermissionReport::Checked { .. }));
    assert!(
        supervisor.missing().iter().all(|f| !f.essential),
        "{supervisor:?}"
    );
}
