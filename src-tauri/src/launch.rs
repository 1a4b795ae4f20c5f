//! Command-line options of the desktop app (the few a supervisor or a script passes at launch).

use std::ffi::OsString;
use std::fmt;

use url::{Host, Url};

/// What the app was asked to do at launch, parsed once so the rest of the app never reads argv.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LaunchOptions {
    /// Run on the built-in emulated organisation instead of a real Genesys Cloud org.
    pub demo: bool,
    /// Size the demo org to this many live calls (load and memory measurements); implies `demo`.
    pub demo_calls: Option<usize>,
    /// The demo org is an emulator already running in another process at this origin
    /// (`http://127.0.0.1:PORT`, no trailing slash), so measurements of the app leave it out;
    /// implies `demo`.
    pub demo_url: Option<String>,
}

/// Why the command line was refused: named precisely so the user can fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaunchError {
    /// An option this version does not know (a typo, or a flag from a newer version).
    UnknownOption(String),
    /// An argument that is not valid Unicode, which no option of ours can be.
    NotUnicode(OsString),
    /// An option that needs a value got none or a bad one.
    BadValue {
        /// The option, e.g. `--demo-calls`.
        option: &'static str,
        /// What was given (empty when nothing was).
        given: String,
        /// What is expected instead.
        expected: &'static str,
    },
    /// Two options that cannot be used together.
    Conflict(&'static str, &'static str),
}

impl fmt::Display for LaunchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownOption(option) => {
                write!(f, "unknown option '{option}' (try --help)")
            }
            Self::NotUnicode(arg) => write!(f, "argument {arg:?} is not valid Unicode"),
            Self::BadValue {
                option,
                given,
                expected,
            } if given.is_empty() => write!(f, "{option} needs a value: {expected}"),
            Self::BadValue {
                option,
                given,
                expected,
            } => write!(f, "{option} '{given}' is not valid: {expected}"),
            Self::Conflict(a, b) => write!(f, "{a} and {b} cannot be used together"),
        }
    }
}

impl std::error::Error for LaunchError {}

/// What the launch should do: run the app, or only print something and exit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launch {
    /// Open the window with these options.
    Run(LaunchOptions),
    /// Print the usage text and exit successfully.
    Help,
}

/// Usage text for `--help`; kept next to the parser so the two cannot drift apart.
pub const USAGE: &str = "\
Usage: bridgekeeper [--demo] [--demo-calls N | --demo-url URL]

Options:
  --demo            run on the built-in demo organisation (an emulated Genesys Cloud, no account needed)
  --demo-calls N    the demo organisation with N live calls (1 to 20000), for load checks; implies --demo
  --demo-url URL    the demo organisation is a genesys-emulator already running in another process at
                    URL (loopback http, e.g. http://127.0.0.1:41234), for measuring the app alone;
                    implies --demo
  -h, --help        print this help and exit
";

impl Launch {
    /// Parses the arguments after the program name.
    pub fn parse<I>(args: I) -> Result<Self, LaunchError>
    where
        I: IntoIterator<Item = OsString>,
    {
        let mut options = LaunchOptions::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let arg = arg.into_string().map_err(LaunchError::NotUnicode)?;
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) if name.starts_with("--") => (name, Some(value.to_owned())),
                _ => (arg.as_str(), None),
            };
            match name {
                "--demo" if inline.is_none() => options.demo = true,
                "--demo-calls" => {
                    let value = value(inline, &mut args)?;
                    options.demo_calls = Some(parse_calls(&value)?);
                    options.demo = true;
                }
                "--demo-url" => {
                    let value = value(inline, &mut args)?;
                    options.demo_url = Some(parse_demo_url(&value)?);
                    options.demo = true;
                }
                "-h" | "--help" => return Ok(Self::Help),
                _ => return Err(LaunchError::UnknownOption(arg.clone())),
            }
        }
        if options.demo_calls.is_some() && options.demo_url.is_some() {
            // The calls of an emulator in another process are sized by its own --conversations.
            return Err(LaunchError::Conflict("--demo-calls", "--demo-url"));
        }
        Ok(Self::Run(options))
    }
}

/// An option's value: after `=`, else the next argument (empty when there is none).
fn value(
    inline: Option<String>,
    args: &mut impl Iterator<Item = OsString>,
) -> Result<String, LaunchError> {
    match inline {
        Some(v) => Ok(v),
        None => Ok(args
            .next()
            .map(|v| v.into_string().map_err(LaunchError::NotUnicode))
            .transpose()?
            .unwrap_or_default()),
    }
}

const DEMO_URL_EXPECTED: &str =
    "an emulator origin on loopback over plain http, e.g. http://127.0.0.1:41234";

/// The emulator's origin (`http://127.0.0.1:PORT`): plain http only on loopback (the app's own
/// rule for emulators), and nothing after the port, since the app adds the API and login paths.
fn parse_demo_url(value: &str) -> Result<String, LaunchError> {
    let bad = || LaunchError::BadValue {
        option: "--demo-url",
        given: value.to_owned(),
        expected: DEMO_URL_EXPECTED,
    };
    let url = Url::parse(value.trim()).map_err(|_| bad())?;
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    let bare = url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    if url.scheme() == "http" && loopback && bare {
        Ok(url.origin().ascii_serialization())
    } else {
        Err(bad())
    }
}

/// The most live calls the demo org is sized to: far past the 1,000 the app is measured at.
pub const MAX_DEMO_CALLS: usize = 20_000;

