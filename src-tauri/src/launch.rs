//! Command-line options of the desktop app (the few a supervisor or a script passes at launch).

use std::ffi::OsString;
use std::fmt;

/// What the app was asked to do at launch, parsed once so the rest of the app never reads argv.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LaunchOptions {
    /// Run on the built-in emulated organisation instead of a real Genesys Cloud org.
    pub demo: bool,
    /// Size the demo org to this many live calls (load and memory measurements); implies `demo`.
    pub demo_calls: Option<usize>,
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
Usage: bridgekeeper [--demo] [--demo-calls N]

Options:
  --demo            run on the built-in demo organisation (an emulated Genesys Cloud, no account needed)
  --demo-calls N    the demo organisation with N live calls (1 to 20000), for load checks; implies --demo
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
                    let value = match inline {
                        Some(v) => v,
                        None => args
                            .next()
                            .map(|v| v.into_string().map_err(LaunchError::NotUnicode))
                            .transpose()?
                            .unwrap_or_default(),
                    };
                    options.demo_calls = Some(parse_calls(&value)?);
                    options.demo = true;
                }
                "-h" | "--help" => return Ok(Self::Help),
                _ => return Err(LaunchError::UnknownOption(arg.clone())),
            }
        }
        Ok(Self::Run(options))
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
                demo_calls: None
            }))
        );
    }

    #[test]
    fn demo_calls_sizes_the_demo_and_implies_it() {
        let want = Ok(Launch::Run(LaunchOptions {
            demo: true,
            demo_calls: Some(1000),
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
