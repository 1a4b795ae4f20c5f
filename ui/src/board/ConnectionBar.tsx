import { memo, useEffect, useRef } from 'react';
import { useNow } from '../lib/clock';
import { useAnnounce } from '../lib/announcer';
import { formatCount, secondsBetween } from '../lib/format';
import type { ConnectionView } from '../platform';

/**
 * Whole seconds left of a delay that was `delayMs` when it arrived at `atMs`: counts down with the clock,
 * never above the delay as sent (the shared clock may lag its arrival by up to a second).
 */
export function secondsLeft(delayMs: number, atMs: number, now: number): number {
  return Math.ceil(Math.max(0, Math.min(delayMs, atMs + delayMs - now)) / 1000);
}

function describe(connection: ConnectionView, atMs: number, now: number): { label: string; detail: string | null } {
  const stale =
    connection.staleSinceMs === null ? null : `data stale for ${String(secondsBetween(connection.staleSinceMs, now))} s`;
  const { held, discovered } = connection.completeness;
  switch (connection.state) {
    case 'live':
      // Rust sends `live` only once the board holds every call it knows of.
      return { label: 'Live', detail: null };
    case 'loading':
      return {
        label: `Loading ${formatCount(held)} of ${formatCount(Math.max(held, discovered))} calls`,
        detail: stale,
      };
    case 'idle':
      return { label: 'Not watching', detail: connection.detail ?? 'choose queues or people to watch' };
    case 'connecting':
      return { label: 'Connecting…', detail: stale };
    case 'reconnecting': {
      const retry =
        connection.retryInMs === null
          ? null
          : `retrying in ${String(secondsLeft(connection.retryInMs, atMs, now))} s`;
      return { label: 'Reconnecting…', detail: [stale, retry].filter(Boolean).join(', ') || null };
    }
    case 'closed':
      return { label: 'Disconnected', detail: [connection.detail, stale].filter(Boolean).join(', ') || null };
  }
}

/** Always visible: live, loading, reconnecting (with how stale the board is) or disconnected, and why. */
export const ConnectionBar = memo(function ConnectionBar({
  connection,
  atMs = 0,
}: {
  connection: ConnectionView;
  /** When `connection` arrived (ms since the Unix epoch): the base of the retry countdown. */
  atMs?: number;
}) {
  const now = useNow();
  const { label, detail } = describe(connection, atMs, now);
  const announce = useAnnounce();
  const last = useRef(connection.state);
  useEffect(() => {
    // Announce state changes (not the ticking counter).
    if (last.current !== connection.state) {
      last.current = connection.state;
      announce(`Connection: ${label}${connection.detail ? `. ${connection.detail}` : ''}`);
    }
  }, [announce, connection.state, connection.detail, label]);

  return (
    <div className={`connection connection-${connection.state}`} data-testid="connection-status">
      <span className="connection-dot" aria-hidden="true" />
      <strong>{label}</strong>
      {detail && <span className="connection-detail">{detail}</span>}
    </div>
  );
});
