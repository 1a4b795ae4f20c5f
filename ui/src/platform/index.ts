// The UI's one door to the desktop host. Components import from here, never from @tauri-apps/*.
import { Channel } from '@tauri-apps/api/core';
import { invoke } from './ipc';
import type {
  ActionResult,
  AppConfigResponse,
  AppInfo,
  AttentionResponse,
  AuditExportResponse,
  AuditFilters,
  AuditListResponse,
  ConnectionStatusResponse,
  DisconnectConversationResult,
  DropPlanView,
  EnforceView,
  ListQueuesResponse,
  PermissionCheckResponse,
  PolicyViewResponse,
  RosterEvent,
  RosterSnapshot,
  SelectQueuesRequest,
  SelectQueuesResponse,
  SessionInfoResponse,
  SignInRequest,
  SignInResponse,
  SignOutResponse,
  UpdateCheckResponse,
  UpdateInstallResponse,
} from './types';

export { CommandError, asCommandError, isTauri, toCommandError } from './ipc';
export type * from './types';

/** Whether a newer signed version is offered (`enabled: false` when no update endpoint is configured). */
export function checkForUpdate(): Promise<UpdateCheckResponse> {
  return invoke('update_check');
}

/** Installs the update `checkForUpdate` found and restarts; refused while an action is under way. */
export function installUpdate(): Promise<UpdateInstallResponse> {
  return invoke('update_install');
}

/** The app's version and whether it runs on the demo organisation. */
export function getAppInfo(): Promise<AppInfo> {
  return invoke('app_info');
}

/** The admin-managed configuration: effective values, what the administrator locked, ignored files. */
export function getAppConfig(): Promise<AppConfigResponse> {
  return invoke('app_config');
}

/** Which features the signed-in user's roles leave unavailable, and the permission to ask for. */
export function checkPermissions(): Promise<PermissionCheckResponse> {
  return invoke('check_permissions');
}

/** The session (if any), the region list and the remembered sign-in settings. */
export function getSessionInfo(): Promise<SessionInfoResponse> {
  return invoke('session_info');
}

/** Signs in through the system browser; resolves when the browser comes back (or fails). */
export function signIn(request: SignInRequest): Promise<SignInResponse> {
  return invoke('sign_in', { request });
}

/** Starts (if needed) and signs in to the built-in demo organisation. */
export function signInDemo(): Promise<SignInResponse> {
  return invoke('sign_in_demo');
}

/** Signs out: tokens are revoked and forgotten. */
export function signOut(): Promise<SignOutResponse> {
  return invoke('sign_out');
}

/** Queues whose name contains `filter`, and the remembered selection. */
export function listQueues(filter: string): Promise<ListQueuesResponse> {
  return invoke('list_queues', { request: { filter } });
}

/**
 * Chooses the queues and people the board watches (remembered between runs). People matter for bridges
 * dialled directly: those carry no queue and only show on the people's own topics.
 */
export function selectQueues(request: SelectQueuesRequest): Promise<SelectQueuesResponse> {
  return invoke('select_queues', { request });
}

/**
 * Opens the live board feed: `onEvent` receives numbered change batches; the snapshot it resolves with is
 * the starting point. A newer subscription replaces an older one.
 */
export function subscribeRoster(onEvent: (event: RosterEvent) => void): Promise<RosterSnapshot> {
  return invoke('roster_subscribe', { onEvent: new Channel<RosterEvent>(onEvent) });
}

/** The whole board now (after a sequence gap). */
export function getRosterSnapshot(): Promise<RosterSnapshot> {
  return invoke('roster_snapshot');
}

/** The notification connection's status. */
export function getConnectionStatus(): Promise<ConnectionStatusResponse> {
  return invoke('connection_status');
}

/** Step one of a drop: what would happen (nothing is sent). */
export function planDrop(conversationId: string, participantId: string): Promise<DropPlanView> {
  return invoke('plan_drop', { request: { conversationId, participantId } });
}

/** Step two: carry out a plan and report the outcome. */
export function executeDrop(planId: string): Promise<ActionResult> {
  return invoke('execute_drop', { request: { planId } });
}

/** Mutes (`on`) or unmutes a party. */
export function setMute(conversationId: string, participantId: string, on: boolean): Promise<ActionResult> {
  return invoke('set_mute', { request: { conversationId, participantId, on } });
}

/** Holds (`on`) or takes a party off hold. */
export function setHold(conversationId: string, participantId: string, on: boolean): Promise<ActionResult> {
  return invoke('set_hold', { request: { conversationId, participantId, on } });
}

/** What the detector finds on the board now ("Needs attention"), and the rules it cannot use. */
export function listAttention(): Promise<AttentionResponse> {
  return invoke('attention_list');
}

/** Ends a call that still shows with nobody on it, for everyone (system wrap-up); verified and audited. */
export function disconnectConversation(conversationId: string): Promise<DisconnectConversationResult> {
  return invoke('conversation_disconnect', { request: { conversationId } });
}

/** The policy page: the rules in force, the enforce switch, and what enforcing would do now (nothing is sent). */
export function getPolicyView(): Promise<PolicyViewResponse> {
  return invoke('policy_view');
}

/** Switches the app's own policy enforcement on (after the page's confirmation) or off. */
export function setPolicyEnforce(on: boolean): Promise<EnforceView> {
  return invoke('policy_set_enforce', { request: { on } });
}

/** Audit records matching the filters, newest first. */
export function listAudit(filters: AuditFilters): Promise<AuditListResponse> {
  return invoke('audit_list', { request: { filters } });
}

/** Writes the matching audit records as CSV and says where. */
export function exportAuditCsv(filters: AuditFilters): Promise<AuditExportResponse> {
  return invoke('audit_export_csv', { request: { filters } });
}

/** Copies text to the clipboard; false when the webview refuses (the text stays selectable on screen). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
