// The IPC contract with the Rust side (src-tauri/src/commands/). Mirrors the Rust types by hand for now;
// the Rust IPC test (src-tauri/tests/ipc.rs) pins the JSON shape, so a drift fails there.

/** Where the demo organisation lives; present only when the app runs on the built-in emulator. */
export interface DemoInfo {
  /** The emulator's base URL (loopback, plain HTTP), e.g. `http://127.0.0.1:41234`. */
  baseUrl: string;
}

/** What the first screen shows: the version (for support) and which organisation this is. */
export interface AppInfo {
  version: string;
  demo: DemoInfo | null;
}

/** Error codes the Rust side sends (`IpcError.code`); the UI switches on these. */
export type BackendErrorCode = 'DemoUnavailable';

/** Codes the UI side adds when the call never reached (or never came back from) a command. */
export type LocalErrorCode = 'NotInDesktopApp' | 'Unexpected';

export type ErrorCode = BackendErrorCode | LocalErrorCode;

/**
 * Every command, its arguments and its result. `invoke` only accepts names from this map, so a typo or a
 * wrong argument shape is a type error rather than a runtime failure.
 */
export interface Commands {
  app_info: { args: undefined; result: AppInfo };
}

export type CommandName = keyof Commands;
