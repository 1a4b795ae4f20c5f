//! Where the client talks to: a Genesys region, or a custom base (the emulator).
//!
//! HTTPS is required everywhere except a loopback host (`127.0.0.0/8`, `localhost`, `::1`), which is
//! where the emulator runs; anything else over plain HTTP is refused with a clear error.

use std::fmt;
use std::str::FromStr;

use url::{Host, Url};

use crate::error::Error;

macro_rules! regions {
    ($($variant:ident => $name:literal, $domain:literal;)+) => {
        /// A Genesys Cloud region (the SDKs' region table); hosts derive from its domain.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Region {
            $(
                #[doc = concat!("`", $name, "` (", $domain, ")")]
                $variant,
            )+
        }

        impl Region {
            /// Every region, for a region picker.
            pub const ALL: &'static [Region] = &[$(Region::$variant),+];

            /// The SDK's region name, e.g. `us_east_1`: what configuration files store.
            pub fn name(self) -> &'static str {
                match self { $(Region::$variant => $name,)+ }
            }

            /// The region's domain, e.g. `mypurecloud.com`.
            pub fn domain(self) -> &'static str {
                match self { $(Region::$variant => $domain,)+ }
            }
        }
    };
}

regions! {
    UsEast1 => "us_east_1", "mypurecloud.com";
    EuWest1 => "eu_west_1", "mypurecloud.ie";
    ApSoutheast2 => "ap_southeast_2", "mypurecloud.com.au";
    ApNortheast1 => "ap_northeast_1", "mypurecloud.jp";
    EuCentral1 => "eu_central_1", "mypurecloud.de";
    UsWest2 => "us_west_2", "usw2.pure.cloud";
    CaCentral1 => "ca_central_1", "cac1.pure.cloud";
    ApNortheast2 => "ap_northeast_2", "apne2.pure.cloud";
    EuWest2 => "eu_west_2", "euw2.pure.cloud";
    ApSouth1 => "ap_south_1", "aps1.pure.cloud";
    UsEast2 => "us_east_2", "use2.us-gov-pure.cloud";
    SaEast1 => "sa_east_1", "sae1.pure.cloud";
    MeCentral1 => "me_central_1", "mec1.pure.cloud";
    ApNortheast3 => "ap_northeast_3", "apne3.pure.cloud";
    EuCentral2 => "eu_central_2", "euc2.pure.cloud";
    MxCentral1 => "mx_central_1", "mxc1.pure.cloud";
    ApSoutheast1 => "ap_southeast_1", "apse1.pure.cloud";
    EuscDeEast1 => "eusc_de_east_1", "edee1.eusc-pure.cloud";
}

impl Region {
    /// `https://api.{domain}`: REST.
    pub fn api_base(self) -> Url {
        host_url("https", "api", self.domain())
    }

    /// `https://login.{domain}`: OAuth authorize and token endpoints.
    pub fn login_base(self) -> Url {
        host_url("https", "login", self.domain())
    }

    /// `wss://streaming.{domain}`: where notification sockets live (the channel's `connectUri` is authoritative).
    pub fn streaming_base(self) -> Url {
        host_url("wss", "streaming", self.domain())
    }
}

