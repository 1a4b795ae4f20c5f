//! The desktop use cases end to end against the in-process emulator: the same calls the app's
//! commands make, with a test "browser" that follows the authorize redirect like a real one.
//!
//! One file (over 600 lines) because every test shares the emulator fixture and the test browser above.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use genesys_emulator::{
    ClientRequest, EmulatorConfig, FaultSpec, PUBLIC_CLIENT_ID, RunningEmulator, ScenarioName,
};
use url::Url;

use super::{Browser, DemoSignIn, Desktop, DesktopConfig};
use crate::auth::LoopbackConfig;
use crate::ipc::actions::{ExecuteDropRequest, OutcomeView, PlanDropRequest, SetFlagRequest};
use crate::ipc::audit::{AuditExportRequest, AuditFilters, AuditListRequest, AuditOutcomeKind};
use crate::ipc::error::ErrorCode;
use crate::ipc::queues::{ListQueuesRequest, SelectQueuesRequest};
use crate::ipc::roster::{ConnectionState, ConversationView, LegStatus, RosterChange, RosterEvent};
use crate::ipc::session::{SessionState, SignInRequest};
use crate::token_store::{MemoryStore, TokenStore};

/// The policy page, the enforce switch and the whole-conversation disconnect (same fixture).
mod policy;

fn temp_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    std::env::temp_dir().join(format!("bk-desktop-{tag}-{}-{nanos}", std::process::id()))
}

/// Follows the authorize URL as a browser would: registers the redirect on the emulator's public
/// client (a free port per test), asks the login host, and delivers its redirect to the listener.
struct EmulatorBrowser {
    emu_world: genesys_emulator::WorldHandle,
}

impl Browser for EmulatorBrowser {
    fn open(&self, url: &Url) -> Result<(), String> {
        let redirect = url
            .query_pairs()
            .find(|(k, _)| k == "redirect_uri")
            .map(|(_, v)| v.into_owned())
            .ok_or("no redirect_uri")?;
        let client_id = url
            .query_pairs()
            .find(|(k, _)| k == "client_id")
            .map(|(_, v)| v.into_owned())
            .ok_or("no client_id")?;
        self.emu_world.upsert_client(ClientRequest {
            id: client_id,
            name: None,
            secret: None,
            redirect_uris: vec![redirect],
            grants: vec!["authorization_code".into()],
            permissions: vec![],
        })?;
        let url = url.clone();
        tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .build()
                .expect("http client");
            let answer = http.get(url).send().await.expect("authorize");
            let location = answer
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .expect("a redirect")
                .replace("//localhost:", "//127.0.0.1:");
            let page = http.get(location).send().await.expect("callback");
            assert!(
                page.status().is_success(),
                "callback page {}",
                page.status()
            );
        });
        Ok(())
    }
}

struct Fixture {
    emu: RunningEmulator,
    dir: PathBuf,
    keyring: Arc<dyn TokenStore>,
}

impl Fixture {
    async fn new(tag: &str) -> Self {
        let emu = genesys_emulator::start(EmulatorConfig {
            scenario: ScenarioName::Demo,
            patch_delay: Duration::from_millis(40),
            ..Default::default()
        })
        .await
        .expect("emulator starts");
        Self {
            emu,
            dir: temp_dir(tag),
            keyring: Arc::new(MemoryStore::new()),
        }
    }

    fn desktop(&self) -> Desktop {
        let mut config = DesktopConfig::new(
            self.dir.join("data/audit.jsonl"),
            self.dir.join("config/prefs.json"),
            self.dir.join("exports"),
        );
        config.loopback = LoopbackConfig {
            port: 0,
            ..LoopbackConfig::default()
        };
        config.loopback.timeout = Duration::from_secs(20);
        config.actions.confirm_timeout = Duration::from_secs(5);
        config.actions.reread_after = Duration::from_millis(800);
        Desktop::new(config, Arc::clone(&self.keyring))
    }

    fn browser(&self) -> EmulatorBrowser {
        EmulatorBrowser {
            emu_world: self.emu.world(),
        }
    }

