import { memo, useEffect, useRef, useState } from 'react';
import { useNow } from '../lib/clock';
import { formatCount, listNames, plural } from '../lib/format';
import type { ConnectionView } from '../platform';
import { secondsLeft } from './ConnectionBar';

/** The live region says something new at most this often (counts change many times a second while loading). */
export const ANNOUNCE_EVERY_MS = 10_000;

/** `text`, but changing at most once per `everyMs`: the newest text is shown when the pause is over. */
function useSettled(text: string, everyMs: number): string {
  const [shown, setShown] = useState('');
  const lastAt = useRef(-Infinity);
  useEffect(() => {
    if (text === shown) return;
    const timer = setTimeout(
      () => {
        lastAt.current = Date.now();
        setShown(text);
      },
      Math.max(0, lastAt.current + everyMs - Date.now()),
    );
    return () => {
      clearTimeout(timer);
    };
  }, [text, shown, everyMs]);
  return shown;
}

export function permissionText(permissions: readonly string[]): string {
  return `Some details are unavailable: ask your administrator for the permission${permissions.length === 1 ? '' : 's'} ${listNames(permissions)}`;
}

/** What the live region says (no ticking countdown in it). */
function summaryOf(connection: ConnectionView): string {
  const c = connection.completeness;
  const parts: string[] = [];
  if (connection.state === 'loading') {
    parts.push(`Loading ${formatCount(c.held)} of ${formatCount(Math.max(c.held, c.discovered))} calls.`);
  } else if (connection.state === 'live' && c.held > 0) {
    parts.push(`All ${plural(c.held, 'call')} are on the board.`);
  }
  if (c.unread > 0) parts.push(`${plural(c.unread, 'call')} not read yet.`);
  if (c.missingPermissions.length > 0) parts.push(`${permissionText(c.missingPermissions)}.`);
  parts.push(...c.notices);
  return parts.join(' ');
}

function Countdown({ delayMs, atMs }: { delayMs: number; atMs: number }) {
  const now = useNow();
  const s = secondsLeft(delayMs, atMs, now);
  return <>{s > 0 ? `retrying in ${String(s)} s` : 'retrying now'}</>;
}

/**
 * How much of what is watched the board holds, beside the connection status: calls not read yet (and when
 * they are retried), missing permissions, the backend's notices, and calls whose details are still loading.
 */
export const Completeness = memo(function Completeness({
  connection,
  atMs,
}: {
  connection: ConnectionView;
  /** When `connection` arrived (ms since the Unix epoch): the base of the retry countdown. */
  atMs: number;
}) {
  const c = connection.completeness;
  const summary = useSettled(summaryOf(connection), ANNOUNCE_EVERY_MS);
  const detailsLoading = c.held - c.fullDetail;
  return (
    <div className="completeness" data-testid="board-completeness">
      <p className="visually-hidden" role="status" aria-live="polite" aria-atomic="true" data-testid="completeness-status">
        {summary}
      </p>
      {c.unread > 0 && (
        <p className="notice notice-warning completeness-unread">
          {plural(c.unread, 'call')} not read yet
          {c.retryInMs !== null && (
            <>
              , <Countdown delayMs={c.retryInMs} atMs={atMs} />
            </>
          )}
        </p>
      )}
      {c.missingPermissions.length > 0 && (
        <p className="notice notice-warning completeness-permissions">
          {permissionText(c.missingPermissions)}. The board still works, reading calls more slowly.
        </p>
      )}
      {c.notices.length > 0 && (
        <ul className="notice notice-info completeness-notices" aria-label="Board notices">
          {c.notices.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      {/* Always laid out, so the table below never jumps under the pointer when the last details arrive. */}
      <p className="muted small completeness-details" data-testid="completeness-details">
        {detailsLoading > 0 ? `details loading for ${plural(detailsLoading, 'call')}` : ''}
      </p>
    </div>
  );
});
