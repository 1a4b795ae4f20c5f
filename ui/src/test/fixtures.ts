// Builders and a fake backend for UI tests: every test drives the real components through mockIPC.
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import type {
  ActionResult,
  AppConfigResponse,
  AttentionResponse,
  BoardCompleteness,
  CommandName,
  ConnectionView,
  ConversationView,
  DropPlanView,
  FindingView,
  PartyView,
  RegionOption,
  RosterEvent,
  RosterSnapshot,
  SessionInfo,
  SessionInfoResponse,
} from '../platform';

export const T0 = Date.UTC(2025, 0, 2, 10, 0, 0);

/** One "Needs attention" finding (the muted consultant of the demo board by default). */
export function finding(overrides: Partial<FindingView> = {}): FindingView {
  return {
    conversationId: 'conf-1',
    participantId: 'p-ext',
    partyName: 'Northwind Insurance',
    purpose: 'external',
    rule: 'muted-too-long',
    kind: 'muted',
    sinceMs: T0,
    sinceKnown: true,
    reason: 'muted for 12 min',
    resolution: 'dropLeg',
    remaining: ['Chris Customer', 'Jane Doe'],
    ...overrides,
  };
}

/** The detector's answer: `findings` under the built-in rules. */
export function attention(findings: FindingView[] = [], overrides: Partial<AttentionResponse> = {}): AttentionResponse {
  return { findings, unavailable: [], policySource: 'built-in', policyError: null, watching: true, ...overrides };
}

export function party(overrides: Partial<PartyView> & { participantId: string; name: string }): PartyView {
  return {
    purpose: 'agent',
    state: 'connected',
    muted: false,
    held: false,
    confined: false,
    status: 'live',
    actionable: true,
    connectedSinceMs: T0,
    endedAtMs: null,
    userId: null,
    ...overrides,
  };
}

export function conversation(
  id: string,
  parties: PartyView[],
  overrides: Partial<ConversationView> = {},
): ConversationView {
  const live = parties.filter((p) => p.status === 'live' && p.purpose !== 'acd').length;
  return {
    id,
    queueIds: ['q-support'],
    startedAtMs: T0,
    isConference: live > 2,
    fullDetail: true,
    watchedUserIds: [],
    parties,
    ...overrides,
  };
}

/** A complete board of `n` calls (what Rust sends while live). */
export function completeness(overrides: Partial<BoardCompleteness> = {}): BoardCompleteness {
  return {
    discovered: 2,
    held: 2,
    fullDetail: 2,
    unread: 0,
    retryInMs: null,
    complete: true,
    missingPermissions: [],
    notices: [],
    ...overrides,
  };
}

/** A connection status; live and complete unless overridden. */
export function connectionView(overrides: Partial<ConnectionView> = {}): ConnectionView {
  return {
    state: 'live',
    staleSinceMs: null,
    retryInMs: null,
    detail: null,
    sessionExpired: false,
    completeness: completeness(),
    ...overrides,
  };
}

export const LIVE: ConnectionView = connectionView();

/** A three-way conference (customer, Jane the agent, an external consultant) plus a two-party call. */
export function demoBoard(): ConversationView[] {
  return [
    conversation('conf-1', [
      party({ participantId: 'p-cust', name: 'Chris Customer', purpose: 'customer' }),
      party({ participantId: 'p-jane', name: 'Jane Doe' }),
      party({ participantId: 'p-ext', name: 'Northwind Insurance', purpose: 'external', muted: true }),
      party({
        participantId: 'p-acd',
        name: 'Support',
        purpose: 'acd',
        state: 'disconnected',
        status: 'ended',
        actionable: false,
        endedAtMs: T0 + 5000,
      }),
    ]),
    conversation(
      'call-2',
      [
        party({ participantId: 'p-c2', name: 'Pat Caller', purpose: 'customer' }),
        party({ participantId: 'p-a2', name: 'Alex Agent', held: true }),
      ],
      { startedAtMs: T0 + 60_000 },
    ),
  ];
}

export function snapshot(conversations: ConversationView[], seq = 1, connection: ConnectionView = LIVE): RosterSnapshot {
  return { seq, conversations, connection };
}

export const REGIONS: RegionOption[] = [
  { name: 'ap_southeast_2', label: 'Asia Pacific (Sydney)', domain: 'mypurecloud.com.au' },
  { name: 'us_east_1', label: 'Americas (US East)', domain: 'mypurecloud.com' },
  { name: 'eu_west_1', label: 'EMEA (Dublin)', domain: 'mypurecloud.ie' },
];

export const SAM: SessionInfo = {
  userId: 'u-sam',
  userName: 'Sam Supervisor',
  environment: 'EMEA (Dublin)',
  clientId: 'bk-client',
  demo: false,
  renewable: false,
  expiresAtMs: T0 + 86_400_000,
};

