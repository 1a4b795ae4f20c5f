//! The printed shapes (tables, JSON, exit codes) the CLI documents.

use super::*;

#[test]
fn exit_codes_are_the_documented_contract() {
    assert_eq!(Exit::Success.code(), 0);
    assert_eq!(Exit::Failure.code(), 1);
    assert_eq!(Exit::Refused.code(), 2);
    assert_eq!(Exit::NotConfirmed.code(), 3);
    assert_eq!(Exit::SignInAgain.code(), 4);
}

#[test]
fn tables_align_columns_and_only_paint_with_colour() {
    let rows = vec![
        vec![Cell::plain("Support"), Cell::plain("q-1"), Cell::plain("3")],
        vec![
            Cell::plain("Retention desk"),
            Cell::styled("q-22", Style::Bad),
            Cell::plain("10"),
        ],
    ];
    let plain = Printer::with(false, false).render_table(&["NAME", "ID", "MEMBERS"], &rows);
    assert_eq!(
        plain,
        [
            "NAME            ID    MEMBERS",
            "Support         q-1   3",
            "Retention desk  q-22  10",
        ]
    );
    assert!(plain.iter().all(|l| !l.contains('\x1b')));
    let colored = Printer::with(false, true).render_table(&["NAME", "ID", "MEMBERS"], &rows);
    assert!(colored[0].starts_with("\x1b[1m"));
    assert!(colored[2].contains("\x1b[31mq-22"));
}

fn report(outcome: ActionOutcome) -> ActionReport {
    ActionReport {
        action: supervisor_core::actions::ActionKind::Drop,
        conversation_id: "c-1".into(),
        participant: PartySummary {
            participant_id: "p-2".into(),
            name: "Jane Doe".into(),
            purpose: "external".into(),
            user_id: None,
        },
        requested_participant_id: "p-2".into(),
        resolution: None,
        outcome,
        correlation_id: Some("corr-1".into()),
        audit_id: uuid::Uuid::nil(),
        timings: supervisor_core::actions::ActionTimings {
            to_wire: Some(std::time::Duration::from_micros(300)),
            total: std::time::Duration::from_millis(900),
            ..Default::default()
        },
    }
}

#[test]
fn outcomes_map_to_snake_case_names_and_exit_codes() {
    use std::time::Duration;
    let confirmed = OutcomeView::from_report(
        &report(ActionOutcome::Confirmed {
            latency: Duration::from_millis(240),
            via: ConfirmedVia::Event,
            call_ended: false,
            others_left: vec![],
        }),
        None,
    );
    assert_eq!(
        (confirmed.outcome, confirmed.exit()),
        ("confirmed", Exit::Success)
    );
    assert_eq!(confirmed.latency_ms, 240);
    assert!(confirmed.reason().is_none());
    let json = serde_json::to_value(&confirmed).expect("json");
    assert_eq!(json["outcome"], "confirmed");
    assert_eq!(json["conversationId"], "c-1");
    assert_eq!(json["participantId"], "p-2");
    assert_eq!(json["latencyMs"], 240);
    assert_eq!(json["confirmedVia"], "event");
    assert_eq!(json["correlationId"], "corr-1");

    let not = OutcomeView::from_report(
        &report(ActionOutcome::NotConfirmed {
            waited: Duration::from_secs(3),
            still_shows: None,
            explanation: "still connected".into(),
            communication_id: Some("comm-1".into()),
        }),
        None,
    );
    assert_eq!(
        (not.outcome, not.exit()),
        ("not_confirmed", Exit::NotConfirmed)
    );
    assert_eq!(not.latency_ms, 900);
    assert!(not.reason().expect("reason").contains("not confirmed"));

    let refused = OutcomeView::from_report(
        &report(ActionOutcome::Refused {
            status: Some(403),
            code: Some("missing.any.permissions".into()),
            message: "Missing permission".into(),
            correlation_id: Some("corr-1".into()),
            explanation: "ask your administrator".into(),
        }),
        None,
    );
    assert_eq!(
        (refused.outcome, refused.exit()),
        ("refused", Exit::Refused)
    );
    let lines = refused.human_lines(&Printer::with(false, false)).join("\n");
    assert!(
        lines.contains("REFUSED drop Jane Doe (external) (HTTP 403, missing.any.permissions)"),
        "{lines}"
    );
    assert!(lines.contains("Correlation id: corr-1"), "{lines}");

    let gone = OutcomeView::from_report(
        &report(ActionOutcome::AlreadyGone {
            request_sent: false,
            explanation: "had already left".into(),
        }),
        None,
    );
    assert_eq!((gone.outcome, gone.exit()), ("already_gone", Exit::Success));
    assert!(!gone.request_sent);
}

#[test]
fn sanitize_and_durations() {
    assert_eq!(sanitize("a\x1b[2Jb\nc"), "a [2Jb c");
    assert_eq!(human_duration_ms(850), "850 ms");
    assert_eq!(human_duration_ms(1_240), "1.2 s");
    assert_eq!(human_duration_ms(184_000), "3 min 4 s");
    assert_eq!(human_duration_ms(7_500_000), "2 h 5 min");
    assert_eq!(human_secs(45), "45 s");
    assert_eq!(human_secs(184), "3 min 4 s");
}
