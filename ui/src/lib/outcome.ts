// Outcome and error wording shared by the board rows, the drop dialog and the live region.
import type { ActionKind, ActionResult, CommandError, ErrorCode } from '../platform';

export type Tone = 'success' | 'warning' | 'danger' | 'info';

const DONE: Record<ActionKind, string> = {
  drop: 'was dropped',
  mute: 'is muted',
  unmute: 'is unmuted',
  hold: 'is on hold',
  unhold: 'is off hold',
  endConversation: 'was ended for everyone',
};

const VERB: Record<ActionKind, string> = {
  drop: 'Drop',
  mute: 'Mute',
  unmute: 'Unmute',
  hold: 'Hold',
  unhold: 'Resume',
  endConversation: 'End call',
};

/** The verb of an action, for pending labels ("Dropping…"). */
export function pendingLabel(action: ActionKind): string {
  switch (action) {
    case 'drop':
      return 'Dropping…';
    case 'mute':
      return 'Muting…';
    case 'unmute':
      return 'Unmuting…';
    case 'hold':
      return 'Holding…';
    case 'unhold':
      return 'Resuming…';
    case 'endConversation':
      return 'Ending…';
  }
}

/** "Drop", "Mute", ...: the action's name for history tables. */
export function actionName(action: ActionKind): string {
  return VERB[action];
}

function ms(n: number): string {
  return `${n.toLocaleString()} ms`;
}

/** One sentence saying how an action ended, and its tone. */
export function describeOutcome(result: ActionResult): { tone: Tone; text: string } {
  const who = result.partyName;
  const o = result.outcome;
  switch (o.kind) {
    case 'confirmed': {
      let text = `${who} ${DONE[result.action]}: confirmed in ${ms(o.latencyMs)}.`;
      if (o.callEnded) text += ' The call has ended.';
      if (o.othersLeft.length > 0) text += ` Also no longer on the call: ${o.othersLeft.join(', ')}.`;
      return { tone: o.othersLeft.length > 0 ? 'warning' : 'success', text };
    }
    case 'notConfirmed':
      return {
        tone: 'warning',
        text: o.stillLive
          ? `Not confirmed: ${who} is still on the line after ${ms(o.latencyMs)}. ${o.detail}`.trim()
          : `Not confirmed after ${ms(o.latencyMs)}: ${o.detail}`,
      };
    case 'refused':
      return { tone: 'danger', text: `Refused: ${o.reason}` };
    case 'alreadyGone':
      return { tone: 'info', text: `${who} had already left the call. ${o.detail}`.trim() };
  }
}

const TITLES: Partial<Record<ErrorCode, string>> = {
  NotSignedIn: 'You are not signed in',
  SessionExpired: 'Your session has ended',
  Forbidden: 'Not allowed',
  ParticipantGone: 'That party has left the call',
  RateLimited: 'Genesys Cloud is busy',
  Unreachable: 'Genesys Cloud could not be reached',
  KeyringUnavailable: 'The system keyring is unavailable',
  InvalidArgument: 'Please check what you entered',
  PortInUse: 'The sign-in port is busy',
  SignInFailed: 'Sign-in did not complete',
  PlanExpired: 'The call changed',
  DemoUnavailable: 'The demo organisation could not start',
  UpdateFailed: 'The update was not installed',
  NotInDesktopApp: 'Not running in the desktop app',
};

/** A short heading for an error notice. */
export function errorTitle(error: CommandError): string {
  return TITLES[error.code] ?? 'Something went wrong';
}

/** True when the error means the session is over and the app must go back to sign-in. */
export function isSessionLost(error: CommandError): boolean {
  return error.code === 'SessionExpired' || error.code === 'NotSignedIn';
}

/** The error as one sentence (with the wait for rate limits). */
export function errorText(error: CommandError): string {
  if (error.code === 'RateLimited' && error.retryAfterSecs !== undefined) {
    return `${error.message} Try again in ${String(error.retryAfterSecs)} s.`;
  }
  return error.message;
}
