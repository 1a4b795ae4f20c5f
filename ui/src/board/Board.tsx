// The board: the call table, its keyboard model, the find box and the panels and dialogs it opens.
// About 650 lines on purpose: the keyboard model (calls, parties, shortcuts) and the focus it keeps
// across live updates are one piece of state read top to bottom; the pure parts already live beside
// it (boardIndex.ts, windowing.ts, rosterStore.ts) and each panel or dialog has its own file.
import {
  useCallback,
  useDeferredValue,
  useEffect,
  useId,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
} from 'react';
import { useAnnounce } from '../lib/announcer';
import { formatCount, plural, purposeLabel } from '../lib/format';
import { describeOutcome, errorText, errorTitle, isSessionLost } from '../lib/outcome';
import { ErrorNotice } from '../components/ErrorNotice';
import {
  CommandError,
  asCommandError,
  setHold,
  setMute,
  type ActionKind,
  type FindingView,
  type PartyView,
  type QueueInfo,
} from '../platform';
import { ActionStore } from './actionStore';
import {
  NO_FILTERS,
  NO_QUEUE,
  filterOrder,
  filtersActive,
  findMatches,
  matcherOf,
  purposesOf,
  totalsOf,
  type BoardFilters,
  type FindMatch,
  type PeopleSeen,
} from './boardIndex';
import { Completeness } from './Completeness';
import { ConnectionBar } from './ConnectionBar';
import { ConversationGroup } from './ConversationGroup';
import { DropDialog, type DropTarget } from './DropDialog';
import { FlagDialog, type FlagTarget } from './FlagDialog';
import { AttentionPanel, useAttention } from './Attention';
import type { PartyHandlers } from './PartyRow';
import {
  RosterStore,
  selectById,
  selectConnection,
  selectConnectionAt,
  selectError,
  selectOrder,
  selectStatus,
  useRoster,
  type RosterSource,
} from './rosterStore';
import { HeightCache, OVERSCAN_PX, layoutOf, piecesOf, rangeOf, useViewportBand } from './windowing';

const COLUMNS = 6;

/** An empty, hidden stretch of the table standing in for calls that are not rendered. */
function Spacer({ height }: { height: number }) {
  return (
    <tbody aria-hidden="true" className="board-spacer">
      <tr>
        <td colSpan={COLUMNS} style={{ height }} />
      </tr>
    </tbody>
  );
}

/** Where focus should land after the next commit, and how far to scroll for it. */
interface FocusTarget {
  readonly id: string;
  readonly block: ScrollLogicalPosition;
}

/**
 * Every live call on the chosen queues and people, updated live, with the drop, mute and hold actions per
 * party. Only the calls near the viewport are in the DOM (see windowing.ts); the rest are spacers of their
 * measured height. Totals, filters and "find a person" work over every call in the store; arrow keys (or
 * j/k, Home, End) move between calls, rendering and scrolling to the one they land on.
 */
