//! The policy page, the enforce switch and the whole-conversation disconnect, end to end against the
//! in-process emulator (the fixture and helpers of the parent module).

use std::sync::Arc;
use std::time::Duration;

use genesys_emulator::{FaultSpec, LeaveRequest, NewCallRequest, PartyRequest};

use super::{Fixture, live_board, watch_support};
use crate::admin_config::{AdminConfig, ConfigLayer};
use crate::app::{Desktop, DesktopConfig};
use crate::ipc::actions::ActionKind;
use crate::ipc::audit::{AuditFilters, AuditListRequest, AuditOutcomeKind};
use crate::ipc::error::ErrorCode;
use crate::ipc::policy::{
    DisconnectConversationRequest, DisconnectOutcome, PreviewAction, SetEnforceRequest,
};
use crate::ipc::roster::LegStatus;

/// A desktop whose policy file holds `policy`, under `admin`.
fn desktop_with(fx: &Fixture, policy: &str, admin: AdminConfig) -> Desktop {
    let path = fx.dir.join("config/policy.toml");
    std::fs::create_dir_all(path.parent().expect("folder")).expect("config folder");
    std::fs::write(&path, policy).expect("policy written");
    let mut config = DesktopConfig::new(
        fx.dir.join("data/audit.jsonl"),
        fx.dir.join("config/prefs.json"),
        fx.dir.join("exports"),
    )
    .with_admin(admin);
    config.loopback.port = 0;
    config.loopback.timeout = Duration::from_secs(20);
    config.actions.confirm_timeout = Duration::from_secs(5);
    config.actions.reread_after = Duration::from_millis(800);
    config.policy_path = Some(path);
    Desktop::new(config, Arc::clone(&fx.keyring))
}

const MUTED_1S: &str =
    "max_drops_per_minute = 6\n\n[[rule]]\nid = \"muted-1s\"\nwhen = \"muted\"\nfor = \"1s\"\n";

async fn audit_records(desktop: &Desktop) -> Vec<crate::ipc::audit::AuditEntry> {
    desktop
        .audit_list(AuditListRequest {
            filters: AuditFilters::default(),
        })
        .await
        .expect("audit list")
        .entries
}

