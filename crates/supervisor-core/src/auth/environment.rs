//! How an environment is named in the token store, and which environments sign-in accepts.

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
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
