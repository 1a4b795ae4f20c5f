// Per-party action state (pending, last outcome), kept apart from the roster so a roster update never
// wipes an outcome shown in place, and an outcome never re-renders other rows.
import { useCallback, useSyncExternalStore } from 'react';
import type { ActionKind, ActionResult, CommandError } from '../platform';

export interface PartyActionState {
  /** What is in flight for this party, if anything. */
  readonly pending: ActionKind | undefined;
  /** The last outcome, shown in the row. */
  readonly result: ActionResult | undefined;
  /** The last command failure (session over, rate limited, ...), shown in the row. */
  readonly error: CommandError | undefined;
}

export class ActionStore {
  private entries = new Map<string, PartyActionState>();
  private readonly listeners = new Set<() => void>();

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  get(participantId: string): PartyActionState | undefined {
    return this.entries.get(participantId);
  }

  start(participantId: string, action: ActionKind): void {
    this.put(participantId, { pending: action, result: undefined, error: undefined });
  }

  finish(participantId: string, result: ActionResult): void {
    this.put(participantId, { pending: undefined, result, error: undefined });
  }

  fail(participantId: string, error: CommandError): void {
    this.put(participantId, { pending: undefined, result: undefined, error });
  }

  /** Forgets the shown outcome (for example when the user starts another action). */
  clear(participantId: string): void {
    if (!this.entries.has(participantId)) return;
    this.entries = new Map(this.entries);
    this.entries.delete(participantId);
    this.emit();
  }

  private put(participantId: string, state: PartyActionState): void {
    this.entries = new Map(this.entries);
    this.entries.set(participantId, state);
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

/** The action state of one party (a stored object, or `undefined`). */
export function usePartyAction(store: ActionStore, participantId: string): PartyActionState | undefined {
  const get = useCallback(() => store.get(participantId), [store, participantId]);
  return useSyncExternalStore(store.subscribe, get, get);
}
