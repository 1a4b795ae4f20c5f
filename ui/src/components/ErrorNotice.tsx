import type { CommandError } from '../platform';
import { errorText } from '../lib/outcome';
import { CopyableId } from './CopyableId';

/** A failed command, said plainly, with the code for support and (optionally) a way to try again. */
export function ErrorNotice({
  title,
  error,
  onRetry,
  retryLabel = 'Try again',
}: {
  title: string;
  error: CommandError;
  onRetry?: () => void;
  retryLabel?: string;
}) {
  return (
    <section className="panel panel-error" role="alert">
      <h2>{title}</h2>
      <p>{errorText(error)}</p>
      <p className="muted small">
        Error code: <code>{error.code}</code>
      </p>
      {error.correlationId && <CopyableId label="Correlation id" value={error.correlationId} />}
      {onRetry && (
        <button type="button" onClick={onRetry}>
          {retryLabel}
        </button>
      )}
    </section>
  );
}
