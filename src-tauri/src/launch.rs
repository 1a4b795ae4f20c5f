//! Command-line options of the desktop app (the few a supervisor or a script passes at launch).

use std::ffi::OsString;
use std::fmt;

/// What the app was asked to do at launch, parsed once so the rest of the app never reads argv.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LaunchOptions {
    /// Run on the built-in emulated organisation instead of a real Genesys Cloud org.
    pub demo: bool,
}

/// Why the command line was refused: named precisely so the user can fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaunchError {
    /// An option this version does not know (a typo, or a flag from a newer version).
    UnknownOption(String),
    /// An argument that is not valid Unicode, which no option of ours can be.
    NotUnicode(OsString),
}

impl fmt::Display for LaunchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownOption(option) => {
                write!(f, "unknown option '{option}' (try --help)")
            }
            Self::NotUnicode(arg) => write!(f, "argument {arg:?} is not valid Unicode"),
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
Usage: bridgekeeper [--demo]

Options:
  --demo    run on the built-in demo organisation (an emulated Genesys Cloud, no account needed)
  -h, --help  print this help and exit
";

impl Launch {
    /// Parses the arguments after the program name.
    pub fn parse<I>(args: I) -> Result<Self, LaunchError>
    where
        I: IntoIterator<Item = OsString>,
    {
        let mut options = LaunchOptions::default();
        for arg in args {
            let arg = arg.into_string().map_err(LaunchError::NotUnicode)?;
            match arg.as_str() {
                "--demo" => options.demo = true,
                "-h" | "--help" => return Ok(Self::Help),
                other => return Err(LaunchError::UnknownOption(other.to_owned())),
            }
        }
        Ok(Self::Run(options))
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
        assert_eq!(parse(&[]), Ok(Launch::Run(LaunchOptions { demo: false })));
    }

    #[test]
    fn demo_flag_selects_the_demo_org() {
        assert_eq!(
            parse(&["--demo"]),
            Ok(Launch::Run(LaunchOptions { demo: true }))
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
