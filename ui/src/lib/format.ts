// Small, pure formatting helpers shared by the screens (no React, no IPC).

/** `m:ss` under an hour, `h:mm:ss` above; negative or unknown spans show as `0:00`. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const ss = String(seconds).padStart(2, '0');
  return hours > 0 ? `${String(hours)}:${String(minutes).padStart(2, '0')}:${ss}` : `${String(minutes)}:${ss}`;
}

/** Whole seconds, never negative. */
export function secondsBetween(fromMs: number, toMs: number): number {
  return Math.max(0, Math.floor((toMs - fromMs) / 1000));
}

const PURPOSE_LABELS: Record<string, string> = {
  agent: 'Agent',
  customer: 'Customer',
  external: 'External',
  acd: 'Queue (ACD)',
  ivr: 'IVR',
  user: 'User',
  voicemail: 'Voicemail',
  workflow: 'Workflow',
  botflow: 'Bot',
  dialer: 'Dialer',
  station: 'Station',
  group: 'Group',
  unknown: 'Unknown',
};

/** A purpose as a word people use; unknown purposes are shown as sent. */
export function purposeLabel(purpose: string): string {
  return PURPOSE_LABELS[purpose] ?? purpose;
}

const STATE_LABELS: Record<string, string> = {
  alerting: 'Ringing',
  dialing: 'Dialling',
  contacting: 'Contacting',
  offering: 'Offering',
  connected: 'Connected',
  disconnected: 'Ended',
  terminated: 'Ended',
  parked: 'Parked',
  scheduled: 'Scheduled',
  // Built from analytics data: the state arrives with the next event or read.
  unknown: 'Not yet known',
};

/** A leg state as a word people use. */
export function stateLabel(state: string): string {
  return STATE_LABELS[state] ?? state;
}

/** A local date-time for tables (the audit log). */
export function formatDateTime(ms: number): string {
  return new Date(ms).toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** "A", "A and B", "A, B and C": for sentences that name who remains on a call. */
export function listNames(names: readonly string[]): string {
  if (names.length === 0) return 'nobody';
  if (names.length === 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1] ?? ''}`;
}

/** A count for people: `1,000`. */
export function formatCount(n: number): string {
  return n.toLocaleString();
}

/** "1 call", "2 calls". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
