//! The IPC commands, from the one list in `crates/ipc-commands`.
//!
//! A command marked `generated` there gets its Tauri function here: it passes its request to the app
//! layer's use case of the same name and hands back the answer or the coded `IpcError`. A command marked
//! `hand(area)` needs the Tauri host (the app handle, a channel, the demo organisation) and is written in
//! `<area>.rs`. [`handler`] registers every listed command, so nothing else names them. Request and
//! response types live in `supervisor_core::ipc`, from which the UI's TypeScript is generated.

pub mod app;
pub mod roster;
pub mod session;
pub mod update;

use crate::error::IpcError;
use crate::state::AppState;
#[allow(unused_imports)] // Which contract types are used depends on the list.
use supervisor_core::ipc::contract::*;
use tauri::State;

/// One generated command: `generated` entries become functions, `hand` entries exist already.
macro_rules! generated_command {
    (hand [$($doc:literal)*] $name:ident $args:tt -> $result:ident) => {};
    (generated [$($doc:literal)*] $name:ident () -> $result:ident) => {
        $(#[doc = $doc])*
        #[tauri::command]
        async fn $name(state: State<'_, AppState>) -> Result<$result, IpcError> {
            state.desktop().$name().await
        }
    };
    (generated [$($doc:literal)*] $name:ident (json $arg:ident : $ty:ident) -> $result:ident) => {
        $(#[doc = $doc])*
        #[tauri::command]
        async fn $name(state: State<'_, AppState>, $arg: $ty) -> Result<$result, IpcError> {
            state.desktop().$name($arg).await
        }
    };
}

macro_rules! generated_commands {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident : $edge:ident $(($area:ident))? fn $args:tt -> $result:ident ;
    )*) => {
        $( generated_command!($edge [$($doc)*] $name $args -> $result); )*
    };
}

ipc_commands::for_each_command!(generated_commands);

/// Builds `tauri::generate_handler![...]` over every listed command (`area::name` for hand-written ones).
macro_rules! handler_of {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident : $edge:ident $(($area:ident))? fn $args:tt -> $result:ident ;
    )*) => {
        handler_of!(@paths [] $( [$edge $(($area))? $name] )*)
    };
    (@paths [$($path:tt)*]) => {
        tauri::generate_handler![$($path)*]
    };
    (@paths [$($path:tt)*] [generated $name:ident] $($rest:tt)*) => {
        handler_of!(@paths [$($path)* $name,] $($rest)*)
    };
    (@paths [$($path:tt)*] [hand($area:ident) $name:ident] $($rest:tt)*) => {
        handler_of!(@paths [$($path)* $area::$name,] $($rest)*)
    };
}

/// The invoke handler for every command on the list, for a builder of any runtime.
pub fn handler<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static
{
    ipc_commands::for_each_command!(handler_of)
}
