//! The desktop app's command surface, declared once.
//!
//! [`for_each_command!`] holds the list; everything else is generated from it:
//! - the Tauri handler and the thin command functions (`src-tauri/src/commands/mod.rs`),
//! - the `allow-<name>` permissions and the main window's permission set (`src-tauri/build.rs`),
//! - the IPC tests' list of commands (`src-tauri/tests/ipc.rs`, through [`COMMANDS`]),
//! - the UI's typed command map `ui/src/bindings/commands.ts` and the TypeScript types of every
//!   request and result (`supervisor-core`'s `ipc::bindings`, drift-checked like the other bindings).
//!
//! This crate has no dependencies so that the Tauri build script can read the list without
//! compiling the core. Type names are bare: each consumer brings `supervisor_core::ipc::contract`
//! into scope.
//!
//! An entry reads `name: edge fn(arg) -> Result;` where
//! - `edge` is `generated` (the Tauri function is generated and calls the app layer's use case of
//!   the same name) or `hand(area)` (written by hand in `src-tauri/src/commands/<area>.rs`,
//!   because it needs the Tauri host: the app handle, a channel, the demo organisation);
//! - `arg` is empty, `json request: Type` (one request object under `request`) or
//!   `channel on_event: Type` (a Tauri channel the command streams `Type` values on).

#![forbid(unsafe_code)]

/// Calls `$callback! { entries }` with every command; the one place a command is declared.
#[macro_export]
macro_rules! for_each_command {
    ($callback:ident) => {
        $callback! {
            /// The app's version and whether it runs on the demo organisation.
            app_info: hand(app) fn() -> AppInfo;
            /// Whether a newer signed version is offered (off unless an update endpoint is configured).
            update_check: hand(update) fn() -> UpdateCheckResponse;
            /// Downloads, verifies and installs the offered update; refused while an action is under way.
            update_install: hand(update) fn() -> UpdateInstallResponse;
            /// The admin-managed configuration: effective values, locked fields, ignored files.
            app_config: generated fn() -> AppConfigResponse;
            /// The session (resumed from the keyring at the first call), regions, remembered settings.
            session_info: hand(session) fn() -> SessionInfoResponse;
            /// Browser sign-in to a region (or a loopback emulator) with the organisation's client.
            sign_in: hand(session) fn(json request: SignInRequest) -> SignInResponse;
            /// Starts the demo organisation if needed and signs in through the same PKCE path.
            sign_in_demo: hand(session) fn() -> SignInResponse;
            /// Stops the board, revokes and forgets the session.
            sign_out: hand(session) fn() -> SignOutResponse;
            /// Which features the signed-in user's roles leave unavailable, and the permission for each.
            check_permissions: generated fn() -> PermissionCheckResponse;
            /// Queues whose name contains the filter, and the remembered selection.
            list_queues: generated fn(json request: ListQueuesRequest) -> ListQueuesResponse;
            /// The queues and people the board watches (remembered between runs).
            select_queues: generated fn(json request: SelectQueuesRequest) -> SelectQueuesResponse;
            /// The board now; its changes follow on the channel (a newer call replaces this one).
            roster_subscribe: hand(roster) fn(channel on_event: RosterEvent) -> RosterSnapshot;
            /// The whole board now (the UI asks after a sequence gap).
            roster_snapshot: generated fn() -> RosterSnapshot;
            /// The notification connection and the board's trust.
            connection_status: generated fn() -> ConnectionStatusResponse;
            /// Step one of a drop: who would be dropped and who remains; nothing is sent.
            plan_drop: generated fn(json request: PlanDropRequest) -> DropPlanView;
            /// Step two: carries out a reviewed plan once and reports the verified outcome.
            execute_drop: generated fn(json request: ExecuteDropRequest) -> ActionResult;
            /// Mutes (`on`) or unmutes a party and waits to see it.
            set_mute: generated fn(json request: SetFlagRequest) -> ActionResult;
            /// Holds (`on`) or resumes a party and waits to see it.
            set_hold: generated fn(json request: SetFlagRequest) -> ActionResult;
            /// What the detector finds on the board now ("Needs attention"), and the rules it cannot use.
            attention_list: generated fn() -> AttentionResponse;
            /// Ends a call that still shows with nobody on it, for everyone (system wrap-up); verified and audited.
            conversation_disconnect: generated fn(json request: DisconnectConversationRequest) -> DisconnectConversationResult;
            /// The policy page: the rules in force in words, the enforce switch, a dry-run preview (nothing sent).
            policy_view: generated fn() -> PolicyViewResponse;
            /// Switches the app's own policy enforcement on (after the page's confirmation) or off.
            policy_set_enforce: generated fn(json request: SetEnforceRequest) -> EnforceView;
            /// Audit records matching the filters, newest first.
            audit_list: generated fn(json request: AuditListRequest) -> AuditListResponse;
            /// Writes the matching audit records as CSV (Downloads folder) and says where.
            audit_export_csv: generated fn(json request: AuditExportRequest) -> AuditExportResponse;
        }
    };
}

/// How a command's Tauri function comes to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    /// Generated: it passes its request to the app layer's use case of the same name.
    Generated,
    /// Written by hand in `src-tauri/src/commands/<area>.rs` (it needs the Tauri host).
    Hand {
        /// The module under `src-tauri/src/commands/`.
        area: &'static str,
    },
}

/// How a command's one argument crosses IPC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// A JSON object the UI sends.
    Json,
    /// A Tauri channel on which the command streams values back.
    Channel,
}

