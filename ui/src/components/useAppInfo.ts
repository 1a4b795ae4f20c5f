import { useCallback, useEffect, useState } from 'react';
import { CommandError, getAppInfo, type AppInfo } from '../platform';

export type AppInfoState =
  | { status: 'loading' }
  | { status: 'ready'; info: AppInfo }
  | { status: 'failed'; error: CommandError };

/** Loads `app_info` once on mount; `reload` asks again (the Retry button). Late answers are ignored. */
export function useAppInfo(): { state: AppInfoState; reload: () => void } {
  const [state, setState] = useState<AppInfoState>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let current = true;
    getAppInfo().then(
      (info) => {
        if (current) setState({ status: 'ready', info });
      },
      (error: unknown) => {
        if (!current) return;
        const failure =
          error instanceof CommandError
            ? error
            : new CommandError('app_info', 'Unexpected', error instanceof Error ? error.message : String(error));
        setState({ status: 'failed', error: failure });
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
