//! Unit tests of `admin_config` (kept beside it so the module itself stays short).

use super::*;

fn parse_err(text: &str) -> ParseError {
    let mut errors = ConfigLayer::parse(text).expect_err("should be refused");
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors.remove(0)
}

#[test]
fn parses_every_field() {
    let layer = ConfigLayer::parse(
            "# fleet settings\nregion = \"eu_west_1\"\nclient_id = \" abc-123 \"\nloopback_port = 9000\n\
             demo = false\nallow_policy_enforcement = false\n\
             update_endpoint = \"https://updates.example.com/{{target}}/latest.json\"\n\
             token_store = \"kernel-keyring\"\n",
        )
        .expect("valid");
    assert_eq!(layer.token_store, Some(TokenStoreChoice::KernelKeyring));
    assert_eq!(layer.region, Some(Region::EuWest1));
    assert_eq!(layer.client_id.as_deref(), Some("abc-123"));
    assert_eq!(layer.loopback_port, Some(9000));
    assert_eq!(layer.demo, Some(false));
    assert_eq!(layer.allow_policy_enforcement, Some(false));
    assert_eq!(
        layer.update_endpoint.as_deref(),
        Some("https://updates.example.com/{{target}}/latest.json")
    );
    assert!(Field::ALL.iter().all(|f| layer.sets(*f)));
    // A domain names its region too; an empty file sets nothing.
    let by_domain = ConfigLayer::parse("region = \"mypurecloud.ie\"").expect("domain");
    assert_eq!(by_domain.region, Some(Region::EuWest1));
    let empty = ConfigLayer::parse("").expect("empty");
    assert!(Field::ALL.iter().all(|f| !empty.sets(*f)));
}

#[test]
fn a_misspelt_field_is_named_with_its_line() {
    let e = parse_err("region = \"eu_west_1\"\n\nregoin = \"us_east_1\"\n");
    assert_eq!(e.line, 3);
    assert_eq!(e.field.as_deref(), Some("regoin"));
    assert!(e.message.contains("unknown field `regoin`"), "{e}");
    assert!(e.message.contains("loopback_port"), "{e}");
}

#[test]
fn a_wrong_type_names_the_field_and_line() {
    let e = parse_err("region = \"us_east_1\"\ndemo = \"no\"\n");
    assert_eq!((e.line, e.field.as_deref()), (2, Some("demo")));
    assert!(e.message.contains("bool"), "{e}");
    let e = parse_err("\nloopback_port = \"8765\"\n");
    assert_eq!((e.line, e.field.as_deref()), (2, Some("loopback_port")));
}

#[test]
fn a_syntax_error_gives_line_and_column() {
    let e = parse_err("region = \"us_east_1\"\nclient_id = abc\n");
    assert_eq!(e.line, 2);
    assert!(e.column > 1, "{e:?}");
    assert!(e.to_string().starts_with("line 2"), "{e}");
    let e = parse_err("region = \"us_east_1\n");
    assert_eq!(e.line, 1);
}

#[test]
fn values_out_of_range_are_refused_with_their_line() {
    let e = parse_err("demo = true\nregion = \"mars_1\"\n");
    assert_eq!((e.line, e.field.as_deref()), (2, Some("region")));
    assert!(e.message.contains("us_east_1"), "{e}");
    for (text, line) in [
        ("loopback_port = 70000", 1),
        ("\n\nloopback_port = 0", 3),
        ("loopback_port = -1", 1),
    ] {
        let e = parse_err(text);
        assert_eq!(
            (e.line, e.field.as_deref()),
            (line, Some("loopback_port")),
            "{text}"
        );
        assert!(e.message.contains("1 to 65535"), "{e}");
    }
    let e = parse_err("client_id = \"  \"");
    assert_eq!(e.field.as_deref(), Some("client_id"));
    let e = parse_err("client_id = \"a b\"");
    assert!(e.message.contains("spaces"), "{e}");
    let e = parse_err("update_endpoint = \"http://updates.example.com/latest.json\"");
    assert!(e.message.contains("HTTPS"), "{e}");
    let e = parse_err("update_endpoint = \"not a url\"");
    assert_eq!(e.field.as_deref(), Some("update_endpoint"));
    assert!(ConfigLayer::parse("update_endpoint = \"http://127.0.0.1:9999/latest.json\"").is_ok());
}

