// The live board's store (STYLE habit 15): conversations in a map by id plus an ordered id list; change
// batches from Rust are queued and applied together on a short timer; unchanged conversations and parties
// keep their object identity so memoised rows skip rendering; selectors only read, never allocate.
import { useCallback, useSyncExternalStore } from 'react';
import { asCommandError, type CommandError } from '../platform';
import type {
  BoardCompleteness,
  ConnectionView,
  ConversationView,
  PartyView,
  RosterEvent,
  RosterSnapshot,
} from '../platform';

/** Where the store gets its data: the platform functions in the app, fakes in tests. */
export interface RosterSource {
  subscribe(onEvent: (event: RosterEvent) => void): Promise<RosterSnapshot>;
  snapshot(): Promise<RosterSnapshot>;
}

export interface BoardState {
  readonly status: 'loading' | 'ready' | 'failed';
  readonly error: CommandError | undefined;
  readonly byId: ReadonlyMap<string, ConversationView>;
  /** Conversation ids, oldest call first (new calls append, so rows do not jump). */
  readonly order: readonly string[];
  readonly connection: ConnectionView;
  /** When the current connection status arrived (ms since the Unix epoch): the base of its countdowns. */
  readonly connectionAtMs: number;
  /** Sequence number of the last batch applied. */
  readonly seq: number;
  /** How many times a gap (or a failure to apply) made the store re-read the whole board. */
  readonly resyncs: number;
}

/** Applying a batch is cheap, but rendering is not: 75 ms batches keep 200 updates/s to ~13 renders/s. */
export const DEFAULT_FLUSH_MS = 75;

const EMPTY: BoardCompleteness = {
  discovered: 0,
  held: 0,
  fullDetail: 0,
  unread: 0,
  retryInMs: null,
  complete: false,
  missingPermissions: [],
  notices: [],
};

const IDLE: ConnectionView = {
  state: 'idle',
  staleSinceMs: null,
  retryInMs: null,
  detail: null,
  sessionExpired: false,
  completeness: EMPTY,
};

function initialState(): BoardState {
  return {
    status: 'loading',
    error: undefined,
    byId: new Map(),
    order: [],
    connection: IDLE,
    connectionAtMs: 0,
    seq: 0,
    resyncs: 0,
  };
}

