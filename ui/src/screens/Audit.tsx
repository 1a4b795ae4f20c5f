import { useEffect, useId, useState, type SubmitEvent } from 'react';
import { CopyableId } from '../components/CopyableId';
import { ErrorNotice } from '../components/ErrorNotice';
import { useAnnounce } from '../lib/announcer';
import { formatDateTime, purposeLabel } from '../lib/format';
import { actionName, errorTitle, isSessionLost } from '../lib/outcome';
import {
  asCommandError,
  exportAuditCsv,
  listAudit,
  type ActionKind,
  type AuditFilters,
  type AuditListResponse,
  type AuditOutcomeKind,
  type CommandError,
} from '../platform';

const OUTCOME_LABELS: Record<AuditOutcomeKind, string> = {
  confirmed: 'Confirmed',
  notConfirmed: 'Not confirmed',
  refused: 'Refused',
  alreadyGone: 'Already gone',
  failed: 'Failed',
  notSent: 'Not sent (policy)',
  pending: 'Pending (policy)',
};

const ACTIONS: ActionKind[] = ['drop', 'mute', 'unmute', 'hold', 'unhold', 'endConversation'];
const OUTCOMES = Object.keys(OUTCOME_LABELS) as AuditOutcomeKind[];

const EMPTY: AuditFilters = { text: null, actions: [], outcomes: [], fromMs: null, toMs: null };

/** `yyyy-mm-dd` from a date input as local midnight, in ms; `null` when empty or invalid. */
function dayStart(value: string): number | null {
  if (!value) return null;
  const [y, m, d] = value.split('-').map(Number);
  if (y === undefined || m === undefined || d === undefined || [y, m, d].some(Number.isNaN)) return null;
  return new Date(y, m - 1, d).getTime();
}

const DAY_MS = 86_400_000;