    fn demo(&self) -> DemoSignIn {
        DemoSignIn {
            base_url: self.emu.base_url(),
            client_id: PUBLIC_CLIENT_ID.into(),
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn watch_support(desktop: &Desktop) -> String {
    let listed = desktop
        .list_queues(ListQueuesRequest {
            filter: "sup".into(),
        })
        .await
        .expect("queues listed");
    assert_eq!(
        listed
            .queues
            .iter()
            .map(|q| q.name.as_str())
            .collect::<Vec<_>>(),
        vec!["Support"]
    );
    let support = listed.queues[0].id.clone();
    let selected = desktop
        .select_queues(SelectQueuesRequest {
            queue_ids: vec![support.clone()],
            ..SelectQueuesRequest::default()
        })
        .await
        .expect("queue selected");
    assert_eq!(selected.selected[0].name, "Support");
    support
}

/// Waits until the board is live and holds a conversation matching `pick`.
async fn live_board(
    desktop: &Desktop,
    pick: impl Fn(&ConversationView) -> bool,
) -> ConversationView {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let snapshot = desktop.roster_snapshot().await.expect("snapshot");
        if snapshot.connection.state == ConnectionState::Live {
            if let Some(c) = snapshot.conversations.into_iter().find(|c| pick(c)) {
                return c;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the board did not become live with the wanted call"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn party_id(c: &ConversationView, name_contains: &str) -> String {
    c.parties
        .iter()
        .find(|p| p.status == LegStatus::Live && p.name.contains(name_contains))
        .map(|p| p.participant_id.clone())
        .unwrap_or_else(|| panic!("no live party named like {name_contains} in {c:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_sign_in_board_drop_mute_audit_and_sign_out() {
    let fx = Fixture::new("flow").await;
    let desktop = fx.desktop();

    let info = desktop.session_info().await;
    assert_eq!(info.state, SessionState::SignedOut);
    assert_eq!(
        desktop
            .list_queues(ListQueuesRequest::default())
            .await
            .expect_err("signed out")
            .code,
        ErrorCode::NotSignedIn
    );

    let signed = desktop
        .sign_in_demo(fx.demo(), &fx.browser())
        .await
        .expect("demo sign-in through PKCE");
    assert!(signed.session.demo);
    assert_eq!(signed.session.user_name, "Sam Supervisor");
    assert!(signed.selected_queues.is_empty());
    let info = desktop.session_info().await;
    assert_eq!(info.state, SessionState::SignedIn);

    let all = desktop
        .list_queues(ListQueuesRequest::default())
        .await
        .expect("all queues");
    assert_eq!(
        all.queues
            .iter()
            .map(|q| q.name.as_str())
            .collect::<Vec<_>>(),
        vec!["Billing", "Retention", "Sales", "Support"]
    );
    watch_support(&desktop).await;

    let events: Arc<Mutex<Vec<RosterEvent>>> = Arc::default();
    let sink = Arc::clone(&events);
    let first = desktop
        .roster_subscribe(move |e| {
            sink.lock().expect("events").push(e);
            true
        })
        .await
        .expect("subscribed");

    // The Support conference: a customer, agent1 and a muted consultant (agent2).
    let conference = live_board(&desktop, |c| {
        c.is_conference && c.parties.iter().any(|p| p.muted == Some(true))
    })
    .await;
    let consultant = conference
        .parties
        .iter()
        .find(|p| p.muted == Some(true) && p.status == LegStatus::Live)
        .expect("muted consultant")
        .clone();
    let agent = party_id(
        &conference,
        &conference
            .parties
            .iter()
            .find(|p| p.purpose == "agent" && p.muted == Some(false) && p.status == LegStatus::Live)
            .expect("agent")
            .name,
    );

    // Drop the consultant: plan names who remains, execute confirms.
    let plan = desktop
        .plan_drop(PlanDropRequest {
            conversation_id: conference.id.clone(),
            participant_id: consultant.participant_id.clone(),
        })
        .await
        .expect("plan");
    assert_eq!(plan.target.name, consultant.name);
    assert_eq!(plan.remaining.len(), 2, "{plan:?}");
    assert!(plan.warnings.is_empty(), "{plan:?}");
    let done = desktop
        .execute_drop(ExecuteDropRequest {
            plan_id: plan.plan_id.clone(),
        })
        .await
        .expect("drop outcome");
    assert!(
        matches!(
            done.outcome,
            OutcomeView::Confirmed {
                call_ended: false,
                ..
            }
        ),
        "{done:?}"
    );
    assert!(!done.audit_id.is_empty());
    // A plan is single use.
    assert_eq!(
        desktop
            .execute_drop(ExecuteDropRequest {
                plan_id: plan.plan_id
            })
            .await
            .expect_err("used plan")
            .code,
        ErrorCode::PlanExpired
    );

    // Mute the agent.
    let muted = desktop
        .set_mute(SetFlagRequest {
            conversation_id: conference.id.clone(),
            participant_id: agent.clone(),
            on: true,
        })
        .await
        .expect("mute outcome");
    assert!(
        matches!(muted.outcome, OutcomeView::Confirmed { .. }),
        "{muted:?}"
    );

    // The channel saw the drop as numbered changes, without gaps, after the first snapshot.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let seen = events.lock().expect("events").clone();
    let seqs: Vec<u64> = seen.iter().map(|e| e.seq).collect();
    assert!(!seqs.is_empty());
    assert!(
        seqs[0] > first.seq || first.seq == 0,
        "{seqs:?} after {}",
        first.seq
    );
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "gapless: {seqs:?}"
    );
    let dropped_seen = seen.iter().flat_map(|e| &e.changes).any(|c| match c {
        RosterChange::Upsert { conversation } => conversation
            .parties
            .iter()
            .any(|p| p.participant_id == consultant.participant_id && p.status != LegStatus::Live),
        _ => false,
    });
    assert!(dropped_seen, "the drop reached the board");

    // Audit: both actions, filterable and exportable.
    let audit = desktop
        .audit_list(AuditListRequest::default())
        .await
        .expect("audit");
    assert_eq!(audit.total, 2);
    assert_eq!(
        audit.entries[0].action,
        crate::ipc::actions::ActionKind::Mute
    );
    assert_eq!(audit.entries[1].party_name, consultant.name);
    let confirmed_drops = desktop
        .audit_list(AuditListRequest {
            filters: AuditFilters {
                actions: vec![crate::ipc::actions::ActionKind::Drop],
                outcomes: vec![AuditOutcomeKind::Confirmed],
                ..Default::default()
            },
        })
        .await
        .expect("filtered");
    assert_eq!(confirmed_drops.entries.len(), 1);
    let export = desktop
        .audit_export_csv(AuditExportRequest::default())
        .await
        .expect("export");
    assert_eq!(export.rows, 2);
    let csv = std::fs::read_to_string(&export.path).expect("csv written");
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.contains(&consultant.name));

    // Sign out: actions now need a session.
    let out = desktop.sign_out().await;
    assert_eq!(out.warning, None);
    assert_eq!(desktop.session_info().await.state, SessionState::SignedOut);
    assert_eq!(
        desktop
            .plan_drop(PlanDropRequest {
                conversation_id: conference.id,
                participant_id: agent,
            })
            .await
            .expect_err("signed out")
            .code,
        ErrorCode::NotSignedIn
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pkce_sign_in_is_resumed_and_the_queue_choice_remembered_by_the_next_run() {
    let fx = Fixture::new("resume").await;
    let first = fx.desktop();
    let request = SignInRequest {
        region: None,
        api_base: Some(fx.emu.base_url()),
        client_id: PUBLIC_CLIENT_ID.into(),
        client_secret: None,
    };
    first
        .sign_in(request, &fx.browser())
        .await
        .expect("PKCE sign-in");
    let support = watch_support(&first).await;
    first
        .select_queues(SelectQueuesRequest {
            queue_ids: vec![support.clone()],
            user_ids: vec!["u-chosen".into()],
            watch_self: true,
            watch_queue_people: true,
        })
        .await
        .expect("queues and people selected");

    // The next run: same keyring and prefs, no browser.
    let second = fx.desktop();
    let info = second.session_info().await;
    assert_eq!(info.state, SessionState::SignedIn, "{info:?}");
    assert_eq!(info.selected_queues.len(), 1);
    assert_eq!(info.selected_queues[0].id, support);
    let last = info.last_sign_in.expect("remembered settings");
    assert_eq!(last.api_base.as_deref(), Some(fx.emu.base_url().as_str()));
    assert!(!last.confidential);
    live_board(&second, |_| true).await;
    let listed = second
        .list_queues(ListQueuesRequest::default())
        .await
        .expect("queues listed");
    assert_eq!(listed.people.user_ids, vec!["u-chosen".to_owned()]);
    assert!(listed.people.watch_self && listed.people.watch_queue_people);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_and_a_revoked_session_get_the_codes_the_ui_acts_on() {
    let fx = Fixture::new("errors").await;
    let desktop = fx.desktop();
    desktop
        .sign_in_demo(fx.demo(), &fx.browser())
        .await
        .expect("demo sign-in");

    let e = desktop
        .select_queues(SelectQueuesRequest {
            queue_ids: vec!["no-such-queue".into()],
            ..SelectQueuesRequest::default()
        })
        .await
        .expect_err("unknown queue");
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    assert!(e.message.contains("no-such-queue"), "{e}");
    let e = desktop
        .plan_drop(PlanDropRequest {
            conversation_id: "c".into(),
            participant_id: "p".into(),
        })
        .await
        .expect_err("no queues watched");
    assert_eq!(e.code, ErrorCode::InvalidArgument);

    watch_support(&desktop).await;
    let conversation = live_board(&desktop, |c| c.is_conference).await;
    let e = desktop
        .plan_drop(PlanDropRequest {
            conversation_id: conversation.id.clone(),
            participant_id: "not-a-leg".into(),
        })
        .await
        .expect_err("unknown leg");
    assert_eq!(e.code, ErrorCode::ParticipantGone);
    let e = desktop
        .plan_drop(PlanDropRequest {
            conversation_id: " ".into(),
            participant_id: "p".into(),
        })
        .await
        .expect_err("blank id");
    assert_eq!(e.code, ErrorCode::InvalidArgument);

    fx.emu
        .world()
        .add_fault(FaultSpec::RevokeTokens { user_id: None })
        .expect("revoke");
    let agent = conversation
        .parties
        .iter()
        .find(|p| p.actionable)
        .expect("a live party")
        .participant_id
        .clone();
    let e = desktop
        .set_hold(SetFlagRequest {
            conversation_id: conversation.id.clone(),
            participant_id: agent,
            on: true,
        })
        .await
        .expect_err("revoked session");
    assert_eq!(e.code, ErrorCode::SessionExpired, "{e}");
    assert_eq!(desktop.session_info().await.state, SessionState::Expired);
}

/// A revocation shows on the board by itself: the platform announces it on the channel
/// (`v2.system.token_revoked.{id}`), so no action has to fail first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_session_shows_on_the_board_without_any_action() {
    let fx = Fixture::new("revoked").await;
    let desktop = fx.desktop();
    desktop
        .sign_in_demo(fx.demo(), &fx.browser())
        .await
        .expect("demo sign-in");
    watch_support(&desktop).await;
    live_board(&desktop, |c| c.is_conference).await;
    let events: Arc<Mutex<Vec<RosterEvent>>> = Arc::default();
    let sink = Arc::clone(&events);
    desktop
        .roster_subscribe(move |e| {
            sink.lock().expect("events").push(e);
            true
        })
        .await
        .expect("subscribed");

    fx.emu
        .world()
        .add_fault(FaultSpec::RevokeTokens { user_id: None })
        .expect("revoke");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    loop {
        let pushed_expiry = events.lock().expect("events").iter().any(|e| {
            e.changes.iter().any(|c| {
                matches!(c, RosterChange::Connection { connection }
                    if connection.session_expired && connection.state == ConnectionState::Closed)
            })
        });
        if pushed_expiry {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the board still shows the revoked session as live: {:?}",
            events
                .lock()
                .expect("events")
                .iter()
                .flat_map(|e| e.changes.iter())
                .filter(|c| matches!(c, RosterChange::Connection { .. }))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(desktop.session_info().await.state, SessionState::Expired);
    let e = desktop.connection_status().await.expect_err("session over");
    assert_eq!(e.code, ErrorCode::SessionExpired, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_permission_check_names_what_is_missing_and_locks_and_demo_are_kept() {
    let fx = Fixture::new("permissions").await;
    fx.emu
        .world()
        .upsert_user(genesys_emulator::UserRequest {
            email: genesys_emulator::SUPERVISOR_EMAIL.into(),
            name: None,
            permissions: Some(vec![
                "routing:queue:view".into(),
                "analytics:queueObservation:view".into(),
                "conversation:communication:view".into(),
                "conversation:communication:disconnect".into(),
            ]),
            queue_ids: None,
        })
        .expect("supervisor changed");
    let desktop = fx.desktop();
    assert_eq!(
        desktop
            .check_permissions()
            .await
            .expect_err("signed out")
            .code,
        ErrorCode::NotSignedIn
    );
    desktop
        .sign_in(
            SignInRequest {
                region: None,
                api_base: Some(fx.emu.base_url()),
                client_id: PUBLIC_CLIENT_ID.into(),
                client_secret: None,
            },
            &fx.browser(),
        )
        .await
        .expect("PKCE sign-in");
    let report = desktop.check_permissions().await.expect("checked");
    assert!(report.checked);
    let missing: Vec<_> = report
        .missing
        .iter()
        .map(|m| (m.permission.as_str(), m.essential))
        .collect();
    assert_eq!(
        missing,
        [
            ("analytics:conversationDetail:view", true),
            ("conversation:transcription:view", false)
        ]
    );
    assert_eq!(report.missing[0].feature, "Finding live conferences");

    // The demo organisation is not checked; a configuration without the demo refuses it.
    let demo = fx.desktop();
    demo.sign_in_demo(fx.demo(), &fx.browser())
        .await
        .expect("demo sign-in");
    assert!(!demo.check_permissions().await.expect("demo").checked);
    let mut config = DesktopConfig::new(
        fx.dir.join("off/audit.jsonl"),
        fx.dir.join("off/prefs.json"),
        fx.dir.join("off"),
    )
    .with_admin(crate::admin_config::AdminConfig::from_layers(
        crate::admin_config::ConfigLayer {
            demo: Some(false),
            ..Default::default()
        },
        Default::default(),
    ));
    config.loopback.port = 0;
    let off = Desktop::new(config, Arc::new(MemoryStore::new()));
    assert!(!off.session_info().await.demo_available);
    assert!(!off.app_config().await.expect("config").demo);
    let refused = off
        .sign_in_demo(fx.demo(), &fx.browser())
        .await
        .expect_err("demo off");
    assert_eq!(refused.code, ErrorCode::DemoUnavailable);
    assert!(
        refused.message.contains("set by your administrator"),
        "{}",
        refused.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn needs_attention_finds_a_long_mute_from_the_users_policy_file() {
    let fx = Fixture::new("attention").await;
    let policy = fx.dir.join("config/policy.toml");
    std::fs::create_dir_all(policy.parent().expect("folder")).expect("config folder");
    std::fs::write(
        &policy,
        "[[rule]]\nid = \"muted-1s\"\nwhen = \"muted\"\nfor = \"1s\"\n",
    )
    .expect("policy written");
    let mut config = DesktopConfig::new(
        fx.dir.join("data/audit.jsonl"),
        fx.dir.join("config/prefs.json"),
        fx.dir.join("exports"),
    );
    config.loopback.port = 0;
    config.policy_path = Some(policy.clone());
    let desktop = Desktop::new(config, Arc::clone(&fx.keyring));
    desktop
        .sign_in_demo(fx.demo(), &fx.browser())
        .await
        .expect("demo sign-in");

    // Nothing is watched yet: nothing is looked for, and the panel says so.
    let idle = desktop.attention_list().await.expect("attention");
    assert!(!idle.watching);
    assert!(idle.findings.is_empty());

    watch_support(&desktop).await;
    let conference = live_board(&desktop, |c| {
        c.is_conference && c.parties.iter().any(|p| p.muted == Some(true))
    })
    .await;
    let muted = conference
        .parties
        .iter()
        .find(|p| p.muted == Some(true) && p.status == LegStatus::Live)
        .expect("muted leg")
        .clone();

    // The mute was already set when watching began: its start is unknown, so it counts only once
    // it has been seen for the rule's 1 s.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let found = loop {
        let answer = desktop.attention_list().await.expect("attention");
        assert!(answer.watching);
        assert_eq!(answer.policy_source, policy.display().to_string());
        assert_eq!(answer.policy_error, None);
        if let Some(f) = answer
            .findings
            .iter()
            .find(|f| f.participant_id == muted.participant_id)
        {
            break f.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no finding for the muted leg: {answer:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(found.rule, "muted-1s");
    assert_eq!(found.kind, "muted");
    assert_eq!(found.conversation_id, conference.id);
    assert_eq!(found.party_name, muted.name);
    assert!(
        !found.since_known,
        "a mute seen already set has no known start"
    );
    assert_eq!(
        found.resolution,
        crate::ipc::attention::ResolutionView::DropLeg
    );
    assert!(
        !found.remaining.is_empty() && !found.remaining.contains(&muted.name),
        "who remains: {:?}",
        found.remaining
    );
    // Only the muted leg is found (no other rule is in the file).
    let answer = desktop.attention_list().await.expect("attention");
    assert!(answer.findings.iter().all(|f| f.rule == "muted-1s"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn needs_attention_finds_a_silent_customer_through_the_transcription_feed() {
    let emu = genesys_emulator::start(EmulatorConfig {
        scenario: ScenarioName::SilentParty,
        transcription_delay: Duration::from_millis(200),
        transcription_heartbeat: Duration::from_millis(300),
        speech_every: Duration::from_millis(100),
        ..Default::default()
    })
    .await
    .expect("emulator starts");
    let fx = Fixture {
        emu,
        dir: temp_dir("attention-silent"),
        keyring: Arc::new(MemoryStore::new()),
    };
    let policy = fx.dir.join("config/policy.toml");
    std::fs::create_dir_all(policy.parent().expect("folder")).expect("config folder");
    std::fs::write(
        &policy,
        "[[rule]]\nid = \"quiet\"\nwhen = \"silent\"\nfor = \"1s\"\npurposes = [\"customer\"]\n",
    )
    .expect("policy written");
    let mut config = DesktopConfig::new(
        fx.dir.join("data/audit.jsonl"),
        fx.dir.join("config/prefs.json"),
        fx.dir.join("exports"),
    );
    config.loopback.port = 0;
    config.policy_path = Some(policy);
    config.transcription.timings.delivery_delay = Duration::from_millis(200);
    config.transcription.timings.heartbeat_interval = Duration::from_millis(300);
    config.transcription.timings.heartbeat_slack = Duration::from_millis(300);
    config.transcription.resubscribe_every = Duration::from_millis(50);
    let desktop = Desktop::new(config, Arc::clone(&fx.keyring));
    desktop
        .sign_in_demo(fx.demo(), &fx.browser())
        .await
        .expect("demo sign-in");
    let listed = desktop
        .list_queues(ListQueuesRequest {
            filter: String::new(),
        })
        .await
        .expect("queues listed");
    let all: Vec<String> = listed.queues.iter().map(|q| q.id.clone()).collect();
    let billing_queue = listed
        .queues
        .iter()
        .find(|q| q.name == "Billing")
        .map(|q| q.id.clone())
        .expect("Billing");
    desktop
        .select_queues(SelectQueuesRequest {
            queue_ids: all,
            ..SelectQueuesRequest::default()
        })
        .await
        .expect("queues selected");
    let billing = live_board(&desktop, |c| c.queue_ids.contains(&billing_queue)).await;

    // Billing's customer never speaks (agent13's lines are INTERNAL); Support's customer talks.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let found = loop {
        let answer = desktop.attention_list().await.expect("attention");
        for f in &answer.findings {
            assert_eq!(f.conversation_id, billing.id, "only the silent call: {f:?}");
        }
        if let Some(f) = answer.findings.iter().find(|f| f.rule == "quiet") {
            break f.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no silent finding: {answer:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(found.kind, "silent");
    assert!(found.reason.contains("said nothing"), "{found:?}");
}
