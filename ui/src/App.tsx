import { AppInfoPanel } from './components/AppInfoPanel';
import { ErrorNotice } from './components/ErrorNotice';
import { useAppInfo } from './components/useAppInfo';

export function App() {
  const { state, reload } = useAppInfo();

  return (
    <div className="app">
      <header className="app-header">
        <h1>Bridgekeeper</h1>
        {state.status === 'ready' && state.info.demo && <span className="badge badge-demo">Demo organisation</span>}
      </header>
      <main className="app-main" aria-busy={state.status === 'loading'}>
        {state.status === 'loading' && <p className="muted">Loading…</p>}
        {state.status === 'ready' && <AppInfoPanel info={state.info} />}
        {state.status === 'failed' && (
          <ErrorNotice title="Bridgekeeper could not start properly" error={state.error} onRetry={reload} />
        )}
      </main>
    </div>
  );
}