fn parse_calls(value: &str) -> Result<usize, LaunchError> {
    match value.parse::<usize>() {
        Ok(n) if (1..=MAX_DEMO_CALLS).contains(&n) => Ok(n),
        _ => Err(LaunchError::BadValue {
            option: "--demo-calls",
            given: value.to_owned(),
            expected: "a whole number from 1 to 20000",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Launch, LaunchError> {
        Launch::parse(args.iter().map(OsString::from))
    }

    #[test]
    fn no_arguments_runs_on_a_real_org() {
        assert_eq!(parse(&[]), Ok(Launch::Run(LaunchOptions::default())));
    }

    #[test]
    fn demo_flag_selects_the_demo_org() {
        assert_eq!(
            parse(&["--demo"]),
            Ok(Launch::Run(LaunchOptions {
                demo: true,
                ..LaunchOptions::default()
            }))
        );
    }

    #[test]
    fn demo_calls_sizes_the_demo_and_implies_it() {
        let want = Ok(Launch::Run(LaunchOptions {
            demo: true,
            demo_calls: Some(1000),
            demo_url: None,
        }));
        assert_eq!(parse(&["--demo-calls", "1000"]), want);
        assert_eq!(parse(&["--demo-calls=1000"]), want);
    }

    #[test]
    fn demo_calls_without_a_good_number_says_what_is_expected() {
        for (args, message) in [
            (
                &["--demo-calls"][..],
                "--demo-calls needs a value: a whole number from 1 to 20000",
            ),
            (
                &["--demo-calls", "lots"][..],
                "--demo-calls 'lots' is not valid: a whole number from 1 to 20000",
            ),
            (
                &["--demo-calls=0"][..],
                "--demo-calls '0' is not valid: a whole number from 1 to 20000",
            ),
            (
                &["--demo-calls", "20001"][..],
                "--demo-calls '20001' is not valid: a whole number from 1 to 20000",
            ),
        ] {
            assert_eq!(parse(args).unwrap_err().to_string(), message, "{args:?}");
        }
        assert_eq!(
            parse(&["--demo=yes"]),
            Err(LaunchError::UnknownOption("--demo=yes".into()))
        );
    }

    #[test]
    fn demo_url_names_an_emulator_in_another_process_and_implies_the_demo() {
        let want = |origin: &str| {
            Ok(Launch::Run(LaunchOptions {
                demo: true,
                demo_calls: None,
                demo_url: Some(origin.to_owned()),
            }))
        };
        assert_eq!(
            parse(&["--demo-url", "http://127.0.0.1:41234"]),
            want("http://127.0.0.1:41234")
        );
        // The form the emulator prints, with a trailing slash, or after `=`: the same origin.
        assert_eq!(
            parse(&["--demo-url=http://127.0.0.1:41234/"]),
            want("http://127.0.0.1:41234")
        );
        assert_eq!(
            parse(&["--demo-url", "http://LOCALHOST:9"]),
            want("http://localhost:9")
        );
        assert_eq!(
            parse(&["--demo-url", "http://[::1]:9"]),
            want("http://[::1]:9")
        );
        assert_eq!(
            parse(&["--demo-url", "http://127.1.2.3:9"]),
            want("http://127.1.2.3:9")
        );
    }

    #[test]
    fn demo_url_off_loopback_or_not_an_origin_says_what_is_expected() {
        let expected =
            "an emulator origin on loopback over plain http, e.g. http://127.0.0.1:41234";
        assert_eq!(
            parse(&["--demo-url"]).unwrap_err().to_string(),
            format!("--demo-url needs a value: {expected}")
        );
        for given in [
            "127.0.0.1:41234",
            "https://127.0.0.1:41234",
            "http://10.0.0.5:41234",
            "http://example.com:41234",
            "http://127.0.0.1:41234/api/v2",
            "http://127.0.0.1:41234/?x=1",
            "http://127.0.0.1:41234/#top",
            "http://user:pw@127.0.0.1:41234",
            "ws://127.0.0.1:41234",
            "not a url",
        ] {
            assert_eq!(
                parse(&["--demo-url", given]).unwrap_err().to_string(),
                format!("--demo-url '{given}' is not valid: {expected}"),
                "{given}"
            );
        }
    }

    #[test]
    fn demo_url_and_demo_calls_conflict() {
        for args in [
            &["--demo-calls", "5", "--demo-url", "http://127.0.0.1:9"][..],
            &["--demo-url=http://127.0.0.1:9", "--demo-calls=5"][..],
        ] {
            let error = parse(args).unwrap_err();
            assert_eq!(error, LaunchError::Conflict("--demo-calls", "--demo-url"));
            assert_eq!(
                error.to_string(),
                "--demo-calls and --demo-url cannot be used together"
            );
        }
        // A bad value is reported before the conflict, so the message names the real mistake.
        assert!(matches!(
            parse(&["--demo-calls", "5", "--demo-url", "https://127.0.0.1:9"]),
            Err(LaunchError::BadValue { .. })
        ));
    }

    #[test]
    fn help_wins_over_other_options() {
        assert_eq!(parse(&["--demo", "--help"]), Ok(Launch::Help));
    }

    #[test]
    fn unknown_option_is_named_in_the_error() {
        let error = parse(&["--demo", "--dmeo"]).unwrap_err();
        assert_eq!(error, LaunchError::UnknownOption("--dmeo".into()));
        assert_eq!(error.to_string(), "unknown option '--dmeo' (try --help)");
    }

    #[cfg(unix)]
    #[test]
    fn non_unicode_argument_is_an_error_not_a_panic() {
        use std::os::unix::ffi::OsStringExt;
        let bad = OsString::from_vec(vec![0x2d, 0x2d, 0xff]);
        let error = Launch::parse([bad.clone()]).unwrap_err();
        assert_eq!(error, LaunchError::NotUnicode(bad));
    }
}
