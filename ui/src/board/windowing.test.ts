import { describe, expect, it } from 'vitest';
import { conversation, party } from '../test/fixtures';
import { HeightCache, estimateHeight, layoutOf, piecesOf, rangeOf } from './windowing';

function call(id: string, live: number, ended = 0) {
  const parties = [
    ...Array.from({ length: live }, (_, i) => party({ participantId: `${id}-l${String(i)}`, name: `Live ${String(i)}` })),
    ...Array.from({ length: ended }, (_, i) =>
      party({ participantId: `${id}-e${String(i)}`, name: `Gone ${String(i)}`, status: 'ended', actionable: false }),
    ),
  ];
  return conversation(id, parties);
}

describe('board windowing', () => {
  it('lays calls out from measured heights where known, estimates elsewhere, and counts every row', () => {
    const calls = [call('a', 2, 1), call('b', 3), call('c', 2)];
    const byId = new Map(calls.map((c) => [c.id, c]));
    const heights = new HeightCache();
    heights.record('b', 500);
    heights.record('c', 0); // not laid out: ignored

    const layout = layoutOf(['a', 'b', 'c'], byId, heights);

    const a = estimateHeight(calls[0]);
    expect([...layout.tops]).toEqual([0, a, a + 500, a + 500 + estimateHeight(calls[2])]);
    // Column headers are row 1; each call is its header row plus one row per leg.
    expect([...layout.rowIndex]).toEqual([2, 6, 10]);
    expect(layout.totalRows).toBe(1 + 4 + 4 + 3);
  });

  it('finds the calls that overlap a band, and none outside the board', () => {
    const tops = Float64Array.from([0, 100, 250, 300, 500]);
    expect(rangeOf(tops, 0, 100)).toEqual({ start: 0, end: 1 });
    expect(rangeOf(tops, 99, 101)).toEqual({ start: 0, end: 2 });
    expect(rangeOf(tops, 260, 1000)).toEqual({ start: 2, end: 4 });
    expect(rangeOf(tops, -800, -10)).toEqual({ start: 0, end: 0 });
    expect(rangeOf(tops, 600, 900)).toEqual({ start: 4, end: 4 });
    expect(rangeOf(Float64Array.from([0]), 0, 1000)).toEqual({ start: 0, end: 0 });
  });

  it('forgets heights of calls that are gone once it holds many more than the board', () => {
    const heights = new HeightCache();
    for (let i = 0; i < 300; i++) heights.record(`c${String(i)}`, 40);
    heights.prune(new Map([['c1', true]]));
    expect(heights.get('c1')).toBe(40);
    expect(heights.get('c2')).toBeUndefined();
  });

  it('fills the table with gaps around the rendered calls, and keeps the focused call where it belongs', () => {
    const tops = Float64Array.from([0, 100, 200, 300, 400, 500]);
    expect(piecesOf(tops, 2, 4, -1)).toEqual([
      { kind: 'gap', height: 200 },
      { kind: 'call', index: 2 },
      { kind: 'call', index: 3 },
      { kind: 'gap', height: 100 },
    ]);
    expect(piecesOf(tops, 0, 5, -1)).toEqual([0, 1, 2, 3, 4].map((index) => ({ kind: 'call', index })));
    // Focus above the range: the call sits between two gaps at its own place.
    expect(piecesOf(tops, 3, 5, 1)).toEqual([
      { kind: 'gap', height: 100 },
      { kind: 'call', index: 1 },
      { kind: 'gap', height: 100 },
      { kind: 'call', index: 3 },
      { kind: 'call', index: 4 },
    ]);
    // Below the range, and a focused call inside the range changes nothing.
    expect(piecesOf(tops, 0, 1, 4)).toEqual([
      { kind: 'call', index: 0 },
      { kind: 'gap', height: 300 },
      { kind: 'call', index: 4 },
    ]);
    expect(piecesOf(tops, 2, 4, 3)).toEqual(piecesOf(tops, 2, 4, -1));
  });
});