function sameParty(a: PartyView, b: PartyView): boolean {
  return (
    a.participantId === b.participantId &&
    a.name === b.name &&
    a.purpose === b.purpose &&
    a.state === b.state &&
    a.muted === b.muted &&
    a.held === b.held &&
    a.confined === b.confined &&
    a.status === b.status &&
    a.actionable === b.actionable &&
    a.connectedSinceMs === b.connectedSinceMs &&
    a.endedAtMs === b.endedAtMs &&
    a.userId === b.userId
  );
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function sameCompleteness(a: BoardCompleteness, b: BoardCompleteness): boolean {
  return (
    a.discovered === b.discovered &&
    a.held === b.held &&
    a.fullDetail === b.fullDetail &&
    a.unread === b.unread &&
    a.retryInMs === b.retryInMs &&
    a.complete === b.complete &&
    sameStrings(a.missingPermissions, b.missingPermissions) &&
    sameStrings(a.notices, b.notices)
  );
}

function sameConnection(a: ConnectionView, b: ConnectionView): boolean {
  return (
    a.state === b.state &&
    a.staleSinceMs === b.staleSinceMs &&
    a.retryInMs === b.retryInMs &&
    a.detail === b.detail &&
    a.sessionExpired === b.sessionExpired &&
    sameCompleteness(a.completeness, b.completeness)
  );
}

/**
 * The incoming conversation, but reusing the previous objects wherever nothing changed: the previous
 * conversation itself when it is equal, else each unchanged party.
 */
export function reuse(prev: ConversationView | undefined, next: ConversationView): ConversationView {
  if (!prev) return next;
  const oldParties = new Map(prev.parties.map((p) => [p.participantId, p]));
  let allSame = prev.parties.length === next.parties.length;
  const parties = next.parties.map((party, i) => {
    const old = oldParties.get(party.participantId);
    if (old && sameParty(old, party)) {
      if (prev.parties[i] !== old) allSame = false;
      return old;
    }
    allSame = false;
    return party;
  });
  if (
    allSame &&
    prev.id === next.id &&
    prev.startedAtMs === next.startedAtMs &&
    prev.isConference === next.isConference &&
    prev.fullDetail === next.fullDetail &&
    sameStrings(prev.queueIds, next.queueIds) &&
    sameStrings(prev.watchedUserIds, next.watchedUserIds)
  ) {
    return prev;
  }
  return { ...next, parties };
}

function orderOf(byId: ReadonlyMap<string, ConversationView>): string[] {
  return [...byId.values()]
    .sort((a, b) => (a.startedAtMs ?? Infinity) - (b.startedAtMs ?? Infinity) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((c) => c.id);
}

export class RosterStore {
  private state: BoardState = initialState();
  private readonly listeners = new Set<() => void>();
  private pending: RosterEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private resyncing = false;
  private stopped = false;
  /** Bumped by start/stop so answers to an older start are ignored. */
  private generation = 0;

  constructor(
    private readonly source: RosterSource,
    private readonly flushMs = DEFAULT_FLUSH_MS,
  ) {}

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getState = (): BoardState => this.state;

  /** Opens the feed; the first snapshot replaces whatever was shown. Safe to call again to retry. */
  async start(): Promise<void> {
    const generation = ++this.generation;
    this.stopped = false;
    this.pending = [];
    this.set({ ...this.state, status: 'loading', error: undefined });
    try {
      const snapshot = await this.source.subscribe(this.onEvent);
      if (generation !== this.generation) return;
      this.applySnapshot(snapshot, false);
      this.schedule();
    } catch (error) {
      if (generation !== this.generation) return;
      this.set({ ...this.state, status: 'failed', error: asCommandError('roster_subscribe', error) });
    }
  }

  /** Stops applying events (the screen went away); a later `start` resumes. */
  stop(): void {
    this.generation++;
    this.stopped = true;
    this.pending = [];
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Receives one batch from the channel; applied on the next flush, never synchronously. */
  readonly onEvent = (event: RosterEvent): void => {
    if (this.stopped) return;
    this.pending.push(event);
    this.schedule();
  };

  /** Applies every queued batch now (the timer calls this; tests may too). */
  flush(): void {
    this.timer = undefined;
    if (this.stopped || this.resyncing || this.state.status === 'loading' || this.pending.length === 0) return;
    const batches = this.pending;
    this.pending = [];

    let byId: Map<string, ConversationView> | undefined;
    let orderDirty = false;
    let { connection, seq } = this.state;
    const writable = () => (byId ??= new Map(this.state.byId));
    const current = (id: string) => (byId ?? this.state.byId).get(id);

    for (let i = 0; i < batches.length; i++) {
      const batch = batches[i];
      if (!batch || batch.seq <= seq) continue; // already part of the snapshot
      if (batch.seq !== seq + 1) {
        // Batches were lost: nothing after this point can be trusted until a fresh snapshot.
        this.pending = batches.slice(i);
        this.commit(byId, orderDirty, connection, seq);
        void this.resync();
        return;
      }
      for (const change of batch.changes) {
        switch (change.kind) {
          case 'upsert': {
            const prev = current(change.conversation.id);
            const next = reuse(prev, change.conversation);
            if (next !== prev) {
              writable().set(next.id, next);
              if (prev?.startedAtMs !== next.startedAtMs) orderDirty = true;
            }
            break;
          }
          case 'remove':
            if (current(change.conversationId)) {
              writable().delete(change.conversationId);
              orderDirty = true;
            }
            break;
          case 'reset': {
            const fresh = new Map<string, ConversationView>();
            for (const conversation of change.conversations) {
              fresh.set(conversation.id, reuse(current(conversation.id), conversation));
            }
            byId = fresh;
            orderDirty = true;
            break;
          }
          case 'connection':
            if (!sameConnection(connection, change.connection)) connection = change.connection;
            break;
        }
      }
      seq = batch.seq;
    }
    this.commit(byId, orderDirty, connection, seq);
  }

  private commit(
    byId: Map<string, ConversationView> | undefined,
    orderDirty: boolean,
    connection: ConnectionView,
    seq: number,
  ): void {
    const nextById = byId ?? this.state.byId;
    let order = this.state.order;
    if (orderDirty) {
      const fresh = orderOf(nextById);
      if (!sameStrings(fresh, order)) order = fresh;
    }
    if (nextById === this.state.byId && order === this.state.order && connection === this.state.connection) {
      if (seq !== this.state.seq) this.state = { ...this.state, seq }; // no render needed
      return;
    }
    const connectionAtMs = connection === this.state.connection ? this.state.connectionAtMs : Date.now();
    this.set({ ...this.state, byId: nextById, order, connection, connectionAtMs, seq });
  }

  private async resync(): Promise<void> {
    if (this.resyncing) return;
    this.resyncing = true;
    const generation = this.generation;
    try {
      const snapshot = await this.source.snapshot();
      if (generation !== this.generation) return;
      this.applySnapshot(snapshot, true);
    } catch (error) {
      if (generation === this.generation) {
        this.set({ ...this.state, status: 'failed', error: asCommandError('roster_snapshot', error) });
      }
    } finally {
      this.resyncing = false;
    }
    this.schedule();
  }

  private applySnapshot(snapshot: RosterSnapshot, isResync: boolean): void {
    const byId = new Map<string, ConversationView>();
    for (const conversation of snapshot.conversations) {
      byId.set(conversation.id, reuse(this.state.byId.get(conversation.id), conversation));
    }
    const fresh = orderOf(byId);
    const connectionSame = sameConnection(this.state.connection, snapshot.connection);
    this.set({
      status: 'ready',
      error: undefined,
      byId,
      order: sameStrings(fresh, this.state.order) ? this.state.order : fresh,
      connection: connectionSame ? this.state.connection : snapshot.connection,
      connectionAtMs: connectionSame ? this.state.connectionAtMs : Date.now(),
      seq: snapshot.seq,
      resyncs: this.state.resyncs + (isResync ? 1 : 0),
    });
  }

  private schedule(): void {
    if (this.timer !== undefined || this.pending.length === 0 || this.stopped) return;
    // setTimeout (not requestAnimationFrame): keeps applying while the window is in the background.
    this.timer = setTimeout(() => {
      this.flush();
    }, this.flushMs);
  }

  private set(next: BoardState): void {
    this.state = next;
    for (const listener of this.listeners) listener();
  }
}

/** Reads one slice of the board; `select` must return something already in the state (no allocation). */
export function useRoster<T>(store: RosterStore, select: (state: BoardState) => T): T {
  const get = useCallback(() => select(store.getState()), [store, select]);
  return useSyncExternalStore(store.subscribe, get, get);
}

export const selectOrder = (s: BoardState) => s.order;
export const selectById = (s: BoardState) => s.byId;
export const selectConnection = (s: BoardState) => s.connection;
export const selectConnectionAt = (s: BoardState) => s.connectionAtMs;
export const selectStatus = (s: BoardState) => s.status;
export const selectError = (s: BoardState) => s.error;

/** One conversation by id (the stored object, so an unchanged conversation is the same reference). */
export function useConversation(store: RosterStore, id: string): ConversationView | undefined {
  const select = useCallback((s: BoardState) => s.byId.get(id), [id]);
  return useRoster(store, select);
}
