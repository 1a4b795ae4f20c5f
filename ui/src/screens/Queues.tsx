import { useEffect, useId, useRef, useState } from 'react';
import { ErrorNotice } from '../components/ErrorNotice';
import { errorTitle, isSessionLost } from '../lib/outcome';
import type { Person } from '../board/boardIndex';
import { asCommandError, listQueues, selectQueues, type CommandError, type QueueInfo } from '../platform';

const SEARCH_DELAY_MS = 250;

/** The people the board watches besides its queues. */
export interface WatchedPeople {
  /** Chosen people (the name is the user id when nobody of that id was seen on the board). */
  readonly people: readonly Person[];
  /** The signed-in supervisor's own calls. */
  readonly watchSelf: boolean;
  /** Everyone seen taking calls on the watched queues. */
  readonly watchQueuePeople: boolean;
}

export const NOBODY: WatchedPeople = { people: [], watchSelf: false, watchQueuePeople: false };

/** True when the choice watches anyone at all (so the board has something to show). */
export function watchesAnyone(people: WatchedPeople): boolean {
  return people.people.length > 0 || people.watchSelf;
}

/**
 * Searchable multi-select of queues, and the people to watch as well: conference bridges dialled directly
 * carry no queue and only show up on the people's own topics. The choice is remembered by the app.
 */
export function Queues({
  onChosen,
  onSessionLost,
  onCancel,
  knownPeople = [],
  initialPeople = NOBODY,
}: {
  onChosen: (queues: QueueInfo[], people: WatchedPeople) => void;
  onSessionLost: (error: CommandError) => void;
  /** Present when a choice already exists (back to the board without changes). */
  onCancel?: () => void;
  /** People seen on the board this session, offered by name. */
  knownPeople?: readonly Person[];
  /** The people chosen last time. */
  initialPeople?: WatchedPeople;
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
  // Read once, when the first answer arrives (not a reason to search again).
  const restore = useRef({ initial: initialPeople, known: knownPeople });
  useEffect(() => {
    restore.current = { initial: initialPeople, known: knownPeople };
  }, [initialPeople, knownPeople]);
  const searchId = useId();
  const listId = useId();
  const peopleId = useId();
  const [people, setPeople] = useState<readonly Person[]>(initialPeople.people);
  const [watchSelf, setWatchSelf] = useState(initialPeople.watchSelf);
  const [watchQueuePeople, setWatchQueuePeople] = useState(initialPeople.watchQueuePeople);
  const [pick, setPick] = useState('');
  const [pasted, setPasted] = useState('');
  const [pasteProblem, setPasteProblem] = useState<string | undefined>(undefined);

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
              // The app remembers the people too; a choice made this session wins.
              const remembered = answer.people;
              const { initial, known } = restore.current;
              if (initial === NOBODY) {
                setPeople((previous) =>
                  previous.length > 0
                    ? previous
                    : remembered.userIds.map((userId) => ({
                        userId,
                        name: known.find((p) => p.userId === userId)?.name ?? userId,
                      })),
                );
                setWatchSelf((previous) => previous || remembered.watchSelf);
                setWatchQueuePeople((previous) => previous || remembered.watchQueuePeople);
              }
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

  const addPerson = (person: Person) => {
    setPeople((previous) => (previous.some((p) => p.userId === person.userId) ? previous : [...previous, person]));
  };

  const removePerson = (userId: string) => {
    setPeople((previous) => previous.filter((p) => p.userId !== userId));
  };

  const addPasted = () => {
    const userId = pasted.trim();
    if (userId === '' || /\s/.test(userId)) {
      setPasteProblem('A user id is one word, such as 5a1f…: copy it from Genesys Cloud (People, then the person).');
      return;
    }
    setPasteProblem(undefined);
    addPerson(knownPeople.find((p) => p.userId === userId) ?? { userId, name: userId });
    setPasted('');
  };

  const save = () => {
    setSaving(true);
    const watched: WatchedPeople = { people, watchSelf, watchQueuePeople };
    selectQueues({
      queueIds: [...chosen.keys()],
      userIds: people.map((p) => p.userId),
      watchSelf,
      watchQueuePeople,
    }).then(
      ({ selected }) => {
        setSaving(false);
        onChosen(selected, watched);
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
  const pickable = knownPeople.filter((p) => !people.some((c) => c.userId === p.userId));
  const anything = chosen.size > 0 || watchesAnyone({ people, watchSelf, watchQueuePeople });

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
              <ul className="chips" aria-label="Chosen queues">
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
        <fieldset className="people" aria-describedby={`${peopleId}-why`}>
          <legend>People</legend>
          <p className="hint" id={`${peopleId}-why`}>
            Conference bridges dialled directly carry no queue: they show only when someone on them is watched.
          </p>
          <label className="check">
            <input
              type="checkbox"
              checked={watchSelf}
              onChange={(e) => {
                setWatchSelf(e.target.checked);
              }}
            />
            My own calls
          </label>
          <label className="check">
            <input
              type="checkbox"
              checked={watchQueuePeople}
              onChange={(e) => {
                setWatchQueuePeople(e.target.checked);
              }}
            />
            People taking calls on these queues
          </label>
          {knownPeople.length > 0 ? (
            <div className="field">
              <label htmlFor={`${peopleId}-pick`}>Add a person seen on the board</label>
              <div className="inline-field">
                <select
                  id={`${peopleId}-pick`}
                  value={pick}
                  onChange={(e) => {
                    setPick(e.target.value);
                  }}
                >
                  <option value="">Choose a person…</option>
                  {pickable.map((p) => (
                    <option key={p.userId} value={p.userId}>
                      {p.name}
                    </option>
                  ))}
                </select>
                <button
                  type="button"
                  className="secondary"
                  disabled={pick === ''}
                  onClick={() => {
                    const person = knownPeople.find((p) => p.userId === pick);
                    if (person) addPerson(person);
                    setPick('');
                  }}
                >
                  Add person
                </button>
              </div>
            </div>
          ) : (
            <p className="hint">Nobody has been seen on the board yet: paste a user id below to add someone.</p>
          )}
          <div className="field">
            <label htmlFor={`${peopleId}-paste`}>Or paste a user id</label>
            <div className="inline-field">
              <input
                id={`${peopleId}-paste`}
                value={pasted}
                spellCheck={false}
                autoComplete="off"
                aria-invalid={pasteProblem !== undefined}
                aria-describedby={pasteProblem ? `${peopleId}-problem` : undefined}
                onChange={(e) => {
                  setPasted(e.target.value);
                }}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') {
                    e.preventDefault();
                    addPasted();
                  }
                }}
              />
              <button type="button" className="secondary" onClick={addPasted}>
                Add user id
              </button>
            </div>
            {pasteProblem && (
              <p className="hint hint-error" id={`${peopleId}-problem`}>
                {pasteProblem}
              </p>
            )}
          </div>
          <div aria-live="polite">
            {people.length === 0 ? (
              <p className="muted">No person chosen.</p>
            ) : (
              <>
                <p>Also watching {people.length === 1 ? '1 person' : `${String(people.length)} people`}:</p>
                <ul className="chips" aria-label="Chosen people">
                  {people.map((p) => (
                    <li key={p.userId} title={p.userId}>
                      {p.name}
                      <button
                        type="button"
                        className="chip-remove"
                        aria-label={`Remove ${p.name}`}
                        onClick={() => {
                          removePerson(p.userId);
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
        </fieldset>
        <div className="form-buttons">
          <button type="button" disabled={!anything || saving} onClick={save}>
            {saving ? 'Saving…' : anything ? 'Show live calls' : 'Choose a queue or a person'}
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
