import type { CommandError } from '../platform';

/** A failed command, said plainly, with the code for support and a way to try again. */
export function ErrorNotice({ title, error, onRetry }: { title: string; error: CommandError; onRetry: () => void }) {
  return (
    <section className="panel panel-error" role="alert">
      <h2>{title}</h2>
      <p>{error.message}</p>
      <p className="muted">
        Error code: <code>{error.code}</code>
      </p>
      <button type="button" onClick={onRetry}>
        Try again
      </button>
    </section>
  );
}
