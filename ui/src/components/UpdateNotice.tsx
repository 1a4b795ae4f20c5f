import { useEffect, useState } from 'react';
import { errorText, errorTitle } from '../lib/outcome';
import { asCommandError, checkForUpdate, installUpdate, type CommandError, type UpdateView } from '../platform';

type State =
  | { kind: 'quiet' }
  | { kind: 'available'; update: UpdateView }
  | { kind: 'installing'; update: UpdateView }
  | { kind: 'failed'; update: UpdateView | undefined; error: CommandError };

/**
 * "Update 0.2.0 available", with its notes and an install button, when the admin configured an update
 * endpoint and a newer signed version is offered. Installing is only ever on request; the app refuses it
 * while a drop, mute or hold is under way, and a refused signature says plainly that nothing was installed.
 */
export function UpdateNotice() {
  const [state, setState] = useState<State>({ kind: 'quiet' });
  useEffect(() => {
    let alive = true;
    checkForUpdate().then(
      (answer) => {
        if (alive && answer.enabled && answer.available) setState({ kind: 'available', update: answer.available });
      },
      (raw: unknown) => {
        if (alive) setState({ kind: 'failed', update: undefined, error: asCommandError('update_check', raw) });
      },
    );
    return () => {
      alive = false;
    };
  }, []);

  if (state.kind === 'quiet') return null;
  const update = state.update;
  const install = () => {
    if (!update) return;
    setState({ kind: 'installing', update });
    installUpdate().then(
      () => undefined, // the app restarts into the new version
      (raw: unknown) => {
        setState({ kind: 'failed', update, error: asCommandError('update_install', raw) });
      },
    );
  };
  return (
    <section className="notice notice-info update-notice" aria-label="Update" data-testid="update-notice">
      {update && (
        <>
          <p>
            <strong>Update {update.version} available.</strong>
          </p>
          {update.notes && <p className="update-notes">{update.notes}</p>}
        </>
      )}
      {state.kind === 'failed' && (
        <p role="alert">
          <strong>{errorTitle(state.error)}.</strong> {errorText(state.error)}
        </p>
      )}
      {update && (
        <button type="button" onClick={install} disabled={state.kind === 'installing'}>
          {state.kind === 'installing' ? 'Installing…' : state.kind === 'failed' ? 'Try again' : 'Install and restart'}
        </button>
      )}
    </section>
  );
}
