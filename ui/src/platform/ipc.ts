import { invoke as tauriInvoke, isTauri as tauriIsTauri } from '@tauri-apps/api/core';
import type { BackendErrorCode, CommandName, Commands, ErrorCode } from './types';

/** True inside the desktop app; false in a plain browser (for example `npm run dev` opened directly). */
export function isTauri(): boolean {
  return tauriIsTauri();
}

/** A command failed. `code` is stable (switch on it); `message` is written for people. */
export class CommandError extends Error {
  override readonly name = 'CommandError';

  constructor(
    readonly command: CommandName,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const BACKEND_CODES: ReadonlySet<string> = new Set<BackendErrorCode>(['DemoUnavailable']);

function isBackendCode(code: string): code is BackendErrorCode {
  return BACKEND_CODES.has(code);
}

/** The Rust side rejects with `{ code, message }` (src-tauri/src/error.rs). */
function asIpcError(value: unknown): { code: string; message: string } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { code, message } = value as Record<string, unknown>;
  return typeof code === 'string' && typeof message === 'string' ? { code, message } : undefined;
}

/** Turns whatever the IPC layer rejected with into a `CommandError`, keeping the backend's code. */
export function toCommandError(command: CommandName, raw: unknown): CommandError {
  const ipc = asIpcError(raw);
  if (ipc) {
    // A code this UI does not know yet (a newer backend) still shows its message, and its code for support.
    return isBackendCode(ipc.code)
      ? new CommandError(command, ipc.code, ipc.message)
      : new CommandError(command, 'Unexpected', `${ipc.message} (${ipc.code})`);
  }
  if (!isTauri() && raw instanceof TypeError) {
    return new CommandError(
      command,
      'NotInDesktopApp',
      'This page is running in a plain browser, where the app’s commands are unavailable. Open the Bridgekeeper desktop app instead.',
    );
  }
  const detail = raw instanceof Error ? raw.message : typeof raw === 'string' ? raw : JSON.stringify(raw);
  return new CommandError(command, 'Unexpected', `The app could not run “${command}”: ${detail}`);
}

type ArgsOf<K extends CommandName> = Commands[K]['args'] extends undefined ? [] : [Commands[K]['args']];

/** The only way the UI calls Rust: typed by `Commands`, and every failure is a `CommandError`. */
export async function invoke<K extends CommandName>(command: K, ...args: ArgsOf<K>): Promise<Commands[K]['result']> {
  try {
    return await tauriInvoke<Commands[K]['result']>(command, args[0]);
  } catch (raw) {
    throw toCommandError(command, raw);
  }
}
