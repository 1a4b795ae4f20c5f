// The IPC contract with the Rust side. Argument and result types are generated from Rust
// (crates/supervisor-core/src/ipc, via ts-rs) into ../bindings; this file only says which command takes
// and returns which, so `invoke` is typed end to end.
import type { Channel } from '@tauri-apps/api/core';
import type {
  ActionResult,
  AppInfo,
  AuditExportRequest,
  AuditExportResponse,
  AuditListRequest,
  AuditListResponse,
  ConnectionStatusResponse,
  DropPlanView,
  ErrorCode as BackendErrorCode,
  ExecuteDropRequest,
  ListQueuesRequest,
  ListQueuesResponse,
  PlanDropRequest,
  RosterEvent,
  RosterSnapshot,
  SelectQueuesRequest,
  SelectQueuesResponse,
  SessionInfoResponse,
  SetFlagRequest,
  SignInRequest,
  SignInResponse,
  SignOutResponse,
} from '../bindings';

export type * from '../bindings';
export type { BackendErrorCode };

/** Codes the UI side adds when the call never reached (or never came back from) a command. */
export type LocalErrorCode = 'NotInDesktopApp' | 'Unexpected';

export type ErrorCode = BackendErrorCode | LocalErrorCode;

/**
 * Every command, its arguments and its result. `invoke` only accepts names from this map, so a typo or a
 * wrong argument shape is a type error rather than a runtime failure. Commands whose Rust side takes one
 * request struct receive it under `request` (the Tauri argument name).
 */
export interface Commands {
  app_info: { args: undefined; result: AppInfo };
  session_info: { args: undefined; result: SessionInfoResponse };
  sign_in: { args: { request: SignInRequest }; result: SignInResponse };
  sign_in_demo: { args: undefined; result: SignInResponse };
  sign_out: { args: undefined; result: SignOutResponse };
  list_queues: { args: { request: ListQueuesRequest }; result: ListQueuesResponse };
  select_queues: { args: { request: SelectQueuesRequest }; result: SelectQueuesResponse };
  roster_subscribe: { args: { onEvent: Channel<RosterEvent> }; result: RosterSnapshot };
  roster_snapshot: { args: undefined; result: RosterSnapshot };
  connection_status: { args: undefined; result: ConnectionStatusResponse };
  plan_drop: { args: { request: PlanDropRequest }; result: DropPlanView };
  execute_drop: { args: { request: ExecuteDropRequest }; result: ActionResult };
  set_mute: { args: { request: SetFlagRequest }; result: ActionResult };
  set_hold: { args: { request: SetFlagRequest }; result: ActionResult };
  audit_list: { args: { request: AuditListRequest }; result: AuditListResponse };
  audit_export_csv: { args: { request: AuditExportRequest }; result: AuditExportResponse };
}

export type CommandName = keyof Commands;
