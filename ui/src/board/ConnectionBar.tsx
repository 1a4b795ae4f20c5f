import { memo, useEffect, useRef } from 'react';
import { useNow } from '../lib/clock';
import { useAnnounce } from '../lib/announcer';
import { secondsBetween } from '../lib/format';
import type { ConnectionView } from '../platform';

function describe(connection: ConnectionView, now: number): { label: string; detail: string | null } {
  const stale =
    connection.staleSinceMs === null ? null : `data stale for ${String(secondsBetween(connection.staleSinceMs, now))} s`;
  switch (connection.state) {
    case 'live':
      return { label: 'Live', detail: null };
    case 'idle':
      return { label: 'Not watching', detail: connection.detail ?? 'choose queues to watch' };
    case 'connecting':
      return { label: 'Connecting…', detail: stale };
    case 'reconnecting': {
      const retry = connection.retryInMs === null ? null : `retrying in ${String(Math.ceil(connection.retryInMs / 1000))} s`;
      return { label: 'Reconnecting…', detail: [stale, retry].filter(Boolean).join(', ') || null };
    }
    case 'closed':
      return { label: 'Disconnected', detail: [connection.detail, stale].filter(Boolean).join(', ') || null };
  }
}

/** Always visible: live, reconnecting (with how stale the board is) or disconnected, and why. */
export const ConnectionBar = memo(function ConnectionBar({ connection }: { connection: ConnectionView }) {
  const now = useNow();
  const { label, detail } = describe(connection, now);
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