fn host_url(scheme: &str, sub: &str, domain: &str) -> Url {
    // The inputs are compile-time constants from the table above; a failure is a bug in that table.
    Url::parse(&format!("{scheme}://{sub}.{domain}/")).expect("region table holds valid host names")
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Region {
    type Err = Error;

    /// Accepts the region name (`us_east_1`, `us-east-1`) or its domain (`mypurecloud.com`).
    fn from_str(text: &str) -> Result<Self, Error> {
        let wanted = text.trim().to_ascii_lowercase().replace('-', "_");
        Region::ALL
            .iter()
            .copied()
            .find(|r| r.name() == wanted || r.domain().replace('-', "_") == wanted)
            .ok_or_else(|| {
                Error::invalid_config(format!(
                    "unknown Genesys Cloud region {text:?}; expected one of: {}",
                    Region::ALL
                        .iter()
                        .map(|r| r.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
    }
}

/// Where the client connects: a real region, or a custom base such as the emulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Environment {
    /// A Genesys Cloud region: HTTPS to `api.` and `login.` hosts of its domain.
    Region(Region),
    /// A custom origin (`scheme://host[:port]`); the login base is the same origin. Plain HTTP only
    /// for loopback hosts. Build it with [`Environment::custom`] so it is validated early.
    Custom {
        /// The origin serving `/api/v2/...` and `/oauth/...`.
        api_base: Url,
    },
}

impl Environment {
    /// Parses and validates a custom base URL.
    pub fn custom(api_base: &str) -> Result<Self, Error> {
        let url = Url::parse(api_base.trim()).map_err(|e| {
            Error::invalid_config(format!("invalid API base URL {api_base:?}: {e}")).with_source(e)
        })?;
        let env = Environment::Custom { api_base: url };
        env.validate()?;
        Ok(env)
    }

    /// Checks the HTTPS/loopback rule and the origin shape; the client builder calls it again.
    pub fn validate(&self) -> Result<(), Error> {
        let Environment::Custom { api_base } = self else {
            return Ok(());
        };
        let shown = api_base.as_str();
        if api_base.cannot_be_a_base() || api_base.host().is_none() {
            return Err(Error::invalid_config(format!(
                "API base {shown:?} has no host"
            )));
        }
        if !api_base.username().is_empty() || api_base.password().is_some() {
            return Err(Error::invalid_config(
                "API base must not contain credentials",
            ));
        }
        if api_base.query().is_some() || api_base.fragment().is_some() || api_base.path() != "/" {
            return Err(Error::invalid_config(format!(
                "API base {shown:?} must be an origin (scheme://host[:port]) without path, query or fragment"
            )));
        }
        match api_base.scheme() {
            "https" => Ok(()),
            "http" if is_loopback(api_base) => Ok(()),
            "http" => Err(Error::invalid_config(format!(
                "plain http is only allowed for a loopback emulator (127.0.0.0/8, localhost, ::1); \
                 use https for {shown:?}"
            ))),
            other => Err(Error::invalid_config(format!(
                "API base {shown:?} has unsupported scheme {other:?}; use https (or http on loopback)"
            ))),
        }
    }

    /// Base for REST paths.
    pub fn api_base(&self) -> Url {
        match self {
            Environment::Region(r) => r.api_base(),
            Environment::Custom { api_base } => origin_of(api_base),
        }
    }

    /// Base for `/oauth/authorize` and `/oauth/token`: the region's login host, or the custom origin.
    pub fn login_base(&self) -> Url {
        match self {
            Environment::Region(r) => r.login_base(),
            Environment::Custom { api_base } => origin_of(api_base),
        }
    }

    /// True when traffic stays on this machine (plain HTTP allowed).
    pub fn is_loopback(&self) -> bool {
        match self {
            Environment::Region(_) => false,
            Environment::Custom { api_base } => is_loopback(api_base),
        }
    }
}

impl From<Region> for Environment {
    fn from(region: Region) -> Self {
        Environment::Region(region)
    }
}

fn origin_of(url: &Url) -> Url {
    let mut origin = url.clone();
    origin.set_path("/");
    origin.set_query(None);
    origin.set_fragment(None);
    origin
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn every_region_derives_hosts() {
        assert_eq!(Region::ALL.len(), 18);
        for r in Region::ALL {
            assert_eq!(
                r.api_base().as_str(),
                format!("https://api.{}/", r.domain())
            );
            assert_eq!(
                r.login_base().as_str(),
                format!("https://login.{}/", r.domain())
            );
            assert_eq!(
                r.streaming_base().as_str(),
                format!("wss://streaming.{}/", r.domain())
            );
            assert_eq!(r.name().parse::<Region>().unwrap(), *r);
            assert_eq!(r.domain().parse::<Region>().unwrap(), *r);
        }
        assert_eq!("eu-west-1".parse::<Region>().unwrap(), Region::EuWest1);
        let err = "mars_north_1".parse::<Region>().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert!(err.to_string().contains("us_east_1"));
    }

    #[test]
    fn loopback_http_is_allowed() {
        for base in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3:1",
            "http://localhost:9",
            "http://LOCALHOST",
            "http://[::1]:80/",
        ] {
            let env = Environment::custom(base).unwrap_or_else(|e| panic!("{base}: {e}"));
            assert!(env.is_loopback());
            assert_eq!(env.login_base(), env.api_base(), "login is the same origin");
        }
    }

    #[test]
    fn non_loopback_http_and_odd_urls_are_refused() {
        for base in [
            "http://10.0.0.5:8080",
            "http://api.mypurecloud.com",
            "http://localhost.evil.example",
            "http://127.0.0.1.nip.io",
            "http://[::2]",
            "ftp://127.0.0.1",
            "ws://127.0.0.1",
            "https://user:pw@example.com",
            "https://example.com/prefix",
            "https://example.com/?q=1",
            "not a url",
        ] {
            let err = Environment::custom(base).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{base}");
        }
        let err = Environment::custom("http://10.0.0.5").unwrap_err();
        assert!(err.to_string().contains("loopback"), "{err}");
        assert!(Environment::custom("https://genesys.internal.example:8443").is_ok());
    }

    #[test]
    fn hand_built_custom_is_validated_too() {
        let env = Environment::Custom {
            api_base: Url::parse("http://192.168.1.1").unwrap(),
        };
        assert!(env.validate().is_err());
    }
}
