//! The command line surface, declared once with clap derive so help, parsing and tests agree.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use supervisor_core::token_store::TokenStoreChoice;

/// Bridgekeeper for operations staff and scripts: the desktop app's core on the command line.
#[derive(Debug, Parser)]
#[command(
    name = "bridgekeeper-cli",
    version,
    about = "Drop one party from a live Genesys Cloud conference, and know it happened",
    long_about = "Drop, mute or hold one party of a live Genesys Cloud call and report whether it \
                  really happened (confirmed, not confirmed, refused, already gone).\n\n\
                  Exit codes: 0 confirmed or already gone (or success), 1 any other failure, \
                  2 refused by Genesys Cloud, 3 accepted but not confirmed."
)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Where to connect and how to print; every command accepts these before or after its name.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Genesys Cloud region by name (us_east_1, eu_west_1, ...; also its domain, mypurecloud.ie).
    #[arg(
        long,
        global = true,
        env = "BRIDGEKEEPER_REGION",
        value_name = "REGION",
        conflicts_with = "api_base"
    )]
    pub region: Option<String>,

    /// Explicit API base; only a local emulator over http on loopback (http://127.0.0.1:PORT).
    #[arg(long, global = true, env = "BRIDGEKEEPER_API_BASE", value_name = "URL")]
    pub api_base: Option<String>,

    /// OAuth client id (default: the one used by the last `login`).
    #[arg(long, global = true, env = "BRIDGEKEEPER_CLIENT_ID", value_name = "ID")]
    pub client_id: Option<String>,

    /// Print JSON instead of aligned text (listings, sessions and action outcomes).
    #[arg(long, global = true)]
    pub json: bool,

    /// Audit log file (default: <data dir>/audit.jsonl, shared with the desktop app).
    #[arg(
        long,
        global = true,
        env = "BRIDGEKEEPER_AUDIT_FILE",
        value_name = "PATH"
    )]
    pub audit_file: Option<PathBuf>,

    /// Folder for the audit log and the last sign-in's (non-secret) settings in prefs.json
    /// (default: the desktop app's folders: audit log in the OS app-data folder
    /// io.bridgekeeper.desktop, prefs.json in the OS config folder of the same name).
    #[arg(long, global = true, env = "BRIDGEKEEPER_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Where sessions are kept: os-keyring (Secret Service, Keychain, Credential Manager),
    /// kernel-keyring (Linux, for a server without a Secret Service) or auto (the first that
    /// works, named in the output). Default: the configuration's `token_store`, else os-keyring.
    /// Never a file.
    #[arg(
        long,
        global = true,
        env = "BRIDGEKEEPER_TOKEN_STORE",
        value_name = "STORE",
        value_parser = parse_token_store
    )]
    pub token_store: Option<TokenStoreChoice>,
}

fn parse_token_store(text: &str) -> Result<TokenStoreChoice, String> {
    text.parse()
}

/// The commands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Sign in through the browser (PKCE, or a confidential client with its secret); `--service`
    /// signs a headless service in once.
    Login(LoginArgs),
    /// Revoke the session's token and remove it from the token store.
    Logout,
    /// Show the signed-in user, the environment and whether drops are permitted.
    Whoami,
    /// List queues (to pick names for `calls` and `watch`).
    Queues(QueuesArgs),
    /// List active calls on queues with their parties; ended and duplicate legs are marked.
    Calls(QueueSelection),
    /// Disconnect one party and confirm that it left while the others stayed.
    Drop(DropArgs),
    /// Mute one party.
    Mute(PartyArgs),
    /// Unmute one party.
    Unmute(PartyArgs),
    /// Put one party on hold.
    Hold(PartyArgs),
    /// Take one party off hold.
    Unhold(PartyArgs),
    /// Print live changes on queues, one line (or JSON object) per change, until Ctrl-C.
    Watch(QueueSelection),
    /// Show the audit log of actions (or export it as CSV).
    Audit(AuditArgs),
    /// Check (and run) a stale/idle-leg policy file.
    Policy(crate::commands::policy::PolicyArgs),
}

/// `login`.
#[derive(Debug, Clone, Args)]
pub struct LoginArgs {
    /// Loopback port of the redirect URI registered on the OAuth client
    /// (http://localhost:PORT/oauth/callback); 0 picks a free port (emulator only). Default: the
    /// configuration file's `loopback_port`, else 8765.
    #[arg(long, default_value_t = supervisor_core::admin_config::AdminConfig::load().loopback_port(), value_name = "PORT")]
    pub redirect_port: u16,

    /// Do not open the system browser; only print the address to open.
    #[arg(long)]
    pub no_browser: bool,

