// Injected before the built UI loads (Playwright addInitScript, classic script): a fake Tauri host that
// answers every command as a signed-in demo session watching three queues, holds a live roster of
// `window.__BENCH_CONFIG__.conversations` calls, and, once `__bench.run()` starts it, pushes one numbered
// RosterEvent per roster change through the `roster_subscribe` Channel at `rate` changes per second, the way
// the Rust side forwards them (supervisor-core ipc/desktop.rs: one event per core change, gapless seq).
// It also measures frames in the page (requestAnimationFrame deltas, long tasks, long animation frames,
// JS heap) and checks the DOM against the fake's own truth, so the bench cannot measure an empty page.
(function fakeTauri() {
  'use strict';
  const config = window.__BENCH_CONFIG__;
  const T_START = Date.now();

  // ------------------------------------------------------------------ deterministic data
  let seed = config.seed >>> 0;
  /** mulberry32: small, fast, good enough for a workload generator. */
  function rand() {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  const pick = (list, r = rand) => list[Math.floor(r() * list.length)];
  // The probes (below) draw from their own stream, so what they pick on the page never changes the workload.
  let probeSeed = (config.seed ^ 0x9e3779b9) >>> 0;
  function probeRand() {
    probeSeed = (probeSeed + 0x6d2b79f5) >>> 0;
    let t = probeSeed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  const hex = (n) => {
    let out = '';
    for (let i = 0; i < n; i++) out += Math.floor(rand() * 16).toString(16);
    return out;
  };
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;

  const FIRST = [
    'Aisha', 'Ben', 'Carmen', 'Dmitri', 'Elena', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jamal', 'Katarina', 'Liam',
    'Maya', 'Noah', 'Olga', 'Priya', 'Quentin', 'Rosa', 'Samir', 'Tamsin', 'Uma', 'Victor', 'Wen', 'Xavier',
    'Yusuf', 'Zoe', 'Amelia', 'Bruno', 'Chloe', 'Diego', 'Emeka', 'Fatima', 'Gustav', 'Hannah', 'Ivan', 'Julia',
    'Kwame', 'Lucia', 'Mateo', 'Nadia', 'Oscar', 'Paula', 'Rahul', 'Sofia', 'Tomasz', 'Valentina', 'William',
    'Yara', 'Zain', 'Anders', 'Bianca', 'Connor', 'Daniela', 'Erik', 'Freya', 'Giulia', 'Hamza', 'Isla', 'Jonas',
  ];
  const LAST = [
    'Okafor', 'Schmidt', 'García', 'Petrov', 'Rossi', 'Haddad', 'O’Brien', 'Tanaka', 'Moreau', 'Johnson',
    'Novak', 'Murphy', 'Patel', 'Williams', 'Ivanova', 'Sharma', 'Dubois', 'Fernández', 'Nasser', 'Clarke',
    'Singh', 'Lindqvist', 'Chen', 'Almeida', 'Kaya', 'Walsh', 'Kowalski', 'Müller', 'Nguyen', 'Brown',
    'Silva', 'Jansen', 'Costa', 'Hughes', 'Andersen', 'Romano', 'Mensah', 'Kim', 'López', 'Fischer',
    'Evans', 'Bauer', 'Yilmaz', 'Santos', 'Taylor', 'Berg', 'Gallagher', 'Mahmoud', 'Wright', 'Ito',
  ];
  const COMPANIES = [
    'Northwind Insurance', 'Contoso Claims Desk', 'Fabrikam Billing', 'Tailspin Travel', 'Litware Legal',
    'Adatum Health', 'Proseware Credit', 'Woodgrove Bank', 'Alpine Ski House', 'Coho Logistics',
    'Wide World Importers', 'Lamna Healthcare', 'Trey Research', 'Margie’s Interpreting', 'Relecloud Support',
  ];
  const QUEUES = [
    { id: 'q-support', name: 'Support' },
    { id: 'q-billing', name: 'Billing' },
    { id: 'q-claims', name: 'Claims' },
  ];
  const person = () => `${pick(FIRST)} ${pick(LAST)}`;
  const phone = () => `+44 20 7946 ${String(Math.floor(rand() * 10000)).padStart(4, '0')}`;

  // ------------------------------------------------------------------ the roster (the fake's truth)
  /** id -> { id, queueIds, startedAtMs, live: Party[], gone: Party[] } */
  const calls = new Map();
  /** Ids in an array too, for O(1) random picks and removals. */
  const ids = [];
  const index = new Map();
  let now = T_START;
  const clock = () => (now = Math.max(now + 1, Date.now()));

  function addId(id) {
    index.set(id, ids.length);
    ids.push(id);
  }
  function dropId(id) {
    const at = index.get(id);
    const last = ids.pop();
    if (last !== id) {
      ids[at] = last;
      index.set(last, at);
    }
    index.delete(id);
  }

  function party(name, purpose, state, connectedSinceMs) {
    return {
      participantId: uuid(),
      name,
      purpose,
      state,
      muted: false,
      held: false,
      confined: false,
      status: 'live',
      actionable: true,
      connectedSinceMs,
      endedAtMs: null,
      // Derived, not drawn from rand(): the workload stays the same as before people had ids.
      userId: purpose === 'agent' || purpose === 'user' ? `user-${name.toLowerCase().replace(/\W+/g, '-')}` : null,
    };
  }

  function uniqueName(call, make) {
    const taken = new Set([...call.live, ...call.gone].map((p) => p.name));
    for (;;) {
      const name = make();
      if (!taken.has(name)) return name;
    }
  }

  /** A call as Genesys shows one on a queue: customer, the queue's ACD leg (ended), an agent, maybe more. */
  function newCall(startedAtMs, extra) {
    const queue = pick(QUEUES);
    const call = { id: uuid(), queueIds: [queue.id], startedAtMs, live: [], gone: [] };
    const customer = party(rand() < 0.7 ? person() : phone(), 'customer', 'connected', startedAtMs);
    const acd = party(queue.name, 'acd', 'disconnected', startedAtMs + 1000);
    acd.status = 'ended';
    acd.actionable = false;
    acd.endedAtMs = startedAtMs + 1000 + Math.floor(rand() * 20_000);
    call.live.push(customer);
    call.gone.push(acd);
    call.live.push(party(uniqueName(call, person), 'agent', 'connected', acd.endedAtMs));
    for (let i = 0; i < extra; i++) call.live.push(joiner(call, acd.endedAtMs + 5000 * (i + 1), 'connected'));
    return call;
  }

  function joiner(call, since, state) {
    const r = rand();
    if (r < 0.45) return party(uniqueName(call, person), 'agent', state, since);
    if (r < 0.8) return party(uniqueName(call, () => pick(COMPANIES)), 'external', state, since);
    return party(uniqueName(call, person), 'user', state, since);
  }

  function livePeople(call) {
    return call.live.filter((p) => p.purpose !== 'acd').length;
  }

  /** The wire shape (ConversationView), built fresh each time like a serialised Rust value. */
  function view(call) {
    return {
      id: call.id,
      queueIds: call.queueIds,
      startedAtMs: call.startedAtMs,
      isConference: livePeople(call) > 2,
      fullDetail: true,
      watchedUserIds: [],
      parties: [...call.live, ...call.gone],
    };
  }

  // Initial board: a mix of 2-party calls and 3-5 party conferences, started over the last 40 minutes.
  for (let i = 0; i < config.conversations; i++) {
    const conference = rand() < config.conferenceShare;
    const call = newCall(T_START - Math.floor(rand() * 40 * 60_000), conference ? 1 + Math.floor(rand() * 3) : 0);
    calls.set(call.id, call);
    addId(call.id);
  }

  const complete = () => ({
    discovered: ids.length,
    held: ids.length,
    fullDetail: ids.length,
    unread: 0,
    retryInMs: null,
    complete: true,
    missingPermissions: [],
    notices: [],
  });
  const LIVE = { state: 'live', staleSinceMs: null, retryInMs: null, detail: null, sessionExpired: false, completeness: complete() };
  let seq = 0;
  const snapshot = () => ({ seq, conversations: ids.map((id) => view(calls.get(id))), connection: { ...LIVE, completeness: complete() } });

  // ------------------------------------------------------------------ one change
  const counts = { mute: 0, hold: 0, state: 0, join: 0, leave: 0, start: 0, end: 0 };
  /** Parties that joined ringing, connected by a later "state" change. */
  const ringing = [];

  function randomCall() {
    return calls.get(ids[Math.floor(rand() * ids.length)]);
  }
  function randomActionable(call) {
    const people = call.live.filter((p) => p.actionable);
    return people.length === 0 ? undefined : pick(people);
  }

  function change() {
    const r = rand();
    const t = clock();
    if (r < 0.25) {
      const call = randomCall();
      const p = randomActionable(call);
      if (p) {
        p.muted = !p.muted;
        counts.mute++;
        return { kind: 'upsert', conversation: view(call) };
      }
    }
    if (r < 0.4) {
      const call = randomCall();
      const p = randomActionable(call);
      if (p) {
        p.held = !p.held;
        if (rand() < 0.1) p.confined = p.held;
        counts.hold++;
        return { kind: 'upsert', conversation: view(call) };
      }
    }
    if (r < 0.55) {
      let call;
      let p;
      while (ringing.length > 0 && !p) {
        const next = ringing.shift();
        call = calls.get(next.callId);
        p = call?.live.find((q) => q.participantId === next.participantId);
      }
      if (p) {
        p.state = 'connected';
        p.connectedSinceMs = t;
      } else {
        call = randomCall();
        p = randomActionable(call);
        if (!p) return change();
        p.state = p.state === 'parked' ? 'connected' : rand() < 0.5 ? 'parked' : 'connected';
      }
      counts.state++;
      return { kind: 'upsert', conversation: view(call) };
    }
    if (r < 0.67) {
      const call = randomCall();
      if (livePeople(call) < 5) {
        const ring = rand() < 0.4;
        const p = joiner(call, ring ? null : t, ring ? 'alerting' : 'connected');
        call.live.push(p);
        if (ring) ringing.push({ callId: call.id, participantId: p.participantId });
        counts.join++;
        return { kind: 'upsert', conversation: view(call) };
      }
    }
    if (r < 0.77) {
      // Someone leaves a conference (a 2-party call that loses a party ends instead: see below).
      for (let tries = 0; tries < 20; tries++) {
        const call = randomCall();
        if (livePeople(call) <= 2) continue;
        const people = call.live.filter((p) => p.purpose !== 'acd');
        const p = pick(people.slice(1)); // the customer stays
        call.live.splice(call.live.indexOf(p), 1);
        Object.assign(p, { state: 'disconnected', status: 'ended', actionable: false, muted: false, held: false, confined: false, endedAtMs: t });
        call.gone.unshift(p);
        counts.leave++;
        return { kind: 'upsert', conversation: view(call) };
      }
    }
    // Calls start and end, keeping the board near its configured size.
    const startP = Math.min(0.9, Math.max(0.1, 0.5 + (config.conversations - ids.length) / 100));
    if (rand() < startP) {
      const call = newCall(t, rand() < 0.2 ? 1 : 0);
      calls.set(call.id, call);
      addId(call.id);
      counts.start++;
      return { kind: 'upsert', conversation: view(call) };
    }
    const call = randomCall();
    calls.delete(call.id);
    dropId(call.id);
    counts.end++;
    return { kind: 'remove', conversationId: call.id };
  }

  // ------------------------------------------------------------------ the IPC fake
  const callbacks = new Map();
  let nextCallback = 1;
  const calls_ = { total: 0, byCommand: {} };
  let channel; // { id, index }
  let feed; // interval id
  let sent = 0;

  /** Delivers one message as Tauri does: the channel callback gets `{ index, message }`, parsed from JSON. */
  function deliver(message) {
    if (!channel) return;
    const cb = callbacks.get(channel.id);
    if (!cb) return;
    cb(JSON.parse(JSON.stringify({ index: channel.index++, message })));
  }

  const SESSION = {
    userId: 'u-bench',
    userName: 'Sam Supervisor',
    environment: 'Demo organisation',
    clientId: 'bridgekeeper-demo',
    demo: true,
    renewable: false,
    expiresAtMs: T_START + 86_400_000,
  };

  function answer(cmd, args) {
    switch (cmd) {
      case 'app_info':
        return { version: 'bench', demo: { baseUrl: 'http://127.0.0.1:1' } };
      case 'session_info':
        return {
          state: 'signedIn',
          session: SESSION,
          regions: [],
          lastSignIn: null,
          redirectUri: 'http://localhost:8765/oauth/callback',
          demoAvailable: true,
          selectedQueues: QUEUES,
        };
      case 'sign_in_demo':
        return { session: SESSION, selectedQueues: QUEUES };
      case 'list_queues':
        return { queues: QUEUES.filter((q) => q.name.toLowerCase().includes((args?.request?.filter ?? '').toLowerCase())), selected: QUEUES, truncated: false };
      case 'select_queues':
        return { selected: QUEUES.filter((q) => args.request.queueIds.includes(q.id)) };
      case 'roster_subscribe': {
        // A real Channel serialises as `__CHANNEL__:<id>`; the object itself carries the id.
        const id = args.onEvent.id;
        channel = { id, index: 0 };
        bench.subscribedAt = performance.now();
        return JSON.parse(JSON.stringify(snapshot()));
      }
      case 'roster_snapshot':
        return JSON.parse(JSON.stringify(snapshot()));
      case 'connection_status':
        return { connection: LIVE, lastSnapshotMs: T_START };
      case 'audit_list':
        return { entries: [], total: 0 };
      default:
        throw { code: 'Internal', message: `the bench fake does not answer ${cmd}` };
    }
  }

  window.isTauri = true;
  window.__TAURI_INTERNALS__ = {
    metadata: { currentWindow: { label: 'main' }, currentWebview: { windowLabel: 'main', label: 'main' } },
    async invoke(cmd, args) {
      calls_.total++;
      calls_.byCommand[cmd] = (calls_.byCommand[cmd] ?? 0) + 1;
      return answer(cmd, args);
    },
    transformCallback(callback, once = false) {
      const id = nextCallback++;
      callbacks.set(id, (data) => {
        if (once) callbacks.delete(id);
        return callback?.(data);
      });
      return id;
    },
    unregisterCallback(id) {
      callbacks.delete(id);
    },
    runCallback(id, data) {
      callbacks.get(id)?.(data);
    },
    callbacks,
    convertFileSrc(path, protocol = 'asset') {
      return `${protocol}://localhost/${encodeURIComponent(path)}`;
    },
  };
  window.__TAURI_EVENT_PLUGIN_INTERNALS__ = { unregisterListener() {} };

  // ------------------------------------------------------------------ DOM checks
  const table = () => document.querySelector('table.board-table');
  const renderedCalls = () => [...(table()?.tBodies ?? [])].filter((b) => b.dataset.conversationId !== undefined);
  /** Rows the board should report to assistive tech: its header row, then each call's header and legs. */
  const expectedRows = () => 1 + ids.reduce((sum, id) => sum + 1 + [...calls.get(id).live, ...calls.get(id).gone].length, 0);

  /**
   * True once the board shows the whole roster: every call in the DOM (a plain table), or, for a windowed
   * table, the right `aria-rowcount` and at least one call rendered.
   */
  function boardShowsAll() {
    const t = table();
    if (!t) return false;
    const rendered = renderedCalls().length;
    if (t.hasAttribute('aria-rowcount')) return rendered > 0 && Number(t.getAttribute('aria-rowcount')) === expectedRows();
    return rendered === ids.length;
  }

  /** How the board words the leg states this fake uses (ui/src/lib/format.ts). */
  const STATE_LABELS = { connected: 'Connected', alerting: 'Ringing', parked: 'Parked', disconnected: 'Ended' };

  function rowName(row) {
    return row.querySelector('th')?.firstChild?.textContent;
  }

  /** Compares one rendered call with the fake's truth; pushes what differs. */
  function checkCall(tbody, call, problems, tally) {
    const id = call.id;
    const expected = view(call);
    if (tbody.classList.contains('call-conference') !== expected.isConference) problems.push(`call ${id}: conference style wrong`);
    const rows = tbody.querySelectorAll('tr.party');
    if (rows.length !== expected.parties.length) {
      problems.push(`call ${id}: ${rows.length} party rows, expected ${expected.parties.length}`);
      return;
    }
    expected.parties.forEach((p, i) => {
      const row = rows[i];
      tally.partyRows++;
      const name = rowName(row);
      const flags = row.querySelector('.flags')?.textContent ?? '';
      const state = row.cells[2]?.textContent;
      if (state !== STATE_LABELS[p.state]) problems.push(`call ${id} ${p.name}: state ${state}, expected ${STATE_LABELS[p.state]}`);
      if (name !== p.name) problems.push(`call ${id} row ${i}: name ${name}, expected ${p.name}`);
      if (row.dataset.status !== p.status) problems.push(`call ${id} ${p.name}: status ${row.dataset.status}, expected ${p.status}`);
      if (flags.includes('Muted') !== p.muted) problems.push(`call ${id} ${p.name}: muted shown ${!p.muted}, expected ${p.muted}`);
      if (flags.includes('On hold') !== p.held) problems.push(`call ${id} ${p.name}: held shown ${!p.held}, expected ${p.held}`);
      if (p.muted) tally.muted++;
      if (p.held) tally.held++;
      if (p.actionable) {
        const label = `${p.muted ? 'Unmute' : 'Mute'} ${p.name}`;
        if (![...row.querySelectorAll('button')].some((b) => b.getAttribute('aria-label') === label)) problems.push(`call ${id}: no "${label}" button`);
      }
    });
  }

  const nextFrame = () => new Promise((ok) => requestAnimationFrame(() => ok()));
  async function settle() {
    await nextFrame();
    await new Promise((ok) => setTimeout(ok, 0));
    await nextFrame();
    await nextFrame();
  }

  /**
   * Whole-board comparison with the fake's truth, after the feed stopped: scrolls from top to bottom so a
   * windowed table must bring every call into the DOM, and checks each call once where it first appears.
   */
  async function verify() {
    const problems = [];
    const tally = { partyRows: 0, muted: 0, held: 0 };
    const seen = new Set();
    let extra = 0;
    let positions = 0;
    let maxRendered = 0;
    const began = performance.now();
    window.scrollTo(0, 0);
    await settle();
    for (;;) {
      positions++;
      const rendered = renderedCalls();
      maxRendered = Math.max(maxRendered, rendered.length);
      const here = new Set();
      for (const tbody of rendered) {
        const id = tbody.dataset.conversationId;
        if (here.has(id)) problems.push(`call ${id} is rendered twice`);
        here.add(id);
        if (seen.has(id)) continue;
        seen.add(id);
        const call = calls.get(id);
        if (!call) {
          extra++;
          problems.push(`call ${id} is on the board but ended in the fake`);
        } else checkCall(tbody, call, problems, tally);
      }
      if (seen.size - extra === ids.length && rendered.length === ids.length) break; // a plain table: all at once
      const root = document.documentElement;
      if (window.scrollY + window.innerHeight >= root.scrollHeight - 2) break;
      const was = window.scrollY;
      window.scrollBy(0, Math.max(200, window.innerHeight - 120));
      if (window.scrollY === was) {
        problems.push(`the page does not scroll past ${was} px of ${root.scrollHeight}`);
        break;
      }
      await settle();
      if (performance.now() - began > 120_000) {
        problems.push(`gave up scrolling after 120 s at ${window.scrollY} px of ${root.scrollHeight}`);
        break;
      }
    }
    for (const id of ids) if (!seen.has(id)) problems.push(`call ${id} is live in the fake but never appeared on the board`);
    const t = table();
    const rowCount = t?.getAttribute('aria-rowcount');
    if (rowCount !== null && rowCount !== undefined && Number(rowCount) !== expectedRows()) {
      problems.push(`aria-rowcount ${rowCount}, expected ${expectedRows()}`);
    }
    window.scrollTo(0, 0);
    return {
      liveInFake: ids.length,
      callsSeen: seen.size,
      scrollPositions: positions,
      ms: Math.round(performance.now() - began),
      mostCallsRenderedAtOnce: maxRendered,
      ariaRowCount: rowCount === null || rowCount === undefined ? null : Number(rowCount),
      expectedRows: expectedRows(),
      partyRowsChecked: tally.partyRows,
      mutedShown: tally.muted,
      heldShown: tally.held,
      problems: problems.length,
      examples: problems.slice(0, 8),
    };
  }

  // ------------------------------------------------------------------ update latency probes
  // Five times a second the feed's next change is a mute toggle on a party of a call near the top of the
  // board (rendered, on screen); each frame checks whether it shows yet. Event-to-frame latency.
  const probes = { sent: 0, seen: 0, superseded: 0, latencies: [], pending: [] };
  function probeChange() {
    const near = renderedCalls().slice(0, 10);
    if (near.length === 0) return undefined;
    const tbody = pick(near, probeRand);
    const call = calls.get(tbody.dataset.conversationId);
    const people = call ? call.live.filter((x) => x.actionable) : [];
    if (people.length === 0) return undefined;
    const p = pick(people, probeRand);
    p.muted = !p.muted;
    counts.mute++;
    probes.sent++;
    probes.pending = probes.pending.filter((q) => {
      if (q.participantId !== p.participantId) return true;
      probes.superseded++;
      return false;
    });
    probes.pending.push({ tbody, callId: call.id, participantId: p.participantId, name: p.name, muted: p.muted, at: performance.now() });
    return { kind: 'upsert', conversation: view(call) };
  }
  function probeShown(q) {
    let tbody = q.tbody;
    if (!tbody.isConnected) tbody = table()?.querySelector(`tbody[data-conversation-id="${q.callId}"]`);
    if (!tbody) return false;
    q.tbody = tbody;
    for (const row of tbody.rows) {
      if (rowName(row) === q.name) return Boolean(row.querySelector('.flag-muted')) === q.muted;
    }
    return false;
  }
  function checkProbes() {
    if (probes.pending.length === 0) return;
    const t = performance.now();
    probes.pending = probes.pending.filter((q) => {
      const call = calls.get(q.callId);
      const p = call?.live.find((x) => x.participantId === q.participantId);
      if (!p || p.muted !== q.muted) {
        probes.superseded++; // ended or changed again by the random feed: nothing stable to wait for
        return false;
      }
      if (!probeShown(q)) return true;
      probes.seen++;
      probes.latencies.push(t - q.at);
      return false;
    });
  }

  // ------------------------------------------------------------------ measurement
  const longTasks = [];
  const longFrames = [];
  const supported = PerformanceObserver.supportedEntryTypes ?? [];
  if (supported.includes('longtask')) {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  }
  if (supported.includes('long-animation-frame')) {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longFrames.push({ start: e.startTime, duration: e.duration, blocking: e.blockingDuration ?? 0 });
    }).observe({ type: 'long-animation-frame', buffered: true });
  }

  const heap = () => (performance.memory ? performance.memory.usedJSHeapSize : null);

  /** Frame deltas (and heap samples once a second) for `ms`; `onFrame` runs in each frame callback. */
  function measure(ms, onFrame) {
    return new Promise((resolve) => {
      const deltas = [];
      const heapSamples = [heap()];
      let last;
      let t0;
      let nextSecond;
      const step = (t) => {
        if (t0 === undefined) {
          t0 = t;
          last = t;
          nextSecond = t + 1000;
        } else {
          deltas.push(t - last);
          last = t;
        }
        if (t >= nextSecond) {
          nextSecond += 1000;
          heapSamples.push(heap());
        }
        onFrame?.();
        if (t - t0 < ms) requestAnimationFrame(step);
        else {
          const t1 = t;
          const inWindow = (e) => e.start >= t0 && e.start < t1;
          const tasks = longTasks.filter(inWindow);
          const frames = longFrames.filter(inWindow);
          resolve({
            windowMs: t1 - t0,
            deltas,
            longTasks: { count: tasks.length, totalMs: tasks.reduce((s, e) => s + e.duration, 0), maxMs: Math.max(0, ...tasks.map((e) => e.duration)) },
            longAnimationFrames: supported.includes('long-animation-frame')
              ? { count: frames.length, totalMs: frames.reduce((s, e) => s + e.duration, 0), blockingMs: frames.reduce((s, e) => s + e.blocking, 0) }
              : null,
            heap: heapSamples.filter((h) => h !== null),
          });
        }
      };
      requestAnimationFrame(step);
    });
  }

  function startFeed() {
    const t0 = performance.now();
    let probesDue = 0;
    feed = setInterval(() => {
      const elapsed = performance.now() - t0;
      const due = Math.floor((elapsed * config.rate) / 1000);
      while (sent < due) {
        let next;
        if (probesDue < Math.floor((elapsed * config.probesPerSecond) / 1000)) {
          probesDue++;
          next = probeChange();
        }
        seq++;
        sent++;
        deliver({ seq, changes: [next ?? change()] });
      }
    }, 5);
  }

  const bench = {
    subscribedAt: undefined,
    /** Resolves when the board shows the whole roster: ms from the snapshot to that frame. */
    firstPaint() {
      return new Promise((resolve) => {
        const check = () => {
          if (bench.subscribedAt !== undefined && boardShowsAll()) resolve(performance.now() - bench.subscribedAt);
          else requestAnimationFrame(check);
        };
        check();
      });
    },
    shown: () => ({ ready: boardShowsAll(), rendered: renderedCalls().length, live: ids.length }),
    idle(ms) {
      return measure(ms);
    },
    /** Starts the feed and measures for `ms`; the feed keeps running until `stopFeed`. */
    run(ms) {
      startFeed();
      return measure(ms, checkProbes).then((m) => ({
        ...m,
        sent,
        counts: { ...counts },
        probes: { sent: probes.sent, seen: probes.seen, superseded: probes.superseded, pending: probes.pending.length, latencies: [...probes.latencies] },
      }));
    },
    stopFeed() {
      clearInterval(feed);
      let lost = null;
      if (config.loseOneChange) {
        // Self-check of the bench: a mute toggle the UI never hears of must fail the comparison below.
        for (const id of ids) {
          const p = randomActionable(calls.get(id));
          if (!p) continue;
          p.muted = !p.muted;
          lost = `${p.name} muted=${p.muted} in call ${id}`;
          break;
        }
      }
      return { sent, seq, liveInFake: ids.length, lost };
    },
    /** After the feed stopped: probes still pending must show now (the UI had time to settle). */
    async lateProbes() {
      await settle();
      checkProbes();
      return { stillNotShown: probes.pending.map((q) => `${q.name} (${q.callId.slice(0, 8)}) muted=${q.muted}, sent ${Math.round(performance.now() - q.at)} ms ago`) };
    },
    verify,
    ipc: () => calls_,
    config,
  };
  window.__bench = bench;
})();
