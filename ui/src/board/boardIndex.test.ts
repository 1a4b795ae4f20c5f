import { describe, expect, it } from 'vitest';
import { conversation, demoBoard, party } from '../test/fixtures';
import { NO_QUEUE, PeopleSeen, filterOrder, findMatches, matcherOf, totalsOf } from './boardIndex';

const board = demoBoard();
const byId = new Map(board.map((c) => [c.id, c]));
const order = board.map((c) => c.id);

describe('questions over the whole board', () => {
  it('totals count calls, conferences and live people (not the ACD leg, not ended legs)', () => {
    expect(totalsOf(order, byId)).toEqual({ calls: 2, conferences: 1, people: 5 });
    expect(totalsOf([], byId)).toEqual({ calls: 0, conferences: 0, people: 0 });
  });

  it('filters by name (any case), queue, no queue and purpose; the focused call is kept', () => {
    const ids = (f: Parameters<typeof matcherOf>[0], keep?: string) => filterOrder(order, byId, matcherOf(f), keep);
    expect(ids({ name: 'JANE', queue: '', purpose: '' })).toEqual(['conf-1']);
    expect(ids({ name: 'jane', queue: '', purpose: 'customer' })).toEqual([]);
    expect(ids({ name: '', queue: '', purpose: 'external' })).toEqual(['conf-1']);
    expect(ids({ name: '', queue: 'q-sales', purpose: '' })).toEqual([]);
    expect(ids({ name: '', queue: NO_QUEUE, purpose: '' })).toEqual([]);
    expect(ids({ name: 'jane', queue: '', purpose: '' }, 'call-2')).toEqual(['conf-1', 'call-2']);
    // Every call passes: the same array comes back (nothing downstream recomputes for it).
    expect(ids({ name: '', queue: 'q-support', purpose: '' })).toBe(order);
    expect(filterOrder(order, byId, undefined)).toBe(order);
  });

  it('a matcher tests each conversation object once', () => {
    const matches = matcherOf({ name: 'alex', queue: '', purpose: '' });
    const call = byId.get('call-2');
    if (!call) throw new Error('fixture');
    expect(matches(call)).toBe(true);
    // The same object again: the cached answer (even if mutated behind its back, which the store never does).
    (call.parties[1] as { name: string }).name = 'Someone Else';
    expect(matches(call)).toBe(true);
    (call.parties[1] as { name: string }).name = 'Alex Agent';
  });

  it('finds present parties by name, in board order, skipping ended legs', () => {
    expect(findMatches(order, byId, 'a')).toEqual([
      { conversationId: 'conf-1', participantId: 'p-jane' },
      { conversationId: 'conf-1', participantId: 'p-ext' },
      { conversationId: 'call-2', participantId: 'p-c2' },
      { conversationId: 'call-2', participantId: 'p-a2' },
    ]);
    expect(findMatches(order, byId, 'support')).toEqual([]); // the ACD leg has ended
    expect(findMatches(order, byId, '  ')).toEqual([]);
  });

  it('remembers the people seen on the board, by name, after their calls end', () => {
    const seen = new PeopleSeen();
    const first = conversation('a', [party({ participantId: 'p1', name: 'Zoe Zed', userId: 'u-zoe' })]);
    seen.note(new Map([['a', first]]));
    const second = conversation('b', [
      party({ participantId: 'p2', name: 'Amy Ash', userId: 'u-amy' }),
      party({ participantId: 'p3', name: 'A Customer', purpose: 'customer' }),
    ]);
    seen.note(new Map([['b', second]]));
    expect(seen.list()).toEqual([
      { userId: 'u-amy', name: 'Amy Ash' },
      { userId: 'u-zoe', name: 'Zoe Zed' },
    ]);
    expect(seen.nameOf('u-zoe')).toBe('Zoe Zed');
  });
});
