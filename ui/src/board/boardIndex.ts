// Questions asked of every call in the store, not only the rendered ones: totals, filters, "find a person"
// and the people seen. With 5,000 calls these run on each flush and keystroke, so they are single passes
// over the ordered ids, and per-object answers are cached in WeakMaps keyed by the store's objects (which
// keep their identity while unchanged), so a flush that changed one call re-examines one call.
import type { ConversationView, PartyView } from '../platform';

/** The queue filter's value for calls on no watched queue (bridges on a watched person's topic). */
export const NO_QUEUE = '\u0000no-queue';

export interface BoardFilters {
  /** Part of a party's name, any case; empty matches every call. */
  readonly name: string;
  /** A queue id, `NO_QUEUE`, or empty for every queue. */
  readonly queue: string;
  /** A purpose (`agent`, `customer`, ...) some party on the call has; empty for any. */
  readonly purpose: string;
}

export const NO_FILTERS: BoardFilters = { name: '', queue: '', purpose: '' };

export function filtersActive(filters: BoardFilters): boolean {
  return filters.name.trim() !== '' || filters.queue !== '' || filters.purpose !== '';
}

/** Legs that are (or are about to be) on the call: what totals count and "find a person" looks through. */
export function isPresent(party: PartyView): boolean {
  return party.status === 'live' || party.status === 'other';
}

const lowerNames = new WeakMap<PartyView, string>();

function lowerName(party: PartyView): string {
  let lower = lowerNames.get(party);
  if (lower === undefined) {
    lower = party.name.toLocaleLowerCase();
    lowerNames.set(party, lower);
  }
  return lower;
}

export interface BoardTotals {
  readonly calls: number;
  readonly conferences: number;
  /** Live people on all calls together (the queue's ACD legs are not people). */
  readonly people: number;
}

const peopleCounts = new WeakMap<ConversationView, number>();

/** Live people on one call, as the conference badge counts them. */
export function livePeople(conversation: ConversationView): number {
  let n = peopleCounts.get(conversation);
  if (n === undefined) {
    n = 0;
    for (const p of conversation.parties) if (p.status === 'live' && p.purpose !== 'acd') n++;
    peopleCounts.set(conversation, n);
  }
  return n;
}

export function totalsOf(order: readonly string[], byId: ReadonlyMap<string, ConversationView>): BoardTotals {
  let conferences = 0;
  let people = 0;
  for (const id of order) {
    const c = byId.get(id);
    if (!c) continue;
    if (c.isConference) conferences++;
    people += livePeople(c);
  }
  return { calls: order.length, conferences, people };
}

/**
 * A test of one call against `filters`, remembering its answer per conversation object: make one per
 * filter value (memoised), and a flush re-tests only the calls it replaced.
 */
export function matcherOf(filters: BoardFilters): (conversation: ConversationView) => boolean {
  const name = filters.name.trim().toLocaleLowerCase();
  const { queue, purpose } = filters;
  const answers = new WeakMap<ConversationView, boolean>();
  const partyMatches = (p: PartyView) =>
    (purpose === '' || p.purpose === purpose) && (name === '' || lowerName(p).includes(name));
  const test = (c: ConversationView): boolean => {
    if (queue === NO_QUEUE ? c.queueIds.length > 0 : queue !== '' && !c.queueIds.includes(queue)) return false;
    if (name === '' && purpose === '') return true;
    // Name and purpose must hold for the same party: "agent named Jane", not "Jane and some agent".
    return c.parties.some(partyMatches);
  };
  return (c) => {
    let answer = answers.get(c);
    if (answer === undefined) {
      answer = test(c);
      answers.set(c, answer);
    }
    return answer;
  };
}

/**
 * The ids of the calls that pass `matches`, in board order, plus `keep` (the call holding keyboard focus,
 * which never vanishes from under the user). Returns `order` itself when every call passes.
 */
export function filterOrder(
  order: readonly string[],
  byId: ReadonlyMap<string, ConversationView>,
  matches: ((conversation: ConversationView) => boolean) | undefined,
  keep?: string,
): readonly string[] {
  if (!matches) return order;
  const shown: string[] = [];
  for (const id of order) {
    const c = byId.get(id);
    if (c && (matches(c) || id === keep)) shown.push(id);
  }
  return shown.length === order.length ? order : shown;
}

export interface FindMatch {
  readonly conversationId: string;
  readonly participantId: string;
}

/** Every present party whose name contains `query` (any case), in board order. */
export function findMatches(
  order: readonly string[],
  byId: ReadonlyMap<string, ConversationView>,
  query: string,
): FindMatch[] {
  const q = query.trim().toLocaleLowerCase();
  if (q === '') return [];
  const found: FindMatch[] = [];
  for (const id of order) {
    const c = byId.get(id);
    if (!c) continue;
    for (const p of c.parties) {
      if (isPresent(p) && lowerName(p).includes(q)) found.push({ conversationId: id, participantId: p.participantId });
    }
  }
  return found;
}

/** Purposes seen on the board plus the common ones, for the purpose filter. */
export function purposesOf(byId: ReadonlyMap<string, ConversationView>): string[] {
  const seen = new Set(['agent', 'customer', 'external', 'user']);
  for (const c of byId.values()) for (const p of c.parties) seen.add(p.purpose);
  seen.delete('unknown');
  return [...seen].sort();
}

/** A Genesys user seen on the board, for picking people to watch. */
export interface Person {
  readonly userId: string;
  readonly name: string;
}

/**
 * Everyone with a user id seen on the board this session (they stay after their call ends), so the queue
 * screen can offer them by name. Fed by the board; read by the queue screen.
 */
export class PeopleSeen {
  private readonly names = new Map<string, string>();
  private readonly looked = new WeakSet<ConversationView>();

  /** Notes the people on every call not looked at yet. */
  note(byId: ReadonlyMap<string, ConversationView>): void {
    for (const c of byId.values()) {
      if (this.looked.has(c)) continue;
      this.looked.add(c);
      for (const p of c.parties) if (p.userId !== null && p.name !== '') this.names.set(p.userId, p.name);
    }
  }

  nameOf(userId: string): string | undefined {
    return this.names.get(userId);
  }

  /** By name (then id, for namesakes). */
  list(): Person[] {
    return [...this.names]
      .map(([userId, name]) => ({ userId, name }))
      .sort((a, b) => a.name.localeCompare(b.name) || (a.userId < b.userId ? -1 : 1));
  }
}