export function sessionInfo(overrides: Partial<SessionInfoResponse> = {}): SessionInfoResponse {
  return {
    state: 'signedOut',
    session: null,
    regions: REGIONS,
    lastSignIn: null,
    redirectUri: 'http://localhost:8765/oauth/callback',
    demoAvailable: true,
    selectedQueues: [],
    ...overrides,
  };
}

/** An admin configuration; none of the fields set unless overridden. */
export function appConfig(overrides: Partial<AppConfigResponse> = {}): AppConfigResponse {
  return {
    region: null,
    clientId: null,
    loopbackPort: 8765,
    demo: true,
    allowPolicyEnforcement: true,
    updateEndpoint: null,
    locked: [],
    systemPath: '/etc/bridgekeeper/config.toml',
    userPath: '~/.config/io.bridgekeeper.desktop/config.toml',
    problems: [],
    ...overrides,
  };
}

export function plan(overrides: Partial<DropPlanView> = {}): DropPlanView {
  const board = demoBoard()[0];
  const parties = board?.parties ?? [];
  const byId = (id: string) => {
    const found = parties.find((p) => p.participantId === id);
    if (!found) throw new Error(`no party ${id}`);
    return { participantId: found.participantId, name: found.name, purpose: found.purpose };
  };
  return {
    planId: 'plan-1',
    conversationId: 'conf-1',
    target: byId('p-jane'),
    resolution: null,
    verdict: 'ready',
    remaining: [byId('p-cust'), byId('p-ext')],
    warnings: [{ code: 'lastAgent', message: 'Jane Doe is the last agent: the customer will have no agent.' }],
    summary: 'Drop Jane Doe (agent). Remaining: Chris Customer (customer), Northwind Insurance (external).',
    expiresAtMs: T0 + 30_000,
    ...overrides,
  };
}

export function confirmed(latencyMs: number, overrides: Partial<Extract<ActionResult['outcome'], { kind: 'confirmed' }>> = {}) {
  return { kind: 'confirmed' as const, latencyMs, via: 'event' as const, callEnded: false, othersLeft: [], ...overrides };
}

export function refused(reason: string, vendorCode: string, status: number) {
  return { kind: 'refused' as const, reason, vendorMessage: `Genesys said: ${vendorCode}`, vendorCode, status };
}

export function result(outcome: ActionResult['outcome'], overrides: Partial<ActionResult> = {}): ActionResult {
  return {
    action: 'drop',
    conversationId: 'conf-1',
    participantId: 'p-jane',
    partyName: 'Jane Doe',
    resolution: null,
    outcome,
    correlationId: 'corr-1234',
    auditId: 'audit-1',
    ...overrides,
  };
}

type Handler = (args: Record<string, unknown>) => unknown;

/**
 * A fake Rust side: answers per command (a value, or a function of the arguments; throw an `{code,message}`
 * object to reject like IpcError), records calls, and captures the roster channel so a test can push batches.
 */
export class FakeBackend {
  readonly calls: { cmd: string; args: Record<string, unknown> }[] = [];
  private channel: ((event: RosterEvent) => void) | undefined;

  private readonly handlers: Partial<Record<CommandName, Handler | object | null>>;

  constructor(handlers: Partial<Record<CommandName, Handler | object | null>>) {
    // The board asks the detector every few seconds; nothing needs attention unless a test says so.
    this.handlers = { attention_list: attention(), update_check: { enabled: false, available: null }, ...handlers };
    mockIPC((cmd, args) => {
      const payload = (args ?? {}) as Record<string, unknown>;
      this.calls.push({ cmd, args: payload });
      if (cmd === 'roster_subscribe') {
        const onEvent = payload.onEvent as { onmessage: (event: RosterEvent) => void };
        this.channel = (event) => {
          onEvent.onmessage(event);
        };
      }
      if (!(cmd in this.handlers)) throw new Error(`unexpected command ${cmd}`);
      const handler = this.handlers[cmd as CommandName];
      return typeof handler === 'function' ? (handler as Handler)(payload) : handler;
    });
  }

  /** Replaces (or adds) the answer for one command. */
  on(cmd: CommandName, handler: Handler | object | null): void {
    this.handlers[cmd] = handler;
  }

  /** Pushes a batch through the roster channel, as Rust would. */
  push(event: RosterEvent): void {
    if (!this.channel) throw new Error('roster_subscribe was not called');
    this.channel(event);
  }

  commands(): string[] {
    return this.calls.map((c) => c.cmd);
  }

  argsOf(cmd: CommandName): Record<string, unknown>[] {
    return this.calls.filter((c) => c.cmd === cmd).map((c) => c.args);
  }

  static reset(): void {
    clearMocks();
  }
}

/** What IpcError looks like when Rust rejects; thrown from a handler. */
export function ipcError(code: string, message: string, extra: Record<string, unknown> = {}): never {
  // eslint-disable-next-line @typescript-eslint/only-throw-error
  throw { code, message, ...extra };
}
