import { useCallback, useEffect, useState } from 'react';
import {
  asCommandError,
  getAppInfo,
  getSessionInfo,
  type AppInfo,
  type CommandError,
  type SessionInfoResponse,
} from '../platform';

export type StartupState =
  | { status: 'loading' }
  | { status: 'ready'; app: AppInfo; session: SessionInfoResponse }
  | { status: 'failed'; error: CommandError };

/** Loads `app_info` and `session_info` once on mount; `reload` asks again (the Retry button). */
export function useStartup(): { state: StartupState; reload: () => void } {
  const [state, setState] = useState<StartupState>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let current = true;
    Promise.all([getAppInfo(), getSessionInfo()]).then(
      ([app, session]) => {
        if (current) setState({ status: 'ready', app, session });
      },
      (error: unknown) => {
        if (current) setState({ status: 'failed', error: asCommandError('app_info', error) });
      },
    );
    return () => {
      current = false;
    };
  }, [attempt]);

  const reload = useCallback(() => {
    setState({ status: 'loading' });
    setAttempt((n) => n + 1);
  }, []);

  return { state, reload };
}
