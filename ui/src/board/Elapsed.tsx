import { memo } from 'react';
import { useNow } from '../lib/clock';
import { formatElapsed } from '../lib/format';

/** Time since `sinceMs`, ticking each second on its own (its row does not re-render). */
export const Elapsed = memo(function Elapsed({ sinceMs, untilMs }: { sinceMs: number | null; untilMs?: number | null }) {
  const now = useNow();
  if (sinceMs === null) return <span className="muted">–</span>;
  const end = untilMs ?? now;
  return <time dateTime={`PT${String(Math.max(0, Math.floor((end - sinceMs) / 1000)))}S`}>{formatElapsed(end - sinceMs)}</time>;
});