#[test]
fn every_bad_value_of_a_file_is_reported() {
    let errors = ConfigLayer::parse("region = \"x\"\nloopback_port = 0\n").expect_err("bad");
    let at: Vec<_> = errors
        .iter()
        .map(|e| (e.line, e.field.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        at,
        [(1, "region".to_owned()), (2, "loopback_port".to_owned())]
    );
}

#[test]
fn system_fields_win_and_are_locked_user_fields_fill_in() {
    let system = ConfigLayer {
        region: Some(Region::EuWest1),
        demo: Some(false),
        ..ConfigLayer::default()
    };
    let user = ConfigLayer {
        region: Some(Region::UsEast1),
        client_id: Some("mine".into()),
        loopback_port: Some(9000),
        ..ConfigLayer::default()
    };
    let config = AdminConfig::from_layers(system, user);
    assert_eq!(config.region(), Some(Region::EuWest1));
    assert_eq!(config.client_id(), Some("mine"));
    assert_eq!(config.loopback_port(), 9000);
    assert!(!config.demo_offered());
    assert!(config.policy_enforcement_allowed());
    assert_eq!(config.update_endpoint(), None);
    assert_eq!(config.locked(), [Field::Region, Field::Demo]);
    assert_eq!(config.origin(Field::Region), Origin::System);
    assert_eq!(config.origin(Field::ClientId), Origin::User);
    assert_eq!(config.origin(Field::UpdateEndpoint), Origin::Default);
    assert!(!config.is_locked(Field::ClientId));
}

#[test]
fn no_files_mean_todays_behaviour() {
    let config = AdminConfig::default();
    assert_eq!(config.region(), None);
    assert_eq!(config.client_id(), None);
    assert_eq!(config.loopback_port(), DEFAULT_REDIRECT_PORT);
    assert!(config.demo_offered());
    assert!(config.policy_enforcement_allowed());
    assert!(config.locked().is_empty());
    assert!(config.problems().is_empty());
}

struct TempDir(PathBuf);
impl TempDir {
    fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir = std::env::temp_dir().join(format!(
            "bk-admin-config-{name}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write");
        path
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_broken_file_is_ignored_reported_and_left_untouched() {
    let dir = TempDir::new("broken");
    let broken = "region = \"eu_west_1\"\nclient_id = \"fleet\"\ndemo = maybe\n";
    let system = dir.write("system.toml", broken);
    let user = dir.write("user.toml", "client_id = \"mine\"\nloopback_port = 9001\n");
    let config = AdminConfig::load_from(ConfigLocations {
        system: Some(system.clone()),
        user: Some(user),
    });
    // The broken system file counts as absent: its fields neither apply nor lock.
    assert_eq!(config.region(), None);
    assert_eq!(config.client_id(), Some("mine"));
    assert_eq!(config.loopback_port(), 9001);
    assert!(config.locked().is_empty());
    let [problem] = config.problems() else {
        panic!("one problem expected: {:?}", config.problems());
    };
    assert_eq!(problem.scope, Scope::System);
    assert_eq!(problem.path, system);
    assert_eq!(problem.line, Some(3));
    assert_eq!(problem.field.as_deref(), Some("demo"));
    let shown = problem.to_string();
    assert!(
        shown.starts_with(&format!("{}, line 3, field `demo`: ", system.display())),
        "{shown}"
    );
    assert_eq!(
        std::fs::read_to_string(&system).expect("still there"),
        broken
    );
}

#[test]
fn missing_files_are_no_files_and_unreadable_ones_are_problems() {
    let dir = TempDir::new("missing");
    let config = AdminConfig::load_from(ConfigLocations {
        system: Some(dir.0.join("absent.toml")),
        user: None,
    });
    assert!(config.problems().is_empty());
    assert_eq!(
        config,
        AdminConfig {
            locations: config.locations().clone(),
            ..AdminConfig::default()
        }
    );

    // A folder where the file should be, and bytes that are not UTF-8.
    let binary = dir.write("binary.toml", "");
    std::fs::write(&binary, [0xff, 0xfe, 0x00]).expect("write");
    let config = AdminConfig::load_from(ConfigLocations {
        system: Some(dir.0.clone()),
        user: Some(binary.clone()),
    });
    let problems = config.problems();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert_eq!(problems[0].scope, Scope::System);
    assert!(
        problems[0].message.contains("cannot be read"),
        "{}",
        problems[0]
    );
    assert_eq!(problems[1].path, binary);
    assert!(problems[1].message.contains("UTF-8"), "{}", problems[1]);
}

#[test]
fn locations_follow_the_platform() {
    let system = system_config_path();
    assert!(system.ends_with(CONFIG_FILE_NAME));
    if cfg!(target_os = "linux") {
        assert_eq!(system, Path::new("/etc/bridgekeeper/config.toml"));
    }
    if let Some(user) = user_config_path() {
        assert!(user.ends_with(Path::new(USER_CONFIG_FOLDER).join(CONFIG_FILE_NAME)));
    }
}

#[test]
fn token_store_is_a_known_store_and_the_system_file_wins() {
    let e = parse_err("token_store = \"plaintext\"\n");
    assert_eq!(e.line, 1);
    assert_eq!(e.field.as_deref(), Some("token_store"));
    assert!(e.message.contains("kernel-keyring"), "{}", e.message);
    assert!(e.message.contains("never kept in a file"), "{}", e.message);
    assert_eq!(
        AdminConfig::default().token_store(),
        TokenStoreChoice::OsKeyring
    );
    let system = ConfigLayer::parse("token_store = \"kernel-keyring\"").expect("system");
    let user = ConfigLayer::parse("token_store = \"auto\"").expect("user");
    let config = AdminConfig::from_layers(system, user.clone());
    assert_eq!(config.token_store(), TokenStoreChoice::KernelKeyring);
    assert!(config.is_locked(Field::TokenStore));
    let config = AdminConfig::from_layers(ConfigLayer::default(), user);
    assert_eq!(config.token_store(), TokenStoreChoice::Auto);
}
