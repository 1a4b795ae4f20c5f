import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConversationView, RosterEvent, RosterSnapshot } from '../platform';
import { LIVE, T0, connectionView, conversation, demoBoard, party, snapshot } from '../test/fixtures';
import { RosterStore, reuse, type RosterSource } from './rosterStore';

class FakeSource implements RosterSource {
  onEvent: ((event: RosterEvent) => void) | undefined;
  snapshots: RosterSnapshot[] = [];
  snapshotCalls = 0;
  constructor(private readonly first: RosterSnapshot) {}
  subscribe(onEvent: (event: RosterEvent) => void): Promise<RosterSnapshot> {
    this.onEvent = onEvent;
    return Promise.resolve(this.first);
  }
  snapshot(): Promise<RosterSnapshot> {
    this.snapshotCalls++;
    const next = this.snapshots.shift();
    return next ? Promise.resolve(next) : Promise.reject(new Error('no snapshot queued'));
  }
  push(event: RosterEvent): void {
    if (!this.onEvent) throw new Error('not subscribed');
    this.onEvent(event);
  }
}

async function started(first = snapshot(demoBoard(), 5)) {
  const source = new FakeSource(first);
  const store = new RosterStore(source, 75);
  await store.start();
  return { source, store };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('RosterStore', () => {
  it('starts from the snapshot, oldest call first', async () => {
    const { store } = await started();
    const s = store.getState();
    expect(s.status).toBe('ready');
    expect(s.seq).toBe(5);
    expect(s.order).toEqual(['conf-1', 'call-2']);
    expect(s.connection).toEqual(LIVE);
  });

  it('batches changes on a timer and renders once per batch window', async () => {
    const { source, store } = await started();
    const listener = vi.fn();
    store.subscribe(listener);
    const base = demoBoard()[1];
    if (!base) throw new Error('fixture');
    for (let i = 0; i < 10; i++) {
      source.push({
        seq: 6 + i,
        changes: [{ kind: 'upsert', conversation: { ...base, parties: base.parties.map((p) => ({ ...p, muted: i % 2 === 0 })) } }],
      });
    }
    expect(listener).not.toHaveBeenCalled();
    expect(store.getState().seq).toBe(5);
    vi.advanceTimersByTime(75);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(store.getState().seq).toBe(15);
    expect(store.getState().byId.get('call-2')?.parties[0]?.muted).toBe(false);
  });

  it('keeps the identity of unchanged conversations, parties and the order', async () => {
    const { source, store } = await started();
    const before = store.getState();
    const conf = before.byId.get('conf-1');
    const call = before.byId.get('call-2');
    if (!conf || !call) throw new Error('fixture');
    // Re-send both; change only Jane's mute flag.
    source.push({
      seq: 6,
      changes: [
        { kind: 'upsert', conversation: structuredClone(call) },
        {
          kind: 'upsert',
          conversation: {
            ...structuredClone(conf),
            parties: conf.parties.map((p) => (p.participantId === 'p-jane' ? { ...p, muted: true } : structuredClone(p))),
          },
        },
      ],
    });
    vi.advanceTimersByTime(75);
    const after = store.getState();
    expect(after.byId.get('call-2')).toBe(call);
    const newConf = after.byId.get('conf-1');
    expect(newConf).not.toBe(conf);
    expect(newConf?.parties[0]).toBe(conf.parties[0]);
    expect(newConf?.parties[1]).not.toBe(conf.parties[1]);
    expect(newConf?.parties[1]?.muted).toBe(true);
    expect(newConf?.parties[2]).toBe(conf.parties[2]);
    expect(after.order).toBe(before.order);
  });

  it('does not notify when a batch changes nothing', async () => {
    const { source, store } = await started();
    const listener = vi.fn();
    store.subscribe(listener);
    const conf = store.getState().byId.get('conf-1');
    if (!conf) throw new Error('fixture');
    source.push({ seq: 6, changes: [{ kind: 'upsert', conversation: structuredClone(conf) }] });
    vi.advanceTimersByTime(75);
    expect(listener).not.toHaveBeenCalled();
    expect(store.getState().seq).toBe(6);
  });

  it('applies remove, reset and connection changes', async () => {
    const { source, store } = await started();
    source.push({ seq: 6, changes: [{ kind: 'remove', conversationId: 'conf-1' }] });
    source.push({
      seq: 7,
      changes: [
        {
          kind: 'connection',
          connection: connectionView({ state: 'reconnecting', staleSinceMs: T0, retryInMs: 2000, detail: 'socket lost' }),
        },
      ],
    });
    vi.advanceTimersByTime(75);
    expect(store.getState().order).toEqual(['call-2']);
    expect(store.getState().connection.state).toBe('reconnecting');

    const fresh = conversation('new-1', [party({ participantId: 'p-n', name: 'Nora New' })], { startedAtMs: T0 - 1 });
    const kept = store.getState().byId.get('call-2');
    if (!kept) throw new Error('fixture');
    source.push({ seq: 8, changes: [{ kind: 'reset', conversations: [structuredClone(kept), fresh] }] });
    vi.advanceTimersByTime(75);
    expect(store.getState().order).toEqual(['new-1', 'call-2']);
    expect(store.getState().byId.get('call-2')).toBe(kept);
  });

  it('on a sequence gap re-reads the snapshot and drops batches it already contains', async () => {
    const { source, store } = await started();
    const after: ConversationView[] = [
      conversation('only', [party({ participantId: 'p-o', name: 'Olga Only' })]),
    ];
    source.snapshots.push(snapshot(after, 9));
    // seq 6 is missing: 7 arrives first.
    source.push({ seq: 7, changes: [{ kind: 'remove', conversationId: 'conf-1' }] });
    source.push({ seq: 9, changes: [{ kind: 'remove', conversationId: 'call-2' }] });
    source.push({ seq: 10, changes: [{ kind: 'upsert', conversation: conversation('late', [party({ participantId: 'p-l', name: 'Lee Late' })], { startedAtMs: T0 + 1 }) }] });
    vi.advanceTimersByTime(75);
    await vi.runAllTimersAsync();
    const s = store.getState();
    expect(source.snapshotCalls).toBe(1);
    expect(s.resyncs).toBe(1);
    expect(s.seq).toBe(10);
    expect(s.order).toEqual(['only', 'late']);
  });

  it('reports a failed subscribe as a failed board with the command error', async () => {
    const source: RosterSource = {
      // The IPC layer rejects with the plain IpcError object, not an Error.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      subscribe: () => Promise.reject({ code: 'Unreachable', message: 'Genesys Cloud could not be reached' }),
      snapshot: () => Promise.reject(new Error('unused')),
    };
    const store = new RosterStore(source);
    await store.start();
    expect(store.getState().status).toBe('failed');
    expect(store.getState().error?.code).toBe('Unreachable');
  });

  it('ignores batches after stop', async () => {
    const { source, store } = await started();
    store.stop();
    source.push({ seq: 6, changes: [{ kind: 'remove', conversationId: 'conf-1' }] });
    vi.advanceTimersByTime(200);
    expect(store.getState().order).toEqual(['conf-1', 'call-2']);
  });

  it('applies 200 updates to a 1,000-call board quickly, reusing everything unchanged', async () => {
    const calls = Array.from({ length: 1000 }, (_, i) =>
      conversation(
        `c-${String(i)}`,
        [
          party({ participantId: `cust-${String(i)}`, name: `Customer ${String(i)}`, purpose: 'customer' }),
          party({ participantId: `agent-${String(i)}`, name: `Agent ${String(i)}` }),
          party({ participantId: `ext-${String(i)}`, name: `External ${String(i)}`, purpose: 'external' }),
        ],
        { startedAtMs: T0 + i },
      ),
    );
    const { source, store } = await started(snapshot(calls, 1));
    const before = store.getState();
    const started_ = performance.now();
    for (let k = 0; k < 200; k++) {
      const target = calls[(k * 7) % 1000];
      if (!target) throw new Error('fixture');
      source.push({
        seq: 2 + k,
        changes: [
          {
            kind: 'upsert',
            conversation: { ...target, parties: target.parties.map((p, j) => (j === 1 ? { ...p, muted: k % 2 === 0 } : { ...p })) },
          },
        ],
      });
    }
    vi.advanceTimersByTime(75);
    const elapsed = performance.now() - started_;
    const after = store.getState();
    expect(after.seq).toBe(201);
    expect(after.order).toBe(before.order);
    const untouched = before.byId.get('c-1');
    expect(after.byId.get('c-1')).toBe(untouched);
    expect(elapsed).toBeLessThan(50);
  });
});

describe('reuse', () => {
  it('returns the previous conversation when equal, and a fresh one otherwise', () => {
    const [a] = demoBoard();
    if (!a) throw new Error('fixture');
    expect(reuse(a, structuredClone(a))).toBe(a);
    const moved = reuse(a, { ...structuredClone(a), queueIds: ['q-other'] });
    expect(moved).not.toBe(a);
    expect(moved.parties[0]).toBe(a.parties[0]);
    expect(reuse(undefined, a)).toBe(a);
  });
});