/** Every audited action, filterable, exportable as CSV. */
export function Audit({ onSessionLost }: { onSessionLost: (error: CommandError) => void }) {
  const [text, setText] = useState('');
  const [action, setAction] = useState<ActionKind | ''>('');
  const [outcome, setOutcome] = useState<AuditOutcomeKind | ''>('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [filters, setFilters] = useState<AuditFilters>(EMPTY);
  const [data, setData] = useState<AuditListResponse | undefined>(undefined);
  const [error, setError] = useState<CommandError | undefined>(undefined);
  const [exported, setExported] = useState<{ path: string; rows: number } | undefined>(undefined);
  const [exporting, setExporting] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const announce = useAnnounce();
  const ids = { text: useId(), action: useId(), outcome: useId(), from: useId(), to: useId() };

  useEffect(() => {
    let current = true;
    listAudit(filters).then(
      (answer) => {
        if (!current) return;
        setData(answer);
        setError(undefined);
      },
      (raw: unknown) => {
        if (!current) return;
        const failure = asCommandError('audit_list', raw);
        if (isSessionLost(failure)) onSessionLost(failure);
        else setError(failure);
      },
    );
    return () => {
      current = false;
    };
  }, [filters, attempt, onSessionLost]);

  const apply = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const toDay = dayStart(to);
    setFilters({
      text: text.trim() || null,
      actions: action ? [action] : [],
      outcomes: outcome ? [outcome] : [],
      fromMs: dayStart(from),
      toMs: toDay === null ? null : toDay + DAY_MS,
    });
  };

  const reset = () => {
    setText('');
    setAction('');
    setOutcome('');
    setFrom('');
    setTo('');
    setFilters(EMPTY);
  };

  const exportCsv = () => {
    setExporting(true);
    exportAuditCsv(filters).then(
      (answer) => {
        setExporting(false);
        setExported(answer);
        announce(`Exported ${String(answer.rows)} records to ${answer.path}`);
      },
      (raw: unknown) => {
        setExporting(false);
        setError(asCommandError('audit_export_csv', raw));
      },
    );
  };

  return (
    <section className="audit" aria-labelledby="audit-title">
      <h2 id="audit-title" tabIndex={-1}>Audit log</h2>
      {error && (
        <ErrorNotice
          title={errorTitle(error)}
          error={error}
          onRetry={() => {
            setAttempt((n) => n + 1);
          }}
        />
      )}
      <form className="panel filters" onSubmit={apply} aria-label="Filter the audit log">
        <div className="field">
          <label htmlFor={ids.text}>Search</label>
          <input
            id={ids.text}
            type="search"
            value={text}
            placeholder="Name, id, correlation id…"
            onChange={(e) => {
              setText(e.target.value);
            }}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.action}>Action</label>
          <select
            id={ids.action}
            value={action}
            onChange={(e) => {
              setAction(e.target.value as ActionKind | '');
            }}
          >
            <option value="">Any</option>
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {actionName(a)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.outcome}>Outcome</label>
          <select
            id={ids.outcome}
            value={outcome}
            onChange={(e) => {
              setOutcome(e.target.value as AuditOutcomeKind | '');
            }}
          >
            <option value="">Any</option>
            {OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {OUTCOME_LABELS[o]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.from}>From</label>
          <input
            id={ids.from}
            type="date"
            value={from}
            onChange={(e) => {
              setFrom(e.target.value);
            }}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.to}>To (inclusive)</label>
          <input
            id={ids.to}
            type="date"
            value={to}
            onChange={(e) => {
              setTo(e.target.value);
            }}
          />
        </div>
        <div className="form-buttons">
          <button type="submit">Apply filters</button>
          <button type="button" className="secondary" onClick={reset}>
            Clear
          </button>
          <button type="button" className="secondary" disabled={exporting || !data || data.entries.length === 0} onClick={exportCsv}>
            {exporting ? 'Exporting…' : 'Export CSV'}
          </button>
        </div>
      </form>
      {exported && (
        <p className="notice notice-success" role="status">
          Exported {exported.rows} record{exported.rows === 1 ? '' : 's'} to <code>{exported.path}</code>
        </p>
      )}
      {data && (
        <>
          <p className="muted">
            Showing {data.entries.length} of {data.total} record{data.total === 1 ? '' : 's'}.
            {data.skippedLines > 0 &&
              ` ${String(data.skippedLines)} damaged line${data.skippedLines === 1 ? ' was' : 's were'} skipped (see ${data.path}).`}
          </p>
          {data.entries.length > 0 ? (
            <table className="audit-table">
              <caption className="visually-hidden">Audited actions, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">Action</th>
                  <th scope="col">Party</th>
                  <th scope="col">Outcome</th>
                  <th scope="col" className="num">
                    Time
                  </th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {data.entries.map((e) => (
                  <tr key={e.id}>
                    <td>{formatDateTime(e.timeMs)}</td>
                    <td>{e.actorName}</td>
                    <th scope="row">{actionName(e.action)}</th>
                    <td>
                      {e.partyName} <span className="muted small">({purposeLabel(e.partyPurpose).toLowerCase()})</span>
                    </td>
                    <td>
                      <span className={`status status-${e.outcome}`}>{OUTCOME_LABELS[e.outcome]}</span>
                    </td>
                    <td className="num">{e.latencyMs.toLocaleString()} ms</td>
                    <td>
                      <details>
                        <summary>Request and ids</summary>
                        <dl className="facts small">
                          <dt>Request</dt>
                          <dd>
                            <code>{e.request}</code>
                          </dd>
                          <dt>Conversation</dt>
                          <dd>
                            <code>{e.conversationId}</code>
                          </dd>
                          <dt>Participant</dt>
                          <dd>
                            <code>{e.participantId}</code>
                          </dd>
                          {e.detail && (
                            <>
                              <dt>Detail</dt>
                              <dd>{e.detail}</dd>
                            </>
                          )}
                        </dl>
                        {e.correlationId && <CopyableId label="Correlation id" value={e.correlationId} />}
                      </details>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="empty">No audited action matches these filters.</p>
          )}
        </>
      )}
    </section>
  );
}
