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
    /** Genesys `ININ-Correlation-Id`, when the failure came from a Genesys call. */
    readonly correlationId?: string,
    /** For `RateLimited`: seconds to wait before retrying. */
    readonly retryAfterSecs?: number,
  ) {
    super(message);
  }
}

/** Every backend code; a `Record` so adding a code on the Rust side fails the type check here until listed. */
const BACKEND_CODES: Record<BackendErrorCode, true> = {
  NotSignedIn: true,
  SessionExpired: true,
  Forbidden: true,
  ParticipantGone: true,
  RateLimited: true,
  Unreachable: true,
  KeyringUnavailable: true,
  InvalidArgument: true,
  PortInUse: true,
  SignInFailed: true,
  PlanExpired: true,
  DemoUnavailable: true,
  UpdateFailed: true,
  Internal: true,
};

function isBackendCode(code: string): code is BackendErrorCode {
  return Object.hasOwn(BACKEND_CODES, code);
}

interface RawIpcError {
  code: string;
  message: string;
  correlationId?: string;
  retryAfterSecs?: number;
}

/** The Rust side rejects with `{ code, message, correlationId?, retryAfterSecs? }` (IpcError). */
function asIpcError(value: unknown): RawIpcError | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { code, message, correlationId, retryAfterSecs } = value as Record<string, unknown>;
  if (typeof code !== 'string' || typeof message !== 'string') return undefined;
  const error: RawIpcError = { code, message };
  if (typeof correlationId === 'string') error.correlationId = correlationId;
  if (typeof retryAfterSecs === 'number') error.retryAfterSecs = retryAfterSecs;
  return error;
}

/** Turns whatever the IPC layer rejected with into a `CommandError`, keeping the backend's code. */
export function toCommandError(command: CommandName, raw: unknown): CommandError {
  const ipc = asIpcError(raw);
  if (ipc) {
    // A code this UI does not know yet (a newer backend) still shows its message, and its code for support.
    return isBackendCode(ipc.code)
      ? new CommandError(command, ipc.code, ipc.message, ipc.correlationId, ipc.retryAfterSecs)
      : new CommandError(command, 'Unexpected', `${ipc.message} (${ipc.code})`, ipc.correlationId);
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

/** Any thrown value as a `CommandError` (components catch `unknown`). */
export function asCommandError(command: CommandName, error: unknown): CommandError {
  return error instanceof CommandError ? error : toCommandError(command, error);
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
