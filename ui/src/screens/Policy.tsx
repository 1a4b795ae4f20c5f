import { useEffect, useId, useState } from 'react';
import { ErrorNotice } from '../components/ErrorNotice';
import { Dialog } from '../lib/Dialog';
import { useAnnounce } from '../lib/announcer';
import { SET_BY_ADMIN } from '../lib/config';
import { formatDateTime, plural } from '../lib/format';
import { errorTitle, isSessionLost } from '../lib/outcome';
import {
  asCommandError,
  getPolicyView,
  setPolicyEnforce,
  type CommandError,
  type PolicyViewResponse,
} from '../platform';

/** How often the preview is asked for again while the page is shown (the rules' thresholds are seconds to minutes). */
export const POLICY_EVERY_MS = 3_000;

/**
 * The policy page: the rules in force, each in words, and where they come from; the enforce switch (behind
 * a confirmation, locked when the administrator forbids enforcement); and a dry run of what enforcing would
 * do with the live board now. The preview sends nothing and records nothing.
 */
export function Policy({ onSessionLost }: { onSessionLost: (error: CommandError) => void }) {
  const [view, setView] = useState<PolicyViewResponse | undefined>(undefined);
  const [error, setError] = useState<CommandError | undefined>(undefined);
  const [confirming, setConfirming] = useState(false);
  const [switching, setSwitching] = useState(false);
  const [switchError, setSwitchError] = useState<CommandError | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const announce = useAnnounce();
  const ids = { switchHint: useId() };

  useEffect(() => {
    let alive = true;
    const ask = () => {
      getPolicyView().then(
        (answer) => {
          if (!alive) return;
          setView(answer);
          setError(undefined);
        },
        (raw: unknown) => {
          if (!alive) return;
          const failure = asCommandError('policy_view', raw);
          if (isSessionLost(failure)) onSessionLost(failure);
          else setError(failure);
        },
      );
    };
    ask();
    const timer = setInterval(ask, POLICY_EVERY_MS);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [onSessionLost, tick]);

  const enforce = view?.enforce;
  const switchTo = (on: boolean) => {
    setSwitching(true);
    setSwitchError(undefined);
    setPolicyEnforce(on).then(
      (answer) => {
        setSwitching(false);
        setConfirming(false);
        setView((v) => (v ? { ...v, enforce: answer } : v));
        announce(answer.on ? 'Policy enforcement is on.' : 'Policy enforcement is off.');
        setTick((n) => n + 1);
      },
      (raw: unknown) => {
        setSwitching(false);
        const failure = asCommandError('policy_set_enforce', raw);
        if (isSessionLost(failure)) onSessionLost(failure);
        else setSwitchError(failure);
      },
    );
  };

  return (
    <section className="policy" aria-labelledby="policy-title">
      <h2 id="policy-title" tabIndex={-1}>
        Policy
      </h2>
      {error && (
        <ErrorNotice
          title={errorTitle(error)}
          error={error}
          onRetry={() => {
            setTick((n) => n + 1);
          }}
        />
      )}
      {!view && !error && <p className="muted">Reading the policy…</p>}
      {view && (
        <>
          <section className="panel" aria-labelledby="policy-rules-title">
            <h3 id="policy-rules-title">Rules in force</h3>
            <p data-testid="policy-source">
              {view.source === 'built-in'
                ? `The built-in rules${view.filePath ? ` (no policy file at ${view.filePath})` : ''}.`
                : `From ${view.source}.`}
            </p>
            {view.error && (
              <p className="notice notice-warning" role="status">
                Your policy file is not used: {view.error}. The built-in rules apply until it is fixed.
              </p>
            )}
            <ul className="policy-explanation">
              {view.explanation.map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
            {view.rules.length > 0 && (
              <dl className="policy-rules">
                {view.rules.map((r) => (
                  <div key={r.id}>
                    <dt>
                      <code>{r.id}</code> ({r.when})
                    </dt>
                    <dd>{r.explanation}</dd>
                  </div>
                ))}
              </dl>
            )}
          </section>

          <section className="panel" aria-labelledby="policy-enforce-title">
            <h3 id="policy-enforce-title">Enforcement</h3>
            {enforce && (
              <>
                <div className="policy-switch">
                  <button
                    type="button"
                    role="switch"
                    aria-checked={enforce.on}
                    aria-describedby={ids.switchHint}
                    className={enforce.on ? 'danger' : 'secondary'}
                    disabled={!enforce.allowed || switching || view.error !== null}
                    onClick={() => {
                      if (enforce.on) switchTo(false);
                      else setConfirming(true);
                    }}
                  >
                    Enforce the policy in this app
                  </button>
                  <span aria-hidden="true" className="policy-switch-state">
                    {enforce.on ? 'On' : 'Off'}
                  </span>
                </div>
                <div id={ids.switchHint}>
                  {!enforce.allowed ? (
                    <p className="hint locked" data-testid="enforce-locked">
                      {enforce.notAllowedReason ?? (enforce.lockedByAdmin ? SET_BY_ADMIN : 'Turned off in the configuration.')}
                    </p>
                  ) : enforce.on ? (
                    <p className="notice notice-warning">
                      On since {enforce.sinceMs !== null ? formatDateTime(enforce.sinceMs) : 'now'}: the app drops legs by
                      itself under these rules, at most {plural(view.maxDropsPerMinute, 'drop')} a minute.{' '}
                      {plural(enforce.decisions, 'decision')} so far, each in the audit log.
                    </p>
                  ) : (
                    <p className="hint">
                      Off: the app only shows what the rules find. Enforcement is off at every start of the app.
                    </p>
                  )}
                  {view.error !== null && enforce.allowed && (
                    <p className="hint">A broken policy file cannot be enforced; fix it and restart the app.</p>
                  )}
                  {view.fileMode === 'enforce' && !enforce.on && (
                    <p className="hint">
                      The policy file asks for enforce mode; in this app it applies only once you switch it on here.
                    </p>
                  )}
                  {enforce.lastError && (
                    <p className="notice notice-warning">The last check could not decide: {enforce.lastError}</p>
                  )}
                </div>
              </>
            )}
            {switchError && !confirming && <ErrorNotice title={errorTitle(switchError)} error={switchError} />}
          </section>

          <section className="panel" aria-labelledby="policy-preview-title">
            <h3 id="policy-preview-title">What enforcing would do now</h3>
            <p className="muted small">
              A dry run of the rules over the live board, refreshed every few seconds. Nothing is sent and nothing is
              recorded.
            </p>
            {!view.watching && <p>Choose the queues to watch first: the preview looks at the watched calls.</p>}
            {view.watching && view.preview.length === 0 && (
              <p data-testid="policy-preview-empty">No rule finds a leg on the watched calls now.</p>
            )}
            {view.preview.length > 0 && (
              <table className="policy-preview" data-testid="policy-preview">
                <caption className="visually-hidden">What enforcing would do with each leg the rules find</caption>
                <thead>
                  <tr>
                    <th scope="col">Leg</th>
                    <th scope="col">Call</th>
                    <th scope="col">Rule</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Would</th>
                  </tr>
                </thead>
                <tbody>
                  {view.preview.map((d) => (
                    <tr key={`${d.conversationId}/${d.participantId}/${d.rule}`} data-action={d.action}>
                      <th scope="row">{d.partyName || d.participantId}</th>
                      <td>
                        <code>{d.conversationId}</code>
                      </td>
                      <td>
                        <code>{d.rule}</code>
                      </td>
                      <td>{d.reason}</td>
                      <td>{d.action === 'wouldDrop' ? 'Drop' : `Skip: ${d.skippedBecause ?? 'no reason given'}`}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {view.unavailable.length > 0 && (
              <ul className="small" aria-label="Rules not checked">
                {view.unavailable.map((u) => (
                  <li key={`${u.rule}/${u.conversationId ?? ''}`}>
                    Rule {u.rule} is not checked: {u.reason}.
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
      {confirming && view && (
        <Dialog
          labelledBy="enforce-dialog-title"
          describedBy="enforce-dialog-body"
          onClose={() => {
            setConfirming(false);
            setSwitchError(undefined);
          }}
          className="enforce-dialog"
        >
          <h2 id="enforce-dialog-title">Enforce the policy in this app?</h2>
          <div id="enforce-dialog-body">
            <p>
              <strong>The app will then drop legs by itself</strong>, without asking, whenever these rules find them on the
              watched calls:
            </p>
            <ul>
              {view.rules.map((r) => (
                <li key={r.id}>{r.explanation}</li>
              ))}
            </ul>
            <p>
              At most {plural(view.maxDropsPerMinute, 'drop')} a minute. Each decision is recorded in the audit log. It
              stays on until you switch it off, choose other queues, sign out or close the app.
            </p>
          </div>
          {switchError && <ErrorNotice title={errorTitle(switchError)} error={switchError} />}
          <div className="dialog-buttons">
            <button
              type="button"
              className="secondary"
              autoFocus
              onClick={() => {
                setConfirming(false);
                setSwitchError(undefined);
              }}
            >
              Cancel
            </button>
            <button
              type="button"
              className="danger"
              disabled={switching}
              onClick={() => {
                switchTo(true);
              }}
            >
              {switching ? 'Switching on…' : 'Switch enforcement on'}
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}
