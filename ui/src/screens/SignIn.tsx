import { useId, useState, type SubmitEvent } from 'react';
import { ErrorNotice } from '../components/ErrorNotice';
import { errorTitle } from '../lib/outcome';
import { NO_CONFIG, SET_BY_ADMIN, isLocked } from '../lib/config';
import { initialClientId, initialRegion } from '../lib/region';
import {
  asCommandError,
  signIn,
  signInDemo,
  type CommandError,
  type AppConfigResponse,
  type QueueInfo,
  type SessionInfo,
  type SessionInfoResponse,
  type SignInRequest,
} from '../platform';

/**
 * Sign-in: region (by name), client id, and under "Advanced" a confidential client's secret or a custom
 * API base. The browser does the actual login; this screen waits and explains every failure. Fields the
 * administrator's configuration file sets are shown read-only ("Set by your administrator").
 */
export function SignIn({
  info,
  config = NO_CONFIG,
  notice,
  onSignedIn,
}: {
  info: SessionInfoResponse;
  /** The admin-managed configuration: defaults, locked fields, whether the demo is offered. */
  config?: AppConfigResponse;
  /** Why we are here again (session expired), shown above the form. */
  notice: CommandError | undefined;
  onSignedIn: (session: SessionInfo, selectedQueues: QueueInfo[]) => void;
}) {
  const last = info.lastSignIn;
  const regionLocked = isLocked(config, 'region') && config.region !== null;
  const clientLocked = isLocked(config, 'clientId') && config.clientId !== null;
  const [region, setRegion] = useState(() => initialRegion(info, config));
  const [clientId, setClientId] = useState(() => initialClientId(info, config));
  const [secret, setSecret] = useState('');
  const [apiBase, setApiBase] = useState(last?.apiBase ?? '');
  const [pending, setPending] = useState<'browser' | 'demo' | undefined>(undefined);
  const [error, setError] = useState<CommandError | undefined>(undefined);
  const ids = { region: useId(), client: useId(), secret: useId(), base: useId(), help: useId(), admin: useId() };
  const advancedOpen = last ? last.confidential || (last.apiBase !== null && !regionLocked) : false;
  const lockedRegion = info.regions.find((r) => r.name === region);
  const adminHint = config.systemPath ? `${SET_BY_ADMIN} (${config.systemPath}).` : `${SET_BY_ADMIN}.`;

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const base = regionLocked ? '' : apiBase.trim();
    const request: SignInRequest = {
      region: base ? null : region,
      apiBase: base || null,
      clientId: clientId.trim(),
      clientSecret: secret.trim() || null,
    };
    setError(undefined);
    setPending('browser');
    signIn(request).then(
      ({ session, selectedQueues }) => {
        setSecret('');
        onSignedIn(session, selectedQueues);
      },
      (raw: unknown) => {
        setPending(undefined);
        setError(asCommandError('sign_in', raw));
      },
    );
  };

  const demo = () => {
    setError(undefined);
    setPending('demo');
    signInDemo().then(
      ({ session, selectedQueues }) => {
        onSignedIn(session, selectedQueues);
      },
      (raw: unknown) => {
        setPending(undefined);
        setError(asCommandError('sign_in_demo', raw));
      },
    );
  };

  return (
    <section className="signin" aria-labelledby="signin-title">
      <h2 id="signin-title" tabIndex={-1}>Sign in to Genesys Cloud</h2>
      {notice && !error && (
        <div className="notice notice-warning" role="alert">
          <p>
            <strong>{errorTitle(notice)}.</strong> {notice.message}
          </p>
        </div>
      )}
      {error && <ErrorNotice title={errorTitle(error)} error={error} />}
      <form className="panel form" onSubmit={submit} aria-describedby={ids.help} aria-busy={pending !== undefined}>
        <div className="field">
          <label htmlFor={ids.region}>Region</label>
          {regionLocked ? (
            <input
              id={ids.region}
              readOnly
              value={lockedRegion ? `${lockedRegion.label} — ${lockedRegion.domain}` : region}
              aria-describedby={`${ids.admin}-region`}
            />
          ) : (
          <select
            id={ids.region}
            value={region}
            disabled={pending !== undefined || apiBase.trim() !== ''}
            onChange={(e) => {
              setRegion(e.target.value);
            }}
          >
            {info.regions.map((r) => (
              <option key={r.name} value={r.name}>
                {r.label} — {r.domain}
              </option>
            ))}
          </select>
          )}
          {regionLocked && (
            <p className="hint locked" id={`${ids.admin}-region`}>
              {adminHint}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor={ids.client}>OAuth client id</label>
          <input
            id={ids.client}
            value={clientId}
            required
            autoComplete="off"
            spellCheck={false}
            readOnly={clientLocked}
            disabled={pending !== undefined}
            {...(clientLocked ? { 'aria-describedby': `${ids.admin}-client` } : {})}
            onChange={(e) => {
              setClientId(e.target.value);
            }}
          />
          {clientLocked && (
            <p className="hint locked" id={`${ids.admin}-client`}>
              {adminHint}
            </p>
          )}
        </div>
        <details open={advancedOpen}>
          <summary>Advanced</summary>
          <div className="field">
            <label htmlFor={ids.secret}>Client secret (confidential client only)</label>
            <input
              id={ids.secret}
              type="password"
              value={secret}
              autoComplete="off"
              disabled={pending !== undefined}
              aria-describedby={`${ids.secret}-hint`}
              onChange={(e) => {
                setSecret(e.target.value);
              }}
            />
            <p className="hint" id={`${ids.secret}-hint`}>
              Leave empty for the usual browser sign-in (PKCE). A secret is kept only in this computer’s keyring.
            </p>
          </div>
          {!regionLocked && (
          <div className="field">
            <label htmlFor={ids.base}>Custom API base</label>
            <input
              id={ids.base}
              type="url"
              value={apiBase}
              placeholder="http://127.0.0.1:8080"
              spellCheck={false}
              disabled={pending !== undefined}
              aria-describedby={`${ids.base}-hint`}
              onChange={(e) => {
                setApiBase(e.target.value);
              }}
            />
            <p className="hint" id={`${ids.base}-hint`}>
              Only for a Genesys Cloud emulator on this computer; replaces the region.
            </p>
          </div>
          )}
        </details>
        <p className="hint" id={ids.help}>
          Your browser opens for the login. The OAuth client must list the redirect URI <code>{info.redirectUri}</code>.
        </p>
        <div className="form-buttons">
          <button type="submit" disabled={pending !== undefined}>
            {pending === 'browser' ? 'Waiting for the browser…' : 'Sign in with your browser'}
          </button>
        </div>
        {pending === 'browser' && (
          <p className="pending" role="status">
            Finish signing in in the browser window that opened. This window continues by itself.
          </p>
        )}
      </form>
      {info.demoAvailable && config.demo && (
        <div className="panel demo-offer">
          <h3>No account at hand?</h3>
          <p>Explore Bridgekeeper on a built-in demo organisation with live calls and conferences. Nothing real is touched.</p>
          <button type="button" className="secondary" disabled={pending !== undefined} onClick={demo}>
            {pending === 'demo' ? 'Starting the demo…' : 'Try the demo organisation'}
          </button>
          {pending === 'demo' && (
            <p className="pending" role="status">
              Starting the demo organisation and signing in…
            </p>
          )}
        </div>
      )}
    </section>
  );
}