    /// Read a confidential client's secret from the first line of stdin (it is kept in the
    /// keyring, never on disk in the clear).
    #[arg(long)]
    pub client_secret_stdin: bool,

    /// Read a confidential client's secret from the first line of this file, e.g. a systemd
    /// credential ($CREDENTIALS_DIRECTORY/NAME) or an inherited descriptor (/dev/fd/3).
    #[arg(long, value_name = "PATH", conflicts_with = "client_secret_stdin")]
    pub client_secret_file: Option<PathBuf>,

    /// Sign in once for a service (a headless `policy run`): a confidential client whose secret
    /// comes from the environment variable BRIDGEKEEPER_CLIENT_SECRET, --client-secret-file or
    /// --client-secret-stdin (never the command line). Opens no browser: open the printed
    /// address anywhere, then either reach this machine's redirect port (ssh -L) or paste the
    /// address the browser was sent to back here. Later commands renew the session themselves.
    #[arg(long)]
    pub service: bool,

    /// Pre-fill the login page with this account (email, or email:orgName).
    #[arg(long, value_name = "HINT")]
    pub login_hint: Option<String>,

    /// Give up when the browser has not come back after this many seconds.
    #[arg(long, default_value_t = 300, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
}

/// `queues`.
#[derive(Debug, Clone, Args)]
pub struct QueuesArgs {
    /// Only queues whose name contains this text (case-insensitive; `*` for explicit wildcards).
    #[arg(long, value_name = "FILTER")]
    pub name: Option<String>,
}

/// The queues and people to look at: queues by exact name or id, people by user id (`me` for
/// yourself). Bridges dialled directly carry no queue and show only through the people on them.
#[derive(Debug, Clone, Args)]
#[group(id = "watched", required = true, multiple = true, args = ["queues", "users"])]
pub struct QueueSelection {
    /// Queue name (exact, case-insensitive) or queue id; repeat or separate with commas.
    #[arg(long = "queue", short = 'q', num_args = 1.., value_delimiter = ',', value_name = "NAME_OR_ID")]
    pub queues: Vec<String>,
    /// A person whose calls to watch as well: a Genesys user id, or `me`; repeat or use commas.
    #[arg(long = "user", short = 'u', num_args = 1.., value_delimiter = ',', value_name = "USER_ID|me")]
    pub users: Vec<String>,
}

/// A party of a call.
#[derive(Debug, Clone, Args)]
pub struct PartyArgs {
    /// Conversation id.
    #[arg(value_name = "CONVERSATION")]
    pub conversation: String,

    /// Participant id (as listed by `calls`).
    #[arg(value_name = "PARTICIPANT")]
    pub participant: String,

    /// How long to wait for confirmation before reporting "not confirmed".
    #[arg(long, default_value_t = 10, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=600))]
    pub wait: u64,
}

