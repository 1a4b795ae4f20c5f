//! How an environment is named in the token store, which environments sign-in accepts, and the one
//! "region or API base" rule both the desktop and the CLI apply to what people type.

use genesys_client::{Environment, Region};

use super::error::AuthError;

/// The stored name of an environment: the region name (`us_east_1`) or the custom origin.
pub fn environment_label(environment: &Environment) -> String {
    match environment {
        Environment::Region(region) => region.name().to_owned(),
        other => other.api_base().as_str().to_owned(),
    }
}

/// Reads back a stored environment name.
pub(crate) fn parse_environment(label: &str) -> Result<Environment, AuthError> {
    if let Ok(region) = label.parse::<Region>() {
        return Ok(Environment::Region(region));
    }
    let env = Environment::custom(label).map_err(|e| AuthError::InvalidConfig {
        reason: format!("stored environment is not usable: {e}"),
        source: Some(e),
    })?;
    check_allowed(&env)?;
    Ok(env)
}

/// Regions (HTTPS to Genesys hosts) are always allowed; an explicit API base only when it is a
/// loopback emulator (security bar: HTTPS to the region's hosts, plain HTTP only to loopback).
pub(crate) fn check_allowed(environment: &Environment) -> Result<(), AuthError> {
    environment
        .validate()
        .map_err(|e| AuthError::InvalidConfig {
            reason: e.to_string(),
            source: Some(e),
        })?;
    match environment {
        Environment::Region(_) => Ok(()),
        other if other.is_loopback() => Ok(()),
        other => Err(AuthError::InvalidConfig {
            reason: format!(
                "an explicit API base is only allowed for a local emulator on this computer \
                 (http://127.0.0.1:PORT), not {}; choose a Genesys Cloud region instead",
                other.api_base()
            ),
            source: None,
        }),
    }
}

/// Why a "region or API base" choice is refused; each client words it for its own people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EnvironmentChoiceError {
    /// Both a region and an API base were given.
    #[error("choose either a region or an API base, not both")]
    Both,
    /// The region name is not one the client knows.
    #[error("{name:?} is not a known region: {reason}")]
    UnknownRegion {
        /// What was typed.
        name: String,
        /// The parser's reason (it lists the known names).
        reason: String,
    },
    /// The API base is not a usable URL.
    #[error("the API base {base:?} is not usable: {reason}")]
    UnusableBase {
        /// What was typed.
        base: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// The API base is not a loopback emulator (plain or remote hosts are never allowed).
    #[error("the API base {base} is not a local emulator on this computer")]
    RemoteBase {
        /// What was typed.
        base: String,
    },
}

/// The one "region or API base" rule: blank means not given, at most one of the two, a region by
/// name or domain, an API base only for a loopback emulator. `Ok(None)` when neither is given.
pub fn choose_environment(
    region: Option<&str>,
    api_base: Option<&str>,
) -> Result<Option<Environment>, EnvironmentChoiceError> {
    let region = region.map(str::trim).filter(|s| !s.is_empty());
    let base = api_base.map(str::trim).filter(|s| !s.is_empty());
    match (region, base) {
        (Some(_), Some(_)) => Err(EnvironmentChoiceError::Both),
        (None, None) => Ok(None),
        (Some(name), None) => name
            .parse::<Region>()
            .map(|r| Some(Environment::Region(r)))
            .map_err(|e| EnvironmentChoiceError::UnknownRegion {
                name: name.to_owned(),
                reason: e.to_string(),
            }),
        (None, Some(base)) => {
            let env =
                Environment::custom(base).map_err(|e| EnvironmentChoiceError::UnusableBase {
                    base: base.to_owned(),
                    reason: e.to_string(),
                })?;
            if !env.is_loopback() {
                return Err(EnvironmentChoiceError::RemoteBase {
                    base: base.to_owned(),
                });
            }
            Ok(Some(env))
        }
    }
}

/// The other way round: the region name or the API base (no trailing slash) that names
/// `environment` in a remembered sign-in, for [`choose_environment`] to read back.
pub fn environment_choice(environment: &Environment) -> (Option<String>, Option<String>) {
    match environment {
        Environment::Region(r) => (Some(r.name().to_owned()), None),
        other => (
            None,
            Some(other.api_base().as_str().trim_end_matches('/').to_owned()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rule_for_region_or_api_base() {
        assert_eq!(
            choose_environment(Some("eu_west_1"), None),
            Ok(Some(Environment::Region(Region::EuWest1)))
        );
        assert_eq!(
            choose_environment(Some(" mypurecloud.ie "), Some(" ")),
            Ok(Some(Environment::Region(Region::EuWest1)))
        );
        assert_eq!(choose_environment(Some(" "), None), Ok(None));
        assert!(matches!(
            choose_environment(Some("mars_1"), None),
            Err(EnvironmentChoiceError::UnknownRegion { .. })
        ));
        assert_eq!(
            choose_environment(Some("us_east_1"), Some("http://127.0.0.1:1")),
            Err(EnvironmentChoiceError::Both)
        );
        let emu = choose_environment(None, Some("http://127.0.0.1:9000"))
            .expect("loopback")
            .expect("given");
        assert_eq!(
            environment_choice(&emu),
            (None, Some("http://127.0.0.1:9000".to_owned()))
        );
        assert_eq!(
            environment_choice(&Environment::Region(Region::UsEast1)),
            (Some("us_east_1".to_owned()), None)
        );
        for remote in ["https://api.example.com", "http://10.1.2.3:80"] {
            assert!(
                matches!(
                    choose_environment(None, Some(remote)),
                    Err(EnvironmentChoiceError::RemoteBase { .. })
                        | Err(EnvironmentChoiceError::UnusableBase { .. })
                ),
                "{remote}"
            );
        }
    }

    #[test]
    fn labels_round_trip_and_only_loopback_custom_bases_are_allowed() {
        let region = Environment::Region(Region::EuWest1);
        assert_eq!(environment_label(&region), "eu_west_1");
        assert_eq!(parse_environment("eu_west_1").expect("region"), region);
        let emu = Environment::custom("http://127.0.0.1:4321").expect("emu");
        assert_eq!(environment_label(&emu), "http://127.0.0.1:4321/");
        assert_eq!(
            parse_environment("http://127.0.0.1:4321/").expect("emu"),
            emu
        );
        assert!(check_allowed(&emu).is_ok());
        let remote = Environment::custom("https://genesys.example.com").expect("valid url");
        let err = check_allowed(&remote).expect_err("remote custom base");
        assert!(err.to_string().contains("local emulator"), "{err}");
        assert!(parse_environment("http://10.0.0.1:80").is_err());
        assert!(parse_environment("mars_north_1").is_err());
    }

    #[test]
    fn an_unusable_stored_environment_keeps_the_url_error_in_its_chain() {
        use std::error::Error as _;
        let err = parse_environment("no url here").expect_err("not a region, not a URL");
        assert!(matches!(err, AuthError::InvalidConfig { .. }), "{err}");
        let client = err
            .source()
            .and_then(|s| s.downcast_ref::<genesys_client::Error>())
            .expect("the client's refusal is the source");
        assert_eq!(client.kind(), genesys_client::ErrorKind::InvalidConfig);
        assert!(
            client
                .source()
                .is_some_and(|s| s.downcast_ref::<url::ParseError>().is_some()),
            "the URL parser's error is below the client's"
        );
    }
}
