// The IPC contract with the Rust side, all generated into ../bindings: the argument and result types
// from Rust (crates/supervisor-core/src/ipc, via ts-rs) and the `Commands` map (which command takes and
// returns which, so `invoke` is typed end to end) from the command list in crates/ipc-commands.
import type { ErrorCode as BackendErrorCode } from '../bindings';

export type * from '../bindings';
export type { BackendErrorCode };

/** Codes the UI side adds when the call never reached (or never came back from) a command. */
export type LocalErrorCode = 'NotInDesktopApp' | 'Unexpected';

export type ErrorCode = BackendErrorCode | LocalErrorCode;