/// `drop`.
#[derive(Debug, Clone, Args)]
pub struct DropArgs {
    /// The party to drop.
    #[command(flatten)]
    pub party: PartyArgs,

    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// `audit`.
#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    /// Export every record as CSV (RFC 4180, spreadsheet-safe) instead of a table.
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("bridgekeeper-cli").chain(args.iter().copied()))
    }

    #[test]
    fn the_clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn login_defaults_and_flags() {
        let cli = parse(&[
            "--region",
            "eu_west_1",
            "login",
            "--client-id",
            "abc",
            "--no-browser",
        ])
        .expect("parses");
        assert_eq!(cli.global.region.as_deref(), Some("eu_west_1"));
        assert_eq!(cli.global.client_id.as_deref(), Some("abc"));
        let Command::Login(login) = cli.command else {
            panic!("not login: {:?}", cli.command)
        };
        assert_eq!(login.redirect_port, 8765);
        assert!(login.no_browser);
        assert!(!login.client_secret_stdin);
        assert_eq!(login.timeout, 300);

        let cli =
            parse(&["login", "--client-secret-stdin", "--redirect-port", "0"]).expect("parses");
        let Command::Login(login) = cli.command else {
            panic!("not login")
        };
        assert_eq!(login.redirect_port, 0);
        assert!(login.client_secret_stdin);
        assert!(parse(&["login", "--redirect-port", "70000"]).is_err());

        let cli = parse(&[
            "login",
            "--service",
            "--client-secret-file",
            "/run/credentials/bk/secret",
            "--token-store",
            "kernel-keyring",
        ])
        .expect("parses");
        assert_eq!(
            cli.global.token_store,
            Some(supervisor_core::token_store::TokenStoreChoice::KernelKeyring)
        );
        let Command::Login(login) = cli.command else {
            panic!("not login")
        };
        assert!(login.service && !login.client_secret_stdin);
        assert_eq!(
            login.client_secret_file.as_deref(),
            Some(std::path::Path::new("/run/credentials/bk/secret"))
        );
        // One source of the secret; no way to give the secret itself as an argument.
        assert!(
            parse(&[
                "login",
                "--client-secret-stdin",
                "--client-secret-file",
                "f"
            ])
            .is_err()
        );
        assert!(parse(&["login", "--client-secret", "s"]).is_err());
        let err = parse(&["whoami", "--token-store", "plaintext-file"]).expect_err("no file store");
        assert!(err.to_string().contains("kernel-keyring"), "{err}");
    }

    #[test]
    fn region_and_api_base_are_exclusive_and_globals_work_after_the_command() {
        let err = parse(&[
            "--region",
            "us_east_1",
            "--api-base",
            "http://127.0.0.1:1",
            "whoami",
        ])
        .expect_err("both");
        assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
        let cli = parse(&["whoami", "--json", "--api-base", "http://127.0.0.1:9"]).expect("parses");
        assert!(cli.global.json);
        assert_eq!(cli.global.api_base.as_deref(), Some("http://127.0.0.1:9"));
        assert!(matches!(cli.command, Command::Whoami));
    }

    #[test]
    fn calls_and_watch_need_at_least_one_queue_and_accept_lists() {
        assert!(parse(&["calls"]).is_err());
        let cli =
            parse(&["calls", "--queue", "Support", "--queue", "Billing,Sales"]).expect("parses");
        let Command::Calls(sel) = cli.command else {
            panic!("not calls")
        };
        assert_eq!(sel.queues, ["Support", "Billing", "Sales"]);
        let cli = parse(&["watch", "-q", "Support", "Sales"]).expect("parses");
        let Command::Watch(sel) = cli.command else {
            panic!("not watch")
        };
        assert_eq!(sel.queues, ["Support", "Sales"]);
        let cli = parse(&["calls", "--user", "me,u-2"]).expect("people alone are enough");
        let Command::Calls(sel) = cli.command else {
            panic!("not calls")
        };
        assert!(sel.queues.is_empty());
        assert_eq!(sel.users, ["me", "u-2"]);
    }

    #[test]
    fn drop_takes_two_ids_and_options() {
        let cli =
            parse(&["drop", "conv-1", "part-2", "--wait", "3", "--yes", "--json"]).expect("parses");
        assert!(cli.global.json);
        let Command::Drop(d) = cli.command else {
            panic!("not drop")
        };
        assert_eq!(d.party.conversation, "conv-1");
        assert_eq!(d.party.participant, "part-2");
        assert_eq!(d.party.wait, 3);
        assert!(d.yes);
        assert!(
            parse(&["drop", "conv-1"]).is_err(),
            "participant is required"
        );
        assert!(
            parse(&["drop", "c", "p", "--wait", "0"]).is_err(),
            "wait must be positive"
        );
        let cli = parse(&["drop", "c", "p"]).expect("parses");
        let Command::Drop(d) = cli.command else {
            panic!("not drop")
        };
        assert!(!d.yes);
        assert_eq!(d.party.wait, 10);
    }

    #[test]
    fn mute_unmute_hold_unhold_take_a_party() {
        for (name, check) in [
            (
                "mute",
                (|c: &Command| matches!(c, Command::Mute(_))) as fn(&Command) -> bool,
            ),
            ("unmute", |c| matches!(c, Command::Unmute(_))),
            ("hold", |c| matches!(c, Command::Hold(_))),
            ("unhold", |c| matches!(c, Command::Unhold(_))),
        ] {
            let cli = parse(&[name, "c", "p"]).expect(name);
            assert!(check(&cli.command), "{name}");
            assert!(parse(&[name, "c"]).is_err(), "{name} without participant");
            assert!(
                parse(&[name, "c", "p", "--yes"]).is_err(),
                "{name} has no --yes"
            );
        }
    }

    #[test]
    fn audit_csv_and_json_conflict() {
        let cli = parse(&["audit", "--csv"]).expect("parses");
        let Command::Audit(a) = cli.command else {
            panic!("not audit")
        };
        assert!(a.csv);
        assert!(parse(&["audit", "--csv", "--json"]).is_err());
    }

    #[test]
    fn unknown_commands_and_flags_are_errors() {
        assert!(parse(&[]).is_err());
        assert!(parse(&["dropp", "c", "p"]).is_err());
        assert!(parse(&["queues", "--nmae", "x"]).is_err());
    }
}