/// A command's argument: its Rust name, how it crosses, its contract type's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arg {
    /// The Rust parameter name (`request`); the UI sends it in camelCase.
    pub name: &'static str,
    /// JSON object or channel.
    pub kind: ArgKind,
    /// The contract type (`PlanDropRequest`), or what the channel carries (`RosterEvent`).
    pub ty: &'static str,
}

/// One command as data, for build scripts, tests and generators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Command {
    /// The IPC name (`plan_drop`), also the `allow-plan-drop` permission's stem.
    pub name: &'static str,
    /// Its doc comment's lines.
    pub docs: &'static [&'static str],
    /// Generated or written by hand.
    pub edge: Edge,
    /// Its argument, if any.
    pub arg: Option<Arg>,
    /// The contract type it answers with (inside `Result<_, IpcError>`).
    pub result: &'static str,
}

impl Command {
    /// The permission that allows it (`allow-plan-drop`), as `tauri-build` names it.
    pub fn permission(&self) -> String {
        format!("allow-{}", self.name.replace('_', "-"))
    }
}

#[doc(hidden)]
#[macro_export]
macro_rules! __edge {
    (generated) => {
        $crate::Edge::Generated
    };
    (hand($area:ident)) => {
        $crate::Edge::Hand {
            area: stringify!($area),
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __arg {
    () => {
        None
    };
    (json $name:ident : $ty:ident) => {
        Some($crate::Arg {
            name: stringify!($name),
            kind: $crate::ArgKind::Json,
            ty: stringify!($ty),
        })
    };
    (channel $name:ident : $ty:ident) => {
        Some($crate::Arg {
            name: stringify!($name),
            kind: $crate::ArgKind::Channel,
            ty: stringify!($ty),
        })
    };
}

macro_rules! command_table {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident : $edge:ident $(($area:ident))? fn( $($arg:tt)* ) -> $result:ident ;
    )*) => {
        /// Every command, in the list's order.
        pub const COMMANDS: &[Command] = &[$(
            Command {
                name: stringify!($name),
                docs: &[$($doc.trim_ascii()),*],
                edge: __edge!($edge $(($area))?),
                arg: __arg!($($arg)*),
                result: stringify!($result),
            }
        ),*];
    };
}

for_each_command!(command_table);

/// The name of the permission set that grants the main window every command.
pub const MAIN_WINDOW_SET: &str = "main-window-commands";

/// The names of every command, in the list's order.
pub fn names() -> impl Iterator<Item = &'static str> {
    COMMANDS.iter().map(|c| c.name)
}

/// The permission set file (`src-tauri/permissions/main-window.toml`) the build script writes:
/// the main window's capability grants this one set, so a new command needs no capability edit.
pub fn main_window_permission_set() -> String {
    let mut out = String::from(
        "# Generated by src-tauri/build.rs from crates/ipc-commands. Do not edit this file manually.\n\n\
         [[set]]\n",
    );
    out.push_str(&format!("identifier = \"{MAIN_WINDOW_SET}\"\n"));
    out.push_str(
        "description = \"Every app command the main window's UI uses (the list in crates/ipc-commands).\"\n",
    );
    out.push_str("permissions = [\n");
    for command in COMMANDS {
        out.push_str(&format!("  \"{}\",\n", command.permission()));
    }
    out.push_str("]\n");
    out
}

/// `plan_drop` → `planDrop`: how the UI spells a Rust argument name (Tauri's rule).
pub fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_snake_case_and_documented() {
        let mut seen = std::collections::BTreeSet::new();
        for command in COMMANDS {
            assert!(seen.insert(command.name), "{} listed twice", command.name);
            assert!(
                command
                    .name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_'),
                "{} is not snake_case",
                command.name
            );
            assert!(
                !command.docs.is_empty() && command.docs.iter().all(|d| !d.is_empty()),
                "{} has no doc comment",
                command.name
            );
        }
        // Every entry written in the list above was read (none lost to a macro arm that did not match).
        let written = include_str!("lib.rs")
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()) && l.ends_with(';'))
            .filter(|l| l.contains(": generated fn(") || l.contains(": hand("))
            .count();
        assert!(written > 0);
        assert_eq!(seen.len(), written);
    }

    #[test]
    fn entries_are_read_as_written() {
        let find = |name: &str| COMMANDS.iter().find(|c| c.name == name).expect(name);
        let plan = find("plan_drop");
        assert_eq!(plan.edge, Edge::Generated);
        assert_eq!(
            plan.arg,
            Some(Arg {
                name: "request",
                kind: ArgKind::Json,
                ty: "PlanDropRequest"
            })
        );
        assert_eq!(plan.result, "DropPlanView");
        assert_eq!(plan.permission(), "allow-plan-drop");
        let subscribe = find("roster_subscribe");
        assert_eq!(subscribe.edge, Edge::Hand { area: "roster" });
        assert_eq!(subscribe.arg.map(|a| a.kind), Some(ArgKind::Channel));
        assert_eq!(find("app_info").arg, None);
    }

    #[test]
    fn the_permission_set_grants_every_command() {
        let set = main_window_permission_set();
        assert!(set.contains(&format!("identifier = \"{MAIN_WINDOW_SET}\"")));
        for command in COMMANDS {
            assert!(set.contains(&format!("\"{}\"", command.permission())));
        }
    }

    #[test]
    fn argument_names_become_camel_case() {
        assert_eq!(camel_case("on_event"), "onEvent");
        assert_eq!(camel_case("request"), "request");
        assert_eq!(camel_case("a_b_c"), "aBC");
    }
}
