// @ts-check
// Injected before the built UI loads (Playwright addInitScript, classic script): a fake Tauri host for the
// accessibility audit. It answers every IPC command the UI sends (ui/src/platform/index.ts) with fixture
// data shaped by the generated bindings (ui/src/bindings, checked by `npm run typecheck`), and
// `window.__A11Y_SCENARIO__` picks which story it tells: startup failure, signed out or expired, no queues
// chosen yet, a board of calls and conferences (muted, held and not-yet-known flags), each drop outcome.
(function fakeHost() {
  'use strict';
  /** @typedef {import('../src/bindings').PartyView} PartyView */
  /** @typedef {import('../src/bindings').ConversationView} ConversationView */
  /** @typedef {import('../src/bindings').SessionInfo} SessionInfo */
  /** @typedef {import('../src/bindings').SessionInfoResponse} SessionInfoResponse */
  /** @typedef {import('../src/bindings').QueueInfo} QueueInfo */
  /** @typedef {import('../src/bindings').DropPlanView} DropPlanView */
  /** @typedef {import('../src/bindings').ActionResult} ActionResult */
  /** @typedef {import('../src/bindings').OutcomeView} OutcomeView */
  /** @typedef {import('../src/bindings').AuditListResponse} AuditListResponse */
  /** @typedef {import('../src/bindings').RosterSnapshot} RosterSnapshot */
  /** @typedef {import('../src/bindings').ConnectionView} ConnectionView */
  /** @typedef {import('../src/bindings').ListQueuesResponse} ListQueuesResponse */
  /** @typedef {import('../src/bindings').IpcError} IpcError */
  /** @typedef {import('../src/bindings').AppConfigResponse} AppConfigResponse */
  /** @typedef {import('../src/bindings').PermissionCheckResponse} PermissionCheckResponse */
  /**
   * @typedef {object} Scenario
   * @property {'ok' | 'fail'} [startup] `app_info` answers or fails (the "could not start" screen)
   * @property {'signedOut' | 'signedIn' | 'expired'} [session]
   * @property {boolean} [queuesChosen] a board is remembered (else the queue picker comes first)
   * @property {'ok' | 'fail'} [signIn] what the browser sign-in ends with
   * @property {'ok' | 'fail' | 'empty'} [roster] the live board, its failure, or no calls
   * @property {'confirmed' | 'notConfirmed' | 'refused' | 'error'} [drop] how `execute_drop` ends
   * @property {'ok' | 'fail'} [flags] how mute and hold end
   * @property {'none' | 'locked' | 'broken'} [config] no configuration file, a system-wide file that locks
   *   the region and client id, or a broken file the app had to ignore
   * @property {'all' | 'missing'} [permissions] what the permission check after sign-in finds
   * @property {'ok' | 'locked'} [policy] the enforce switch is free, or locked by the administrator
   */

  /** @type {Scenario} */
  const scenario = /** @type {any} */ (window).__A11Y_SCENARIO__ ?? {};
  const NOW = Date.now();
  const min = (/** @type {number} */ m) => NOW - m * 60_000;

  /** @type {QueueInfo[]} */
  const QUEUES = [
    { id: 'q-support', name: 'Support' },
    { id: 'q-billing', name: 'Billing' },
    { id: 'q-claims', name: 'Claims' },
    { id: 'q-retention', name: 'Retention' },
  ];

  /** @type {SessionInfo} */
  const SESSION = {
    userId: 'u-sam',
    userName: 'Sam Supervisor',
    environment: 'Americas (US East)',
    clientId: 'c0ffee00-0000-4000-8000-000000000001',
    demo: false,
    renewable: false,
    expiresAtMs: NOW + 3_600_000,
  };

  /**
   * @param {Partial<PartyView> & { participantId: string, name: string }} p
   * @returns {PartyView}
   */
  const party = (p) => ({
    purpose: 'agent',
    state: 'connected',
    muted: false,
    held: false,
    confined: false,
    status: 'live',
    actionable: true,
    connectedSinceMs: min(12),
    endedAtMs: null,
    userId: null,
    ...p,
  });

  /** @type {ConversationView[]} */
  const CALLS = [
    {
      id: '3f2a9c1e-0a4b-4c8d-9e1f-000000000001',
      queueIds: ['q-support'],
      startedAtMs: min(18),
      isConference: true,
      fullDetail: true,
      watchedUserIds: [],
      parties: [
        party({ participantId: 'p-1a', name: 'Aisha Okafor', purpose: 'customer', connectedSinceMs: min(18) }),
        party({ participantId: 'p-1b', name: 'Ben Schmidt', userId: 'u-ben', muted: true }),
        party({ participantId: 'p-1c', name: 'Northwind Insurance', purpose: 'external', held: true }),
        party({
          participantId: 'p-1d',
          name: 'Support',
          purpose: 'acd',
          state: 'disconnected',
          status: 'ended',
          actionable: false,
          connectedSinceMs: min(18),
          endedAtMs: min(17),
        }),
      ],
    },
    {
      id: '7b1d0e52-5c3a-4f6e-8a2b-000000000002',
      queueIds: ['q-billing'],
      startedAtMs: min(6),
      isConference: false,
      fullDetail: false,
      watchedUserIds: [],
      parties: [
        party({ participantId: 'p-2a', name: '+44 20 7946 0123', purpose: 'customer', muted: null, held: null, confined: null }),
        party({ participantId: 'p-2b', name: 'Carmen García', userId: 'u-carmen', muted: null, held: false, confined: null }),
      ],
    },
    {
      id: 'c9e4a7f0-1b2c-4d3e-9f40-000000000003',
      queueIds: [],
      startedAtMs: min(31),
      isConference: true,
      fullDetail: true,
      watchedUserIds: ['u-dmitri'],
      parties: [
        party({ participantId: 'p-3a', name: 'Dmitri Petrov', userId: 'u-dmitri', connectedSinceMs: min(31) }),
        party({ participantId: 'p-3b', name: 'Elena Rossi', purpose: 'user', userId: 'u-elena', confined: true, held: true }),
        party({ participantId: 'p-3c', name: 'Farid Haddad', purpose: 'external', state: 'alerting', connectedSinceMs: null }),
        party({
          participantId: 'p-3d',
          name: 'Dmitri Petrov',
          status: 'staleDuplicate',
          state: 'disconnected',
          actionable: false,
          endedAtMs: min(30),
        }),
      ],
    },
  ];

  /** @type {ConnectionView} */
  const LIVE = {
    state: 'live',
    staleSinceMs: null,
    retryInMs: null,
    detail: null,
    sessionExpired: false,
    completeness: {
      discovered: CALLS.length,
      held: CALLS.length,
      fullDetail: CALLS.length - 1,
      unread: 0,
      retryInMs: null,
      complete: false,
      missingPermissions: [],
      notices: ['One call is still loading its details.'],
    },
  };

  /**
   * @param {string} code
   * @param {string} message
   * @param {string} [correlationId]
   * @returns {IpcError}
   */
  const ipcError = (code, message, correlationId) =>
    /** @type {IpcError} */ ({ code, message, ...(correlationId ? { correlationId } : {}) });

  /** @returns {SessionInfoResponse} */
  function sessionInfo() {
    const state = scenario.session ?? 'signedOut';
    return {
      state,
      session: state === 'signedIn' ? SESSION : null,
      regions: [
        { name: 'us_east_1', label: 'Americas (US East)', domain: 'mypurecloud.com' },
        { name: 'eu_west_1', label: 'EMEA (Dublin)', domain: 'mypurecloud.ie' },
        { name: 'ap_southeast_2', label: 'Asia Pacific (Sydney)', domain: 'mypurecloud.com.au' },
      ],
      lastSignIn: state === 'signedOut' ? null : { region: 'us_east_1', apiBase: null, clientId: SESSION.clientId, confidential: false },
      redirectUri: 'http://localhost:8765/oauth/callback',
      demoAvailable: true,
      selectedQueues: state === 'signedIn' && scenario.queuesChosen !== false ? QUEUES.slice(0, 2) : [],
    };
  }

  /** @returns {RosterSnapshot} */
  const snapshot = () => ({ seq: 1, conversations: scenario.roster === 'empty' ? [] : CALLS, connection: LIVE });

  /** @param {string} conversationId @param {string} participantId @returns {DropPlanView} */
  function plan(conversationId, participantId) {
    const call = CALLS.find((c) => c.id === conversationId) ?? CALLS[0];
    const live = call.parties.filter((p) => p.status === 'live' && p.purpose !== 'acd');
    const target = live.find((p) => p.participantId === participantId) ?? live[0];
    const summary = (/** @type {PartyView} */ p) => ({ participantId: p.participantId, name: p.name, purpose: p.purpose });
    const remaining = live.filter((p) => p !== target).map(summary);
    return {
      planId: `plan-${participantId}`,
      conversationId: call.id,
      target: summary(target),
      resolution: null,
      verdict: 'ready',
      remaining,
      warnings:
        target.purpose === 'agent'
          ? [{ code: 'lastAgent', message: `${target.name} is the last agent on the call: the others stay connected without one.` }]
          : [],
      summary: `Drop ${target.name}; ${remaining.map((p) => p.name).join(', ')} stay.`,
      expiresAtMs: NOW + 60_000,
    };
  }

  /** @type {Map<string, DropPlanView>} */
  const plans = new Map();

  /**
   * @param {import('../src/bindings').ActionKind} action
   * @param {string} conversationId
   * @param {string} participantId
   * @param {OutcomeView} outcome
   * @returns {ActionResult}
   */
  function result(action, conversationId, participantId, outcome) {
    const name = CALLS.flatMap((c) => c.parties).find((p) => p.participantId === participantId)?.name ?? participantId;
    return {
      action,
      conversationId,
      participantId,
      partyName: name,
      resolution: null,
      outcome,
      correlationId: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
      auditId: `audit-${participantId}`,
    };
  }

  /** @returns {AuditListResponse} */
  const audit = () => ({
    entries: [
      {
        id: 'a-1',
        timeMs: min(3),
        actorName: 'Sam Supervisor',
        actorUserId: 'u-sam',
        action: 'drop',
        conversationId: CALLS[0].id,
        participantId: 'p-1c',
        partyName: 'Northwind Insurance',
        partyPurpose: 'external',
        request: `PATCH /api/v2/conversations/calls/${CALLS[0].id}/participants/p-1c {"state":"disconnected"}`,
        outcome: 'confirmed',
        latencyMs: 840,
        correlationId: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
        detail: null,
      },
      {
        id: 'a-2',
        timeMs: min(9),
        actorName: 'Sam Supervisor',
        actorUserId: 'u-sam',
        action: 'mute',
        conversationId: CALLS[1].id,
        participantId: 'p-2b',
        partyName: 'Carmen García',
        partyPurpose: 'agent',
        request: `PATCH /api/v2/conversations/calls/${CALLS[1].id}/participants/p-2b {"muted":true}`,
        outcome: 'notConfirmed',
        latencyMs: 5000,
        correlationId: null,
        detail: 'still unmuted after 5 s',
      },
      {
        id: 'a-3',
        timeMs: min(40),
        actorName: 'Sam Supervisor',
        actorUserId: 'u-sam',
        action: 'hold',
        conversationId: CALLS[2].id,
        participantId: 'p-3b',
        partyName: 'Elena Rossi',
        partyPurpose: 'user',
        request: `PATCH /api/v2/conversations/calls/${CALLS[2].id}/participants/p-3b {"held":true}`,
        outcome: 'refused',
        latencyMs: 120,
        correlationId: 'f0e1d2c3-b4a5-4968-8776-655443322110',
        detail: 'Genesys refused: missing.any.permissions',
      },
    ],
    total: 3,
    skippedLines: 0,
    path: '~/.local/share/bridgekeeper/audit.jsonl',
  });

  /** @returns {AppConfigResponse} */
  function appConfig() {
    const path = '/etc/bridgekeeper/config.toml';
    /** @type {AppConfigResponse} */
    const none = {
      region: null,
      clientId: null,
      loopbackPort: 8765,
      demo: true,
      allowPolicyEnforcement: true,
      updateEndpoint: null,
      locked: [],
      systemPath: path,
      userPath: '~/.config/io.bridgekeeper.desktop/config.toml',
      problems: [],
    };
    if (scenario.config === 'locked')
      return { ...none, region: 'eu_west_1', clientId: SESSION.clientId, demo: false, locked: ['region', 'clientId', 'demo'] };
    if (scenario.config === 'broken')
      return {
        ...none,
        problems: [
          {
            scope: 'system',
            path,
            line: 4,
            field: 'loopback_port',
            message: '70000 is not a usable port; use 1 to 65535, the port of the redirect URI registered on the OAuth client (usually 8765)',
            text: `${path}, line 4, field \`loopback_port\`: 70000 is not a usable port`,
          },
        ],
      };
    return none;
  }

  /** @returns {PermissionCheckResponse} */
  function permissionCheck() {
    if (scenario.permissions !== 'missing') return { checked: true, missing: [] };
    return {
      checked: true,
      missing: [
        {
          feature: 'Dropping, muting and holding a party',
          permission: 'conversation:communication:disconnect',
          consequence: "Drop, mute and hold of other people's parties are refused.",
          essential: true,
        },
        {
          feature: 'Silence detection (the `silent` rule)',
          permission: 'conversation:transcription:view',
          consequence: 'Rules that look for a silent outside party show as not checked; everything else works.',
          essential: false,
        },
      ],
    };
  }

  /**
   * @param {string} cmd
   * @param {any} args
   * @returns {unknown}
   */
  /** The policy page: the built-in rules, the switch (locked in the `locked` story) and a preview of two lines. */
  function policyView() {
    const locked = scenario.policy === 'locked';
    return {
      source: 'built-in',
      filePath: '~/.config/bridgekeeper/policy.toml',
      error: null,
      fileMode: 'dry-run',
      maxDropsPerMinute: 6,
      explanation: [
        'Mode: dry run. It reports what it would drop and sends nothing.',
        'At most 6 drops in any minute, across restarts.',
      ],
      rules: [
        { id: 'phantom-leg', when: 'phantom', explanation: 'Drops any leg except the customer\'s still on the call 30 s after a drop the platform accepted.' },
        { id: 'muted-too-long', when: 'muted', explanation: 'Drops any leg except the customer\'s muted for 10 min or longer.' },
      ],
      enforce: {
        on: false,
        allowed: !locked,
        lockedByAdmin: locked,
        notAllowedReason: locked
          ? 'Set by your administrator: allow_policy_enforcement = false in /etc/bridgekeeper/config.toml. The preview still shows what the rules find; nothing is dropped by the app.'
          : null,
        sinceMs: null,
        decisions: 0,
        lastError: null,
      },
      preview: [
        {
          conversationId: '3f2a9c1e-0a4b-4c8d-9e1f-000000000001',
          participantId: 'p-1b',
          partyName: 'Ben Schmidt',
          rule: 'muted-too-long',
          reason: 'muted for 12 min',
          action: 'wouldDrop',
          skippedBecause: null,
        },
        {
          conversationId: '3f2a9c1e-0a4b-4c8d-9e1f-000000000001',
          participantId: 'p-1a',
          partyName: 'Aisha Okafor',
          rule: 'muted-too-long',
          reason: 'muted for 11 min',
          action: 'skipped',
          skippedBecause: 'it would leave a customer without an agent (the rule does not set allow_customer_alone)',
        },
      ],
      unavailable: [],
      watching: true,
    };
  }

  function answer(cmd, args) {
    const request = args?.request;
    switch (cmd) {
      case 'app_config':
        return appConfig();
      case 'check_permissions':
        return permissionCheck();
      case 'app_info':
        if (scenario.startup === 'fail') throw ipcError('Internal', 'The app data folder could not be read: permission denied.');
        return { version: '0.1.0-a11y', demo: null };
      case 'session_info':
        return sessionInfo();
      case 'sign_in':
        if (scenario.signIn === 'fail')
          throw ipcError(
            'SignInFailed',
            'Genesys Cloud refused the sign-in: the OAuth client does not allow this redirect URI.',
            '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a',
          );
        return { session: SESSION, selectedQueues: QUEUES.slice(0, 2) };
      case 'sign_in_demo':
        return { session: { ...SESSION, demo: true, environment: 'Demo organisation' }, selectedQueues: QUEUES.slice(0, 2) };
      case 'sign_out':
        return { warning: null };
      case 'list_queues': {
        /** @type {ListQueuesResponse} */
        const queues = {
          queues: QUEUES.filter((q) => q.name.toLowerCase().includes(String(request?.filter ?? '').toLowerCase())),
          selected: scenario.queuesChosen === false ? [] : QUEUES.slice(0, 2),
          people: { userIds: [], watchSelf: false, watchQueuePeople: false },
          truncated: false,
        };
        return queues;
      }
      case 'select_queues':
        return { selected: QUEUES.filter((q) => request.queueIds.includes(q.id)) };
      case 'roster_subscribe':
        if (scenario.roster === 'fail')
          throw ipcError('Unreachable', 'Genesys Cloud could not be reached: connection refused.', '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d');
        return snapshot();
      case 'roster_snapshot':
        return snapshot();
      case 'connection_status':
        return { connection: LIVE, lastSnapshotMs: NOW };
      case 'update_check':
        return { enabled: true, available: { version: '0.2.0', notes: 'Faster board at 5,000 calls; keyboard help.' } };
      case 'attention_list':
        // Ben Schmidt has been muted on the first conference for a while: one finding, one unchecked rule.
        return {
          findings: [
            {
              conversationId: '3f2a9c1e-0a4b-4c8d-9e1f-000000000001',
              participantId: 'p-1b',
              partyName: 'Ben Schmidt',
              purpose: 'agent',
              rule: 'muted-too-long',
              kind: 'muted',
              sinceMs: NOW - 12 * 60_000,
              sinceKnown: false,
              reason: 'muted for 12 min',
              resolution: 'dropLeg',
              remaining: ['Aisha Okafor', 'Northwind Insurance'],
            },
            {
              // A queue call whose caller hung up 4 minutes ago and which still shows: nobody is on it.
              conversationId: '3f2a9c1e-0a4b-4c8d-9e1f-000000000099',
              participantId: 'p-acd-99',
              partyName: 'Support',
              purpose: 'acd',
              rule: 'no_live_party',
              kind: 'no_live_party',
              sinceMs: NOW - 4 * 60_000,
              sinceKnown: true,
              reason: 'nobody has been on the call for 4 min, yet it still shows',
              resolution: 'disconnectConversation',
              remaining: [],
            },
          ],
          unavailable: [{ rule: 'quiet-outside', conversationId: null, reason: 'the permission conversation:transcription:view is missing' }],
          policySource: 'built-in',
          policyError: null,
          watching: true,
        };
      case 'policy_view':
        return policyView();
      case 'policy_set_enforce':
        if (scenario.policy === 'locked')
          throw ipcError('Forbidden', 'Set by your administrator: allow_policy_enforcement = false in /etc/bridgekeeper/config.toml.');
        return { ...policyView().enforce, on: request.on, sinceMs: request.on ? NOW : null };
      case 'conversation_disconnect':
        return {
          conversationId: request.conversationId,
          outcome: 'confirmed',
          message: 'The call was ended for everyone: it has left the board.',
          latencyMs: 420,
        };
      case 'plan_drop': {
        const p = plan(request.conversationId, request.participantId);
        plans.set(p.planId, p);
        return p;
      }
      case 'execute_drop': {
        const p = plans.get(request.planId);
        if (!p) throw ipcError('PlanExpired', 'The plan expired: check the call again.');
        const kind = scenario.drop ?? 'confirmed';
        if (kind === 'error')
          throw ipcError('Forbidden', 'Your role may not disconnect parties (conversation:participant:wrapup).', 'b7c6d5e4-f3a2-4b1c-9d0e-1f2a3b4c5d6e');
        /** @type {OutcomeView} */
        const outcome =
          kind === 'confirmed'
            ? { kind: 'confirmed', latencyMs: 812, via: 'event', callEnded: false, othersLeft: [] }
            : kind === 'notConfirmed'
              ? { kind: 'notConfirmed', latencyMs: 5000, detail: 'still on the line after 5 s', stillLive: true }
              : {
                  kind: 'refused',
                  reason: 'Genesys Cloud refused: missing permission',
                  vendorMessage: 'You are not authorized to perform the requested action.',
                  vendorCode: 'missing.any.permissions',
                  status: 403,
                };
        return result('drop', p.conversationId, p.target.participantId, outcome);
      }
      case 'set_mute':
      case 'set_hold': {
        const action = cmd === 'set_mute' ? (request.on ? 'mute' : 'unmute') : request.on ? 'hold' : 'unhold';
        if (scenario.flags === 'fail') throw ipcError('ParticipantGone', 'That person has already left the call.');
        return result(action, request.conversationId, request.participantId, {
          kind: 'confirmed',
          latencyMs: 310,
          via: 'event',
          callEnded: false,
          othersLeft: [],
        });
      }
      case 'audit_list':
        return audit();
      case 'audit_export_csv':
        return { path: '~/Downloads/bridgekeeper-audit.csv', rows: 3 };
      default:
        throw ipcError('Internal', `the a11y fake host does not answer ${cmd}`);
    }
  }

  /** @type {Map<number, (data: unknown) => unknown>} */
  const callbacks = new Map();
  let nextCallback = 1;
  const w = /** @type {any} */ (window);
  /** Every command the UI sent, for the audit script's own checks. */
  w.__A11Y_CALLS__ = [];
  w.isTauri = true;
  w.__TAURI_INTERNALS__ = {
    metadata: { currentWindow: { label: 'main' }, currentWebview: { windowLabel: 'main', label: 'main' } },
    /** @param {string} cmd @param {unknown} args */
    async invoke(cmd, args) {
      w.__A11Y_CALLS__.push({ cmd, args: JSON.parse(JSON.stringify(args ?? null)) });
      // A real host answers on a later task: keep that, so pending states render for a moment.
      await new Promise((ok) => setTimeout(ok, 10));
      // Structured like a serialised Rust value: fresh objects each time.
      return JSON.parse(JSON.stringify(answer(cmd, args)));
    },
    /** @param {(data: unknown) => unknown} callback @param {boolean} [once] */
    transformCallback(callback, once = false) {
      const id = nextCallback++;
      callbacks.set(id, (data) => {
        if (once) callbacks.delete(id);
        return callback?.(data);
      });
      return id;
    },
    /** @param {number} id */
    unregisterCallback(id) {
      callbacks.delete(id);
    },
    /** @param {number} id @param {unknown} data */
    runCallback(id, data) {
      callbacks.get(id)?.(data);
    },
    callbacks,
    /** @param {string} path @param {string} [protocol] */
    convertFileSrc(path, protocol = 'asset') {
      return `${protocol}://localhost/${encodeURIComponent(path)}`;
    },
  };
  w.__TAURI_EVENT_PLUGIN_INTERNALS__ = { unregisterListener() {} };
})();
