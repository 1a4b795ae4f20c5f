import type { AppInfo } from '../platform';

/** Which organisation the app talks to, and its version: the first thing support asks for. */
export function AppInfoPanel({ info }: { info: AppInfo }) {
  return (
    <section className="panel" aria-labelledby="app-info-title">
      <h2 id="app-info-title">This session</h2>
      <dl className="facts">
        <dt>Organisation</dt>
        <dd>
          {info.demo ? (
            <>
              <span className="badge badge-demo">Demo</span> Built-in demo organisation (emulated Genesys Cloud) at{' '}
              <code>{info.demo.baseUrl}</code>
            </>
          ) : (
            <>Genesys Cloud organisation: not signed in</>
          )}
        </dd>
        <dt>Version</dt>
        <dd>
          <code>{info.version}</code>
        </dd>
      </dl>
    </section>
  );
}
