import { useEffect, useId, useRef, useState } from 'react';
import { ErrorNotice } from '../components/ErrorNotice';
import { errorTitle, isSessionLost } from '../lib/outcome';
import { asCommandError, listQueues, selectQueues, type CommandError, type QueueInfo } from '../platform';

const SEARCH_DELAY_MS = 250;

/** Searchable multi-select of queues; the choice is remembered by the app between runs. */
export function Queues({
  onChosen,
  onSessionLost,
  onCancel,
}: {
  onChosen: (queues: QueueInfo[]) => void;
  onSessionLost: (error: CommandError) => void;
  /** Present when a choice already exists (back to the board without changes). */
  onCancel?: () => void;
}) {
  const [filter, setFilter] = useState('');
  const [results, setResults] = useState<QueueInfo[]>([]);
  const [truncated, setTruncated] = useState(false);
  const [chosen, setChosen] = useState<Map<string, QueueInfo>>(new Map());
  // The search the shown results answer; loading while it differs from the current one.
  const [answered, setAnswered] = useState<string | undefined>(undefined);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<CommandError | undefined>(undefined);
  const [attempt, setAttempt] = useState(0);
  const initialised = useRef(false);
  const searchId = useId();
  const listId = useId();

  useEffect(() => {
    let current = true;
    const key = `${String(attempt)}:${filter}`;
    const timer = setTimeout(
      () => {
        listQueues(filter).then(
          (answer) => {
            if (!current) return;
            setResults(answer.queues);
            setTruncated(answer.truncated);
            setError(undefined);
            setAnswered(key);
            if (!initialised.current) {
              initialised.current = true;
              setChosen(new Map(answer.selected.map((q) => [q.id, q])));
            }
          },
          (raw: unknown) => {
            if (!current) return;
            const failure = asCommandError('list_queues', raw);
            setAnswered(key);
            if (isSessionLost(failure)) onSessionLost(failure);
            else setError(failure);
          },
        );
      },
      initialised.current ? SEARCH_DELAY_MS : 0,
    );
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [filter, attempt, onSessionLost]);

  const toggle = (queue: QueueInfo, on: boolean) => {
    setChosen((previous) => {
      const next = new Map(previous);
      if (on) next.set(queue.id, queue);
      else next.delete(queue.id);
      return next;
    });
  };

  const save = () => {
    setSaving(true);
    selectQueues([...chosen.keys()]).then(
      ({ selected }) => {
        setSaving(false);
        onChosen(selected);
      },
      (raw: unknown) => {
        setSaving(false);
        const failure = asCommandError('select_queues', raw);
        if (isSessionLost(failure)) onSessionLost(failure);
        else setError(failure);
      },
    );
  };

  const loading = answered !== `${String(attempt)}:${filter}`;
  const chosenList = [...chosen.values()].sort((a, b) => a.name.localeCompare(b.name));
  const shown = results;

  return (
    <section className="queues" aria-labelledby="queues-title">
      <h2 id="queues-title" tabIndex={-1}>Choose the queues to watch</h2>
      {error && (
        <ErrorNotice
          title={errorTitle(error)}
          error={error}
          onRetry={() => {
            setAttempt((n) => n + 1);
          }}
        />
      )}
      <div className="panel">
        <div className="field">
          <label htmlFor={searchId}>Search queues</label>
          <input
            id={searchId}
            type="search"
            value={filter}
            placeholder="Queue name"
            aria-controls={listId}
            onChange={(e) => {
              setFilter(e.target.value);
            }}
          />
        </div>
        <fieldset className="queue-list" id={listId} aria-busy={loading}>
          <legend>{loading ? 'Searching…' : `${String(shown.length)} queue${shown.length === 1 ? '' : 's'} found`}</legend>
          {!loading && shown.length === 0 && <p className="muted">No queue matches “{filter}”.</p>}
          {shown.map((q) => (
            <label key={q.id} className="check">
              <input
                type="checkbox"
                checked={chosen.has(q.id)}
                onChange={(e) => {
                  toggle(q, e.target.checked);
                }}
              />
              {q.name}
            </label>
          ))}
          {truncated && <p className="hint">More queues match: type more of the name to narrow the list.</p>}
        </fieldset>
        <div className="chosen" aria-live="polite">
          {chosenList.length === 0 ? (
            <p className="muted">No queue chosen yet.</p>
          ) : (
            <>
              <p>Watching {chosenList.length === 1 ? '1 queue' : `${String(chosenList.length)} queues`}:</p>
              <ul className="chips">
                {chosenList.map((q) => (
                  <li key={q.id}>
                    {q.name}
                    <button
                      type="button"
                      className="chip-remove"
                      aria-label={`Remove ${q.name}`}
                      onClick={() => {
                        toggle(q, false);
                      }}
                    >
                      ×
                    </button>
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
        <div className="form-buttons">
          <button type="button" disabled={chosen.size === 0 || saving} onClick={save}>
            {saving ? 'Saving…' : chosen.size === 0 ? 'Choose at least one queue' : `Show live calls`}
          </button>
          {onCancel && (
            <button type="button" className="secondary" onClick={onCancel}>
              Back to the board
            </button>
          )}
        </div>
      </div>
    </section>
  );
}
