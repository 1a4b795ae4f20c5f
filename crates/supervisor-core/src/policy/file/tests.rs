//! Unit tests of `file` (kept beside it so the module itself stays short).

use super::*;

const ISSUE_EXAMPLE: &str = r#"mode = "dry-run"                   # "dry-run" (the default) or "enforce"
max_drops_per_minute = 6

[[rule]]
id = "held-too-long"
when = "held"                      # held | muted | alone | no_outside_party | silent | on_call | phantom
for = "10m"                        # a duration: 90s, 10m, 1h
purposes = ["agent", "external"]   # which legs it may act on; default: every purpose but customer
queues = ["Support"]               # optional, names or ids; default: every watched queue
users = []                         # optional people to watch for queue-less bridges (emails or ids)
exclude_users = ["lead@example.com"]
allow_customer_alone = false
"#;

fn error(text: &str) -> PolicyError {
    Policy::parse(text).expect_err("must be refused")
}

#[test]
fn the_issue_example_parses() {
    let p = Policy::parse(ISSUE_EXAMPLE).expect("valid");
    assert_eq!(p.mode, Mode::DryRun);
    assert_eq!(p.max_drops_per_minute, 6);
    let r = &p.rules[0];
    assert_eq!(r.id, "held-too-long");
    assert_eq!(r.when, RuleKind::Held);
    assert_eq!(r.threshold, Duration::from_secs(600));
    assert_eq!(r.purposes, vec!["agent", "external"]);
    assert_eq!(r.queues, vec!["Support"]);
    assert!(r.users.is_empty());
    assert_eq!(r.exclude_users, vec!["lead@example.com"]);
    assert!(!r.allow_customer_alone);
    assert_eq!(r.line, 4);
}

#[test]
fn defaults_are_dry_run_the_cap_and_every_purpose_but_customer() {
    let p =
        Policy::parse("[[rule]]\nid = \"a\"\nwhen = \"alone\"\nfor = \"90s\"\n").expect("valid");
    assert_eq!(p.mode, Mode::DryRun);
    assert_eq!(p.max_drops_per_minute, DEFAULT_MAX_DROPS_PER_MINUTE);
    let r = &p.rules[0];
    assert!(!r.purposes_listed);
    assert!(!r.names_customer());
    assert!(r.covers_purpose(Some(&Purpose::Agent)));
    assert!(r.covers_purpose(Some(&Purpose::External)));
    assert!(!r.covers_purpose(Some(&Purpose::Customer)));
    assert!(
        r.covers_purpose(None),
        "a leg without a purpose is not a customer"
    );
    assert_eq!(Policy::parse("").expect("empty is valid").rules.len(), 0);
}

#[test]
fn durations() {
    assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
    assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
    assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
    assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
    for bad in [
        "",
        "10",
        "m",
        "10 minutes",
        "1.5h",
        "0s",
        "-5s",
        "8d",
        "9999999999999999999h",
    ] {
        assert!(parse_duration(bad).is_err(), "{bad:?} must be refused");
    }
    assert_eq!(format_duration(Duration::from_secs(90)), "1 min 30 s");
    assert_eq!(format_duration(Duration::from_secs(3600)), "1 h");
}

#[test]
fn an_unknown_key_names_its_line_and_field() {
    let e = error(
        "mode = \"enforce\"\n\n[[rule]]\nid = \"a\"\nwhen = \"held\"\nfor = \"1m\"\nexclude_user = [\"x\"]\n",
    );
    assert_eq!(e.line, 7, "{e}");
    assert_eq!(e.field, "rule[1].exclude_user", "{e}");
    assert!(e.message.contains("unknown field"), "{e}");
    let e = error("mod = \"enforce\"\n");
    assert_eq!((e.line, e.field.as_str()), (1, "mod"), "{e}");
}

#[test]
fn a_bad_duration_names_the_rule_and_for() {
    let text = "[[rule]]\nid = \"a\"\nwhen = \"held\"\nfor = \"1m\"\n\n[[rule]]\nid = \"b\"\nwhen = \"muted\"\nfor = \"ten minutes\"\n";
    let e = error(text);
    assert_eq!((e.line, e.field.as_str()), (9, "rule[2].for"), "{e}");
    assert!(
        e.to_string().starts_with("line 9, field `rule[2].for`: "),
        "{e}"
    );
    assert!(e.message.contains("90s, 10m or 1h"), "{e}");
}

#[test]
fn bad_values_are_refused_with_their_field() {
    let rule =
        |extra: &str| format!("[[rule]]\nid = \"a\"\nwhen = \"held\"\nfor = \"1m\"\n{extra}\n");
    let cases: [(String, usize, &str); 9] = [
        ("mode = \"on\"\n".into(), 1, "mode"),
        (
            "max_drops_per_minute = 0\n".into(),
            1,
            "max_drops_per_minute",
        ),
        (
            "max_drops_per_minute = \"6\"\n".into(),
            1,
            "max_drops_per_minute",
        ),
        (
            "[[rule]]\nid = \"a\"\nwhen = \"idle\"\nfor = \"1m\"\n".into(),
            3,
            "rule[1].when",
        ),
        (
            rule("purposes = [\"agent\", \"boss\"]"),
            5,
            "rule[1].purposes",
        ),
        (rule("purposes = []"), 5, "rule[1].purposes"),
        (
            rule("allow_customer_alone = \"yes\""),
            5,
            "rule[1].allow_customer_alone",
        ),
        (rule("queues = [\"\"]"), 5, "rule[1].queues"),
        (format!("{}{}", rule(""), rule("")), 7, "rule[2].id"),
    ];
    for (text, line, field) in cases {
        let e = error(&text);
        assert_eq!((e.line, e.field.as_str()), (line, field), "{text}\n=> {e}");
    }
}

#[test]
fn a_missing_field_is_named() {
    let e = error("[[rule]]\nid = \"a\"\nwhen = \"held\"\n");
    assert_eq!(e.field, "rule[1].for", "{e}");
    assert!(e.message.contains("missing field"), "{e}");
}

#[test]
fn text_that_is_not_toml_names_the_line() {
    let e = error("mode = \"dry-run\"\nthis is not toml\n");
    assert_eq!(e.line, 2, "{e}");
}

#[test]
fn explain_says_each_rule_in_words() {
    let p = Policy::parse(ISSUE_EXAMPLE).expect("valid");
    let lines = p.explain();
    assert!(lines[0].contains("dry run"), "{lines:?}");
    assert!(lines[1].contains("At most 6 drops"), "{lines:?}");
    let rule = &lines[2];
    assert!(rule.contains("\"held-too-long\""), "{rule}");
    assert!(rule.contains("agent or external legs"), "{rule}");
    assert!(rule.contains("on hold for more than 10 min"), "{rule}");
    assert!(rule.contains("on the queues Support"), "{rule}");
    assert!(rule.contains("never lead@example.com"), "{rule}");
    assert!(
        rule.contains("never leaves a customer without an agent"),
        "{rule}"
    );
    let every = Policy::parse(
            "mode = \"enforce\"\n[[rule]]\nid = \"s\"\nwhen = \"silent\"\nfor = \"5m\"\npurposes = [\"customer\"]\nallow_customer_alone = true\n",
        )
        .expect("valid");
    let lines = every.explain();
    assert!(lines[0].contains("enforce"), "{lines:?}");
    assert!(lines[2].contains("unavailable, never silent"), "{lines:?}");
    assert!(lines[2].contains("may drop customers"), "{lines:?}");
    assert!(
        lines[2].contains("may leave a customer without an agent"),
        "{lines:?}"
    );
}