export function Board({
  queues,
  source,
  onSessionLost,
  onChooseQueues,
  onOpenPolicy,
  people,
}: {
  queues: readonly QueueInfo[];
  source: RosterSource;
  onSessionLost: (error: CommandError) => void;
  onChooseQueues: () => void;
  /** Opens the policy page (its rules, the dry-run preview and the enforce switch). */
  onOpenPolicy?: () => void;
  /** Fed with the people seen on the board, for the queue screen's people picker. */
  people?: PeopleSeen;
}) {
  const store = useMemo(() => new RosterStore(source), [source]);
  const actions = useMemo(() => new ActionStore(), []);
  const announce = useAnnounce();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const tableRef = useRef<HTMLTableElement>(null);
  const [heights] = useState(() => new HeightCache());
  const [drop, setDrop] = useState<(DropTarget & { trigger: HTMLElement }) | undefined>(undefined);
  const [flag, setFlag] = useState<(FlagTarget & { trigger: HTMLElement }) | undefined>(undefined);
  // The call holding keyboard focus stays rendered wherever the user scrolls.
  const [focusedId, setFocusedId] = useState<string | undefined>(undefined);
  // A call the keyboard (or "find a person") moves to: focused once it is rendered.
  const focusTarget = useRef<FocusTarget | undefined>(undefined);
  const [focusTick, setFocusTick] = useState(0);
  const [filters, setFilters] = useState<BoardFilters>(NO_FILTERS);
  const [findQuery, setFindQuery] = useState('');
  const [findAt, setFindAt] = useState<FindMatch | undefined>(undefined);
  // Typing stays responsive with 5,000 calls: the filtering follows the input, not within each keystroke.
  const deferredFilters = useDeferredValue(filters);
  const deferredFind = useDeferredValue(findQuery);
  const filterId = useId();

  useEffect(() => {
    void store.start();
    return () => {
      store.stop();
    };
  }, [store]);

  const order = useRoster(store, selectOrder);
  const byId = useRoster(store, selectById);
  const connection = useRoster(store, selectConnection);
  const connectionAt = useRoster(store, selectConnectionAt);
  const status = useRoster(store, selectStatus);
  const error = useRoster(store, selectError);

  useEffect(() => {
    if (error && isSessionLost(error)) onSessionLost(error);
  }, [error, onSessionLost]);

  // The live connection closed because the session is over: back to sign-in, saying why.
  useEffect(() => {
    if (connection.sessionExpired) {
      onSessionLost(
        new CommandError(
          'roster_subscribe',
          'SessionExpired',
          connection.detail ?? 'Your session has expired or was revoked. Sign in again.',
        ),
      );
    }
  }, [connection, onSessionLost]);

  const queueNames = useMemo(() => new Map(queues.map((q) => [q.id, q.name])), [queues]);

  useEffect(() => {
    people?.note(byId);
  }, [people, byId]);

  // Over every call in the store, not just the rendered ones. Each pass is linear; the matcher remembers
  // its answer per conversation object, so a flush re-tests only the calls it changed.
  const totals = useMemo(() => totalsOf(order, byId), [order, byId]);
  const purposes = useMemo(() => purposesOf(byId), [byId]);
  const matcher = useMemo(
    () => (filtersActive(deferredFilters) ? matcherOf(deferredFilters) : undefined),
    [deferredFilters],
  );
  const shown = useMemo(() => filterOrder(order, byId, matcher, focusedId), [order, byId, matcher, focusedId]);
  const indexOf = useMemo(() => new Map(shown.map((id, i) => [id, i])), [shown]);
  const matches = useMemo(() => findMatches(shown, byId, deferredFind), [shown, byId, deferredFind]);
  const position =
    findAt === undefined
      ? -1
      : matches.findIndex((m) => m.participantId === findAt.participantId && m.conversationId === findAt.conversationId);

  const sessionLost = useRef(onSessionLost);
  useEffect(() => {
    sessionLost.current = onSessionLost;
  }, [onSessionLost]);

  const handlers = useMemo<PartyHandlers>(
    () => ({
      onDrop(conversationId: string, party: PartyView, trigger: HTMLElement) {
        actions.clear(party.participantId);
        setDrop({ conversationId, participantId: party.participantId, name: party.name, trigger });
      },
      onFlag(conversationId: string, party: PartyView, action: ActionKind) {
        const call = action === 'mute' || action === 'unmute' ? setMute : setHold;
        const on = action === 'mute' || action === 'hold';
        const command = action === 'mute' || action === 'unmute' ? 'set_mute' : 'set_hold';
        actions.start(party.participantId, action);
        call(conversationId, party.participantId, on).then(
          (result) => {
            actions.finish(party.participantId, result);
            announce(describeOutcome(result).text);
          },
          (raw: unknown) => {
            const failure = asCommandError(command, raw);
            actions.fail(party.participantId, failure);
            announce(`${errorTitle(failure)}. ${errorText(failure)}`);
            if (isSessionLost(failure)) sessionLost.current(failure);
          },
        );
      },
    }),
    [actions, announce],
  );

  const closeFlag = useCallback(() => {
    const trigger = flag?.trigger;
    setFlag(undefined);
    setTimeout(() => {
      if (trigger?.isConnected) trigger.focus();
      else headingRef.current?.focus();
    }, 0);
  }, [flag]);

  const confirmFlag = useCallback(
    (target: FlagTarget) => {
      const party = byId.get(target.conversationId)?.parties.find((p) => p.participantId === target.participantId);
      closeFlag();
      if (!party?.actionable) {
        announce(`${target.name} is no longer on the call: nothing was sent.`);
        return;
      }
      handlers.onFlag(target.conversationId, party, target.action);
    },
    [byId, closeFlag, handlers, announce],
  );

  const closeDrop = useCallback(() => {
    const trigger = drop?.trigger;
    setDrop(undefined);
    // Focus goes back to the Drop button; if its row is gone (the call ended), to the board heading.
    setTimeout(() => {
      if (trigger?.isConnected && !(trigger as HTMLButtonElement).disabled) trigger.focus();
      else headingRef.current?.focus();
    }, 0);
  }, [drop]);

  const watching = queues.map((q) => q.name).join(', ');

  const attention = useAttention(status === 'ready');
  const attentionCount = attention.answer?.findings.length ?? 0;
  const attentionRef = useRef<HTMLDivElement>(null);
  const dropFinding = useCallback(
    (finding: FindingView, trigger: HTMLElement) => {
      const party = byId.get(finding.conversationId)?.parties.find((p) => p.participantId === finding.participantId);
      if (!party?.actionable) {
        announce(`${finding.partyName} is no longer on the board: nothing to drop.`);
        return;
      }
      handlers.onDrop(finding.conversationId, party, trigger);
    },
    [byId, handlers, announce],
  );

  const band = useViewportBand(tableRef);
  const layout = useMemo(() => {
    heights.prune(byId);
    return layoutOf(shown, byId, heights);
  }, [shown, byId, heights]);
  const { start, end } = rangeOf(layout.tops, band.top - OVERSCAN_PX, band.top + band.height + OVERSCAN_PX);
  const pinned = focusedId === undefined ? -1 : (indexOf.get(focusedId) ?? -1);
  const pieces = piecesOf(layout.tops, start, end, pinned);
  // Roving focus: one call header is in the Tab order (the focused call's, else the first rendered one's).
  const tabStop = focusedId ?? shown[start];

  /** Moves keyboard focus to call `id`: it is pinned (so rendered), then focused and scrolled to. */
  const goTo = useCallback((id: string, block: ScrollLogicalPosition) => {
    focusTarget.current = { id, block };
    setFocusedId(id);
    setFocusTick((n) => n + 1);
  }, []);

  const step = (direction: 1 | -1) => {
    const n = matches.length;
    if (n === 0) return;
    const from = position >= 0 ? position : direction === 1 ? -1 : 0;
    const next = matches[(((from + direction) % n) + n) % n];
    if (!next) return;
    setFindAt(next);
    goTo(next.conversationId, 'center');
  };

  /** The party whose row holds `target` (the row itself or one of its buttons), with its call. */
  const partyAt = (target: HTMLElement): { conversationId: string; party: PartyView; row: HTMLElement } | undefined => {
    const row = target.closest<HTMLElement>('tr[data-participant-id]');
    const conversationId = row?.closest<HTMLElement>('tbody[data-conversation-id]')?.dataset.conversationId;
    if (!row || conversationId === undefined) return undefined;
    const party = byId.get(conversationId)?.parties.find((p) => p.participantId === row.dataset.participantId);
    return party ? { conversationId, party, row } : undefined;
  };

  /** `m`, `h`, `d` on a party: each asks first (mute and hold in a small dialog, drop in the drop dialog). */
  const onPartyKey = (key: string, target: HTMLElement): boolean => {
    const at = partyAt(target);
    if (!at?.party.actionable || actions.get(at.party.participantId)?.pending !== undefined) return false;
    const { conversationId, party, row } = at;
    if (key === 'd') {
      handlers.onDrop(conversationId, party, target);
      return true;
    }
    const action: FlagTarget['action'] | undefined =
      key === 'm' ? (party.muted === true ? 'unmute' : 'mute') : key === 'h' ? (party.held === true ? 'unhold' : 'hold') : undefined;
    if (!action) return false;
    setFlag({ conversationId, participantId: party.participantId, name: party.name, action, trigger: row });
    return true;
  };

  /** → and ←: the next / previous party of the call (→ on a call's header: its first party; ← on the first: the header). */
  const moveParty = (direction: 1 | -1, target: HTMLElement): boolean => {
    const body = target.closest<HTMLElement>('tbody[data-conversation-id]');
    if (!body) return false;
    const rows = Array.from(body.querySelectorAll<HTMLElement>('tr[data-participant-id]'));
    const current = target.closest<HTMLElement>('tr[data-participant-id]');
    const from = current ? rows.indexOf(current) : -1;
    const to = from + direction;
    if (to >= 0 && to < rows.length) {
      rows[to]?.focus();
      return true;
    }
    if (to < 0 && current) {
      body.querySelector<HTMLElement>('.call-header-cell')?.focus();
      return true;
    }
    return false;
  };

  const onTableKey = (event: KeyboardEvent<HTMLTableElement>) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target as HTMLElement;
    if ((event.key === 'ArrowRight' || event.key === 'ArrowLeft') && moveParty(event.key === 'ArrowRight' ? 1 : -1, target)) {
      event.preventDefault();
      return;
    }
    if (['m', 'h', 'd'].includes(event.key) && onPartyKey(event.key, target)) {
      event.preventDefault();
      return;
    }
    const id = target.closest<HTMLElement>('tbody[data-conversation-id]')?.dataset.conversationId;
    const at = id === undefined ? -1 : (indexOf.get(id) ?? -1);
    let next: number;
    switch (event.key) {
      case 'ArrowDown':
      case 'j':
        next = at + 1;
        break;
      case 'ArrowUp':
      case 'k':
        next = at < 0 ? 0 : at - 1;
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = shown.length - 1;
        break;
      case 'Enter':
        // On a call header while finding: the next match (Enter again).
        if (target.classList.contains('call-header-cell') && matches.length > 0) {
          event.preventDefault();
          step(event.shiftKey ? -1 : 1);
        }
        return;
      default:
        return;
    }
    event.preventDefault();
    const nextId = shown[next];
    if (nextId !== undefined) goTo(nextId, 'nearest');
  };

  // Focus the call the keyboard moved to, now that it is rendered (pinned), and bring it into view; the
  // scroll then moves the window of rendered calls to it.
  useLayoutEffect(() => {
    const target = focusTarget.current;
    if (!target) return;
    focusTarget.current = undefined;
    const header = document.getElementById(`call-${target.id}`);
    if (!header) return;
    header.focus({ preventScroll: true });
    header.scrollIntoView({ block: target.block });
  }, [focusTick]);

  // After each commit, remember how tall the rendered calls really are (the browser lays them out for this
  // frame anyway); the next layout uses these instead of estimates.
  useLayoutEffect(() => {
    const bodies = tableRef.current?.tBodies;
    if (!bodies) return;
    for (const body of bodies) {
      const id = body.dataset.conversationId;
      if (id !== undefined) heights.record(id, body.offsetHeight);
    }
  });

  return (
    <section
      className="board"
      aria-labelledby="board-title"
      onKeyDown={(event) => {
        // F3 / Shift+F3 anywhere on the board: the next / previous person found.
        if (event.key === 'F3') {
          event.preventDefault();
          step(event.shiftKey ? -1 : 1);
        }
      }}
    >
      <div className="board-top">
        <h2 id="board-title" ref={headingRef} tabIndex={-1}>
          Live calls
        </h2>
        <ConnectionBar connection={connection} atMs={connectionAt} />
        <p className="board-totals" data-testid="board-totals">
          {plural(totals.calls, 'call')} · {plural(totals.conferences, 'conference')} ·{' '}
          {plural(totals.people, 'person', 'people')}
        </p>
        {status === 'ready' && (
          <button
            type="button"
            className={attentionCount > 0 ? 'small attention-badge attention-badge-on' : 'secondary small attention-badge'}
            data-testid="attention-count"
            onClick={() => {
              attentionRef.current?.querySelector<HTMLElement>('h3')?.focus();
              attentionRef.current?.scrollIntoView({ block: 'nearest' });
            }}
          >
            Needs attention: {attentionCount}
          </button>
        )}
        {status === 'ready' && onOpenPolicy && (
          <button type="button" className="secondary small" data-testid="open-policy" onClick={onOpenPolicy}>
            Policy
          </button>
        )}
        <button type="button" className="secondary small" onClick={onChooseQueues}>
          Change queues or people
        </button>
      </div>
      {status === 'ready' && <Completeness connection={connection} atMs={connectionAt} />}
      {status === 'ready' && (
        <div ref={attentionRef}>
          <AttentionPanel
            answer={attention.answer}
            error={attention.error}
            onDrop={dropFinding}
            onSessionLost={onSessionLost}
          />
        </div>
      )}
      {order.length > 0 && (
        <div className="board-tools" role="search" aria-label="Filter and find calls">
          <div className="field">
            <label htmlFor={`${filterId}-name`}>Filter by party name</label>
            <input
              id={`${filterId}-name`}
              type="search"
              value={filters.name}
              aria-describedby={`${filterId}-count`}
              onChange={(e) => {
                setFilters((f) => ({ ...f, name: e.target.value }));
              }}
            />
          </div>
          <div className="field">
            <label htmlFor={`${filterId}-queue`}>Queue</label>
            <select
              id={`${filterId}-queue`}
              value={filters.queue}
              aria-describedby={`${filterId}-count`}
              onChange={(e) => {
                setFilters((f) => ({ ...f, queue: e.target.value }));
              }}
            >
              <option value="">All queues</option>
              {queues.map((q) => (
                <option key={q.id} value={q.id}>
                  {q.name}
                </option>
              ))}
              <option value={NO_QUEUE}>No queue (people)</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${filterId}-purpose`}>Purpose</label>
            <select
              id={`${filterId}-purpose`}
              value={filters.purpose}
              aria-describedby={`${filterId}-count`}
              onChange={(e) => {
                setFilters((f) => ({ ...f, purpose: e.target.value }));
              }}
            >
              <option value="">Any purpose</option>
              {purposes.map((p) => (
                <option key={p} value={p}>
                  {purposeLabel(p)}
                </option>
              ))}
            </select>
          </div>
          <p className="filter-count muted small" id={`${filterId}-count`} data-testid="filter-count">
            {matcher
              ? `Showing ${formatCount(shown.length)} of ${plural(order.length, 'call')}`
              : `Showing all ${plural(order.length, 'call')}`}
          </p>
          {filtersActive(filters) && (
            <button
              type="button"
              className="secondary small"
              onClick={() => {
                setFilters(NO_FILTERS);
              }}
            >
              Clear filters
            </button>
          )}
          <div className="field find">
            <label htmlFor={`${filterId}-find`}>Find a person</label>
            <input
              id={`${filterId}-find`}
              type="search"
              value={findQuery}
              placeholder="Name, then Enter"
              aria-describedby={`${filterId}-found`}
              onChange={(e) => {
                setFindQuery(e.target.value);
                setFindAt(undefined);
              }}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  step(e.shiftKey ? -1 : 1);
                }
              }}
            />
          </div>
          <div className="find-buttons">
            <button
              type="button"
              className="secondary small"
              aria-label="Previous match"
              disabled={matches.length === 0}
              onClick={() => {
                step(-1);
              }}
            >
              ↑
            </button>
            <button
              type="button"
              className="secondary small"
              aria-label="Next match"
              disabled={matches.length === 0}
              onClick={() => {
                step(1);
              }}
            >
              ↓
            </button>
            <span className="find-count muted small" id={`${filterId}-found`} aria-live="polite" data-testid="find-count">
              {deferredFind.trim() === ''
                ? ''
                : matches.length === 0
                  ? 'No matches'
                  : position >= 0
                    ? `${formatCount(position + 1)} of ${plural(matches.length, 'match', 'matches')}`
                    : plural(matches.length, 'match', 'matches')}
            </span>
          </div>
        </div>
      )}
      {status === 'failed' && error && !isSessionLost(error) && (
        <ErrorNotice title={errorTitle(error)} error={error} onRetry={() => void store.start()} />
      )}
      {status === 'loading' && <p className="muted">Loading live calls…</p>}
      {status === 'ready' && order.length === 0 && (
        <p className="empty">
          No live calls on {watching || 'the chosen queues and people'} right now. New calls appear here as they
          start.
        </p>
      )}
      {order.length > 0 && shown.length === 0 && <p className="empty">No call matches the filters.</p>}
      {shown.length > 0 && (
        <table
          className="board-table"
          ref={tableRef}
          aria-rowcount={layout.totalRows}
          aria-describedby={`${filterId}-keys`}
          onKeyDown={onTableKey}
          onFocus={(event) => {
            const id = event.target.closest<HTMLElement>('tbody[data-conversation-id]')?.dataset.conversationId;
            setFocusedId(id);
          }}
          onBlur={(event) => {
            // A keyboard move may unmount the call focus was in; the move itself says where focus goes.
            if (focusTarget.current) return;
            if (!(event.relatedTarget instanceof Node && event.currentTarget.contains(event.relatedTarget))) {
              setFocusedId(undefined);
            }
          }}
        >
          <caption className="visually-hidden">Live calls on {watching || 'the watched people'}</caption>
          <colgroup>
            <col className="col-party" />
            <col className="col-purpose" />
            <col className="col-state" />
            <col className="col-flags" />
            <col className="col-time" />
            <col className="col-actions" />
          </colgroup>
          <thead>
            <tr aria-rowindex={1}>
              <th scope="col">Party</th>
              <th scope="col">Purpose</th>
              <th scope="col">State</th>
              <th scope="col">Muted / held</th>
              <th scope="col" className="num">
                Time on call
              </th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          {pieces.map((piece, i) => {
            if (piece.kind === 'gap') return <Spacer key={`gap-${String(i)}`} height={piece.height} />;
            const id = shown[piece.index] ?? '';
            return (
              <ConversationGroup
                key={id}
                store={store}
                id={id}
                rowIndex={layout.rowIndex[piece.index] ?? 0}
                queueNames={queueNames}
                actions={actions}
                handlers={handlers}
                tabbable={id === tabStop}
                found={findAt?.conversationId === id ? findAt.participantId : undefined}
              />
            );
          })}
        </table>
      )}
      {shown.length > 0 && (
        <p className="visually-hidden" id={`${filterId}-keys`}>
          Arrow down and arrow up (or j and k) move between calls; Home and End go to the first and last call; arrow
          right and arrow left move between the parties of a call; on a party, m mutes, h holds and d drops, each
          after a confirmation; Tab reaches a call&apos;s buttons. F3 finds the next person. Question mark lists
          every shortcut.
        </p>
      )}
      {flag && <FlagDialog target={flag} onConfirm={confirmFlag} onClose={closeFlag} />}
      {drop && <DropDialog target={drop} actions={actions} onClose={closeDrop} onSessionLost={onSessionLost} />}
    </section>
  );
}
