// The board renders only the calls in or near the viewport. Measured (bench/frame-times.mjs): with every
// one of 1,000 calls in the DOM, each roster flush and each 1-second tick re-laid out a 140,000-node table
// and frames took hundreds of milliseconds; with a window of a few dozen calls they fit in one frame.
// The table keeps its row roles: `aria-rowcount` on the table and `aria-rowindex` on every rendered row.
import { useEffect, useState, type RefObject } from 'react';
import type { ConversationView } from '../platform';

/** Calls are rendered this far above and below the viewport, so Tab and short scrolls never reach a gap. */
export const OVERSCAN_PX = 800;

/** The viewport is tracked in steps of this many pixels: scrolling re-renders the board that often, no more. */
const BAND_STEP_PX = 100;

/** When nothing can be measured (no layout, as in tests), this tall a viewport is assumed. */
const FALLBACK_VIEWPORT_PX = 1000;

// Rough heights until a call has been on screen and measured (a header row, live legs, legs with a note).
const HEADER_PX = 44;
const LIVE_ROW_PX = 38;
const NOTED_ROW_PX = 50;

/** A call's height before it has been measured. */
export function estimateHeight(conversation: ConversationView | undefined): number {
  if (!conversation) return 0;
  let height = HEADER_PX;
  for (const party of conversation.parties) height += party.status === 'live' ? LIVE_ROW_PX : NOTED_ROW_PX;
  return height;
}

/** Measured heights of calls that have been rendered, by conversation id. */
export class HeightCache {
  private readonly heights = new Map<string, number>();

  get(id: string): number | undefined {
    return this.heights.get(id);
  }

  /** Remembers what the DOM says; zero (nothing laid out) is ignored. */
  record(id: string, height: number): void {
    if (height > 0) this.heights.set(id, height);
  }

  /** Forgets calls that are gone, once the cache holds many more than the board. */
  prune(live: ReadonlyMap<string, unknown>): void {
    if (this.heights.size <= 2 * live.size + 100) return;
    for (const id of this.heights.keys()) if (!live.has(id)) this.heights.delete(id);
  }
}

/** Where each call sits: its top in px from the first call, and the `aria-rowindex` of its header row. */
export interface BoardLayout {
  /** `tops[i]` is the top of call `i`; `tops[n]` is the height of all calls together. */
  readonly tops: Float64Array;
  /** `aria-rowindex` of call `i`'s header row (the column header row is 1). */
  readonly rowIndex: Int32Array;
  /** Every row of the whole table (column headers, call headers and legs), rendered or not. */
  readonly totalRows: number;
}

/** Lays out the ordered calls, using measured heights where known and estimates elsewhere. */
export function layoutOf(
  order: readonly string[],
  byId: ReadonlyMap<string, ConversationView>,
  heights: HeightCache,
): BoardLayout {
  const tops = new Float64Array(order.length + 1);
  const rowIndex = new Int32Array(order.length);
  let top = 0;
  let row = 2;
  for (let i = 0; i < order.length; i++) {
    const id = order[i] ?? '';
    const conversation = byId.get(id);
    tops[i] = top;
    rowIndex[i] = row;
    top += heights.get(id) ?? estimateHeight(conversation);
    row += conversation ? 1 + conversation.parties.length : 0;
  }
  tops[order.length] = top;
  return { tops, rowIndex, totalRows: row - 1 };
}

/** The calls `[start, end)` that overlap the band `[from, to)` (px from the top of the first call). */
export function rangeOf(tops: Float64Array, from: number, to: number): { start: number; end: number } {
  const n = tops.length - 1;
  // First call whose bottom is below `from`; then the first call whose top is at or past `to`.
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((tops[mid + 1] ?? 0) <= from) lo = mid + 1;
    else hi = mid;
  }
  const start = lo;
  hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((tops[mid] ?? 0) < to) lo = mid + 1;
    else hi = mid;
  }
  return { start, end: Math.max(start, lo) };
}

/** What the table body holds, top to bottom: rendered calls (by index) and gaps standing in for the rest. */
export type Piece = { readonly kind: 'call'; readonly index: number } | { readonly kind: 'gap'; readonly height: number };

/**
 * Calls `[start, end)` with gaps above and below; `pinned` (the call holding keyboard focus, or -1) is
 * rendered where it belongs even when it is outside the range, so scrolling never takes focus away.
 */
export function piecesOf(tops: Float64Array, start: number, end: number, pinned: number): Piece[] {
  const n = tops.length - 1;
  const top = (i: number) => tops[i] ?? 0;
  const pieces: Piece[] = [];
  const gap = (from: number, to: number) => {
    if (to > from) pieces.push({ kind: 'gap', height: top(to) - top(from) });
  };
  const calls = (from: number, to: number) => {
    for (let i = from; i < to; i++) pieces.push({ kind: 'call', index: i });
  };
  const outside = pinned >= 0 && pinned < n && (pinned < start || pinned >= end);
  if (outside && pinned < start) {
    gap(0, pinned);
    calls(pinned, pinned + 1);
    gap(pinned + 1, start);
  } else {
    gap(0, start);
  }
  calls(start, end);
  if (outside && pinned >= end) {
    gap(end, pinned);
    calls(pinned, pinned + 1);
    gap(pinned + 1, n);
  } else {
    gap(end, n);
  }
  return pieces;
}

/** The part of the page the user sees, in px from the top of `ref`'s element, in steps of 100 px. */
export interface Band {
  readonly top: number;
  readonly height: number;
}

function bandOf(element: HTMLElement | null): Band {
  const viewport = window.innerHeight || FALLBACK_VIEWPORT_PX;
  const height = Math.ceil(viewport / BAND_STEP_PX) * BAND_STEP_PX;
  if (!element) return { top: 0, height };
  const top = -element.getBoundingClientRect().top;
  return { top: Math.floor(top / BAND_STEP_PX) * BAND_STEP_PX, height };
}

/** Follows window scrolling and resizing (at most once a frame) and says where the viewport is over `ref`. */
export function useViewportBand(ref: RefObject<HTMLElement | null>): Band {
  const [band, setBand] = useState<Band>(() => bandOf(null));
  useEffect(() => {
    let frame: number | undefined;
    const update = () => {
      frame = undefined;
      const next = bandOf(ref.current);
      setBand((prev) => (prev.top === next.top && prev.height === next.height ? prev : next));
    };
    const schedule = () => {
      frame ??= requestAnimationFrame(update);
    };
    schedule();
    // Capture: scrolling of any scrolling ancestor, not only the window, moves the board.
    window.addEventListener('scroll', schedule, { capture: true, passive: true });
    window.addEventListener('resize', schedule, { passive: true });
    return () => {
      window.removeEventListener('scroll', schedule, { capture: true });
      window.removeEventListener('resize', schedule);
      if (frame !== undefined) cancelAnimationFrame(frame);
    };
  }, [ref]);
  return band;
}
