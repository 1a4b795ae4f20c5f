import { useCallback, useEffect, useState } from 'react';
import { NO_CONFIG } from '../lib/config';
import {
  asCommandError,
  getAppConfig,
  getAppInfo,
  getSessionInfo,
  type AppConfigResponse,
  type AppInfo,
  type CommandError,
  type SessionInfoResponse,
} from '../platform';

export type StartupState =
  | { status: 'loading' }
  | { status: 'ready'; app: AppInfo; session: SessionInfoResponse; config: AppConfigResponse }
  | { status: 'failed'; error: CommandError };

/**
 * Loads `app_info`, `session_info` and `app_config` once on mount; `reload` asks again (the Retry button).
 * The configuration never stops the start: without an answer the app runs on the defaults.
 */
export function useStartup(): { state: StartupState; reload: () => void } {
  const [state, setState] = useState<StartupState>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let current = true;
    const config = getAppConfig().catch(() => NO_CONFIG);
    Promise.all([getAppInfo(), getSessionInfo(), config]).then(
      ([app, session, config]) => {
        if (current) setState({ status: 'ready', app, session, config });
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