/// Requests the emulator saw that change a call (a drop, a communication or call disconnect).
async fn changes_sent(fx: &Fixture) -> Vec<String> {
    fx.emu
        .control()
        .requests(0)
        .await
        .into_iter()
        .filter(|r| r.method != "GET" && r.path.starts_with("/api/v2/conversations/"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_page_explains_the_rules_and_previews_without_sending_or_recording() {
    let fx = Fixture::new("policy-preview").await;
    let desktop = desktop_with(&fx, MUTED_1S, AdminConfig::default());
    desktop
        .sign_in_demo(fx.demo(), &fx.browser())
        .await
        .expect("demo sign-in");
    let idle = desktop.policy_view().await.expect("policy view");
    assert!(!idle.watching);
    assert_eq!(idle.file_mode, "dry-run");
    assert_eq!(idle.max_drops_per_minute, 6);
    assert_eq!(idle.rules.len(), 1);
    assert_eq!(idle.rules[0].id, "muted-1s");
    assert!(
        idle.rules[0].explanation.contains("muted"),
        "{:?}",
        idle.rules
    );
    assert!(
        idle.explanation[0].starts_with("Mode: dry run"),
        "{:?}",
        idle.explanation
    );
    assert!(!idle.enforce.on && idle.enforce.allowed && !idle.enforce.locked_by_admin);

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
    fx.emu.control().clear_requests().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let line = loop {
        let view = desktop.policy_view().await.expect("policy view");
        assert!(view.watching);
        if let Some(line) = view
            .preview
            .iter()
            .find(|d| d.participant_id == muted.participant_id)
        {
            break line.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no preview line for the muted leg: {view:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(line.action, PreviewAction::WouldDrop);
    assert_eq!(line.rule, "muted-1s");
    assert_eq!(line.party_name, muted.name);
    assert_eq!(line.conversation_id, conference.id);
    assert!(line.reason.contains("muted"), "{}", line.reason);
    // A preview sends nothing and records nothing.
    assert_eq!(changes_sent(&fx).await, Vec::<String>::new());
    assert!(audit_records(&desktop).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enforcement_locked_by_the_administrator_is_refused_and_shown_locked() {
    let fx = Fixture::new("policy-locked").await;
    let system = ConfigLayer {
        allow_policy_enforcement: Some(false),
        ..ConfigLayer::default()
    };
    let desktop = desktop_with(
        &fx,
        MUTED_1S,
        AdminConfig::from_layers(system, ConfigLayer::default()),
    );
    desktop
        .sign_in_demo(fx.demo(), &fx.browser())
        .await
        .expect("demo sign-in");
    watch_support(&desktop).await;
    let view = desktop.policy_view().await.expect("policy view");
    assert!(!view.enforce.allowed && view.enforce.locked_by_admin && !view.enforce.on);
    let reason = view.enforce.not_allowed_reason.expect("a reason");
    assert!(reason.starts_with("Set by your administrator"), "{reason}");
    let refused = desktop
        .policy_set_enforce(SetEnforceRequest { on: true })
        .await
        .expect_err("refused");
    assert_eq!(refused.code, ErrorCode::Forbidden);
    assert!(
        refused.message.contains("allow_policy_enforcement = false"),
        "{}",
        refused.message
    );
    assert!(!desktop.policy_view().await.expect("view").enforce.on);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(changes_sent(&fx).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enforcement_drops_what_the_rule_finds_audited_and_stops_when_switched_off() {
    let fx = Fixture::new("policy-enforce").await;
    let desktop = desktop_with(&fx, MUTED_1S, AdminConfig::default());
    desktop
        .sign_in_demo(fx.demo(), &fx.browser())
        .await
        .expect("demo sign-in");
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
    let on = desktop
        .policy_set_enforce(SetEnforceRequest { on: true })
        .await
        .expect("switched on");
    assert!(on.on && on.since_ms.is_some());

    // The engine drops the muted leg (verified) and records its decision with the rule id.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let dropped = loop {
        let records = audit_records(&desktop).await;
        if let Some(r) = records.iter().find(|r| {
            r.participant_id == muted.participant_id
                && r.detail
                    .as_deref()
                    .is_some_and(|d| d.contains("policy rule \"muted-1s\" (enforce)"))
                && r.outcome == AuditOutcomeKind::Confirmed
        }) {
            break r.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no confirmed policy drop of the muted leg: {records:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(dropped.action, ActionKind::Drop);
    let truth = fx.emu.control().conversation(&conference.id).await;
    let state = truth["participants"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["id"].as_str() == Some(muted.participant_id.as_str()))
        .map(|p| p["state"].clone());
    assert_eq!(state, Some(serde_json::json!("disconnected")), "{truth}");
    let view = desktop.policy_view().await.expect("view");
    assert!(
        view.enforce.on && view.enforce.decisions >= 1,
        "{:?}",
        view.enforce
    );

    // Off: a new long mute is found but nothing more is decided, sent or recorded.
    let off = desktop
        .policy_set_enforce(SetEnforceRequest { on: false })
        .await
        .expect("switched off");
    assert!(!off.on);
    let remaining = live_board(&desktop, |c| c.id == conference.id).await;
    let other = remaining
        .parties
        .iter()
        .find(|p| p.status == LegStatus::Live && p.purpose == "agent")
        .expect("an agent still on the call")
        .clone();
    desktop
        .set_mute(crate::ipc::actions::SetFlagRequest {
            conversation_id: conference.id.clone(),
            participant_id: other.participant_id.clone(),
            on: true,
        })
        .await
        .expect("muted");
    fx.emu.control().clear_requests().await;
    let before = audit_records(&desktop).await.len();
    tokio::time::sleep(crate::policy::RunnerConfig::default().tick + Duration::from_secs(2)).await;
    let preview = desktop.policy_view().await.expect("view").preview;
    assert!(
        preview
            .iter()
            .any(|d| d.participant_id == other.participant_id),
        "the new mute is found: {preview:?}"
    );
    let sent = changes_sent(&fx).await;
    assert!(
        sent.is_empty(),
        "enforcement switched off still sent: {sent:?}"
    );
    assert_eq!(
        audit_records(&desktop).await.len(),
        before,
        "enforcement switched off still decided"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_with_nobody_left_is_ended_for_everyone_verified_and_audited() {
    let fx = Fixture::new("policy-teardown").await;
    let desktop = desktop_with(&fx, MUTED_1S, AdminConfig::default());
    desktop
        .sign_in_demo(fx.demo(), &fx.browser())
        .await
        .expect("demo sign-in");
    let support = watch_support(&desktop).await;
    let control = fx.emu.control();
    // A caller waits in the Support queue, then hangs up; the platform's stuck case keeps the
    // call open with only its routing leg.
    let call = control
        .create_call(&NewCallRequest {
            queue_id: Some(support.clone()),
            parties: vec![PartyRequest {
                purpose: "customer".into(),
                user_id: None,
                name: Some("Stuck Caller".into()),
                address: Some("tel:+15550148888".into()),
                state: None,
            }],
        })
        .await;
    let id = call["id"].as_str().expect("call id").to_owned();
    let caller = call["participants"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["purpose"] == "customer")
        .and_then(|p| p["id"].as_str())
        .expect("caller")
        .to_owned();
    control
        .fault(&FaultSpec::StuckLeg {
            conversation_id: id.clone(),
        })
        .await;

    // While the caller is on it, the call is not ended: refused, nothing sent.
    live_board(&desktop, |c| c.id == id).await;
    fx.emu.control().clear_requests().await;
    let busy = desktop
        .conversation_disconnect(DisconnectConversationRequest {
            conversation_id: id.clone(),
        })
        .await
        .expect_err("a call with a person on it is not ended");
    assert_eq!(busy.code, ErrorCode::PlanExpired);
    assert!(busy.message.contains("Stuck Caller"), "{}", busy.message);
    assert_eq!(changes_sent(&fx).await, Vec::<String>::new());

    control.leave(&id, &caller, &LeaveRequest::default()).await;
    live_board(&desktop, |c| {
        c.id == id
            && !c
                .parties
                .iter()
                .any(|p| p.status == LegStatus::Live && p.purpose != "acd")
    })
    .await;
    let done = desktop
        .conversation_disconnect(DisconnectConversationRequest {
            conversation_id: id.clone(),
        })
        .await
        .expect("disconnected");
    assert_eq!(done.outcome, DisconnectOutcome::Confirmed, "{done:?}");
    assert_eq!(
        changes_sent(&fx).await,
        vec![format!("POST /api/v2/conversations/{id}/disconnect")]
    );
    let truth = control.conversation(&id).await;
    assert!(truth["endTime"].is_string(), "the call ended: {truth}");
    let live: Vec<_> = truth["participants"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| !matches!(p["state"].as_str(), Some("disconnected" | "terminated")))
        .collect();
    assert!(live.is_empty(), "every leg ended: {truth}");
    let board = desktop.roster_snapshot().await.expect("snapshot");
    assert!(
        board.conversations.iter().all(|c| c.id != id),
        "still on the board"
    );
    let records = audit_records(&desktop).await;
    let record = records
        .iter()
        .find(|r| r.conversation_id == id)
        .expect("an audit record");
    assert_eq!(record.action, ActionKind::EndConversation);
    assert_eq!(record.outcome, AuditOutcomeKind::Confirmed);

    // Again: the call has ended, nothing more is sent.
    fx.emu.control().clear_requests().await;
    let again = desktop
        .conversation_disconnect(DisconnectConversationRequest {
            conversation_id: id.clone(),
        })
        .await
        .expect_err("already ended");
    assert_eq!(again.code, ErrorCode::ParticipantGone);
    assert_eq!(changes_sent(&fx).await, Vec::<String>::new());
    let bad = desktop
        .conversation_disconnect(DisconnectConversationRequest {
            conversation_id: "  ".into(),
        })
        .await
        .expect_err("no id");
    assert_eq!(bad.code, ErrorCode::InvalidArgument);
}
