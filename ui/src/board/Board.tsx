import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useAnnounce } from '../lib/announcer';
import { describeOutcome, errorText, errorTitle, isSessionLost } from '../lib/outcome';
import { ErrorNotice } from '../components/ErrorNotice';
import {
  CommandError,
  asCommandError,
  setHold,
  setMute,
  type ActionKind,
  type PartyView,
  type QueueInfo,
} from '../platform';
import { ActionStore } from './actionStore';
import { ConnectionBar } from './ConnectionBar';
import { ConversationGroup } from './ConversationGroup';
import { DropDialog, type DropTarget } from './DropDialog';
import type { PartyHandlers } from './PartyRow';
import {
  RosterStore,
  selectById,
  selectConnection,
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

/**
 * Every live call on the chosen queues, updated live, with the drop, mute and hold actions per party. Only the
 * calls near the viewport are in the DOM (see windowing.ts); the rest are spacers of their measured height.
 */
export function Board({
  queues,
  source,
  onSessionLost,
  onChooseQueues,
}: {
  queues: readonly QueueInfo[];
  source: RosterSource;
  onSessionLost: (error: CommandError) => void;
  onChooseQueues: () => void;
}) {
  const store = useMemo(() => new RosterStore(source), [source]);
  const actions = useMemo(() => new ActionStore(), []);
  const announce = useAnnounce();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const tableRef = useRef<HTMLTableElement>(null);
  const [heights] = useState(() => new HeightCache());
  const [drop, setDrop] = useState<(DropTarget & { trigger: HTMLElement }) | undefined>(undefined);
  // The call holding keyboard focus stays rendered wherever the user scrolls.
  const [focusedId, setFocusedId] = useState<string | undefined>(undefined);

  useEffect(() => {
    void store.start();
    return () => {
      store.stop();
    };
  }, [store]);

  const order = useRoster(store, selectOrder);
  const byId = useRoster(store, selectById);
  const connection = useRoster(store, selectConnection);
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

  const band = useViewportBand(tableRef);
  const layout = useMemo(() => {
    heights.prune(byId);
    return layoutOf(order, byId, heights);
  }, [order, byId, heights]);
  const { start, end } = rangeOf(layout.tops, band.top - OVERSCAN_PX, band.top + band.height + OVERSCAN_PX);
  const pinned = focusedId === undefined ? -1 : order.indexOf(focusedId);
  const pieces = piecesOf(layout.tops, start, end, pinned);

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
    <section className="board" aria-labelledby="board-title">
      <div className="board-top">
        <h2 id="board-title" ref={headingRef} tabIndex={-1}>
          Live calls
        </h2>
        <ConnectionBar connection={connection} />
        <button type="button" className="secondary small" onClick={onChooseQueues}>
          Change queues
        </button>
      </div>
      {status === 'failed' && error && !isSessionLost(error) && (
        <ErrorNotice title={errorTitle(error)} error={error} onRetry={() => void store.start()} />
      )}
      {status === 'loading' && <p className="muted">Loading live calls…</p>}
      {status === 'ready' && order.length === 0 && (
        <p className="empty">No live calls on {watching || 'the chosen queues'} right now. New calls appear here as they start.</p>
      )}
      {order.length > 0 && (
        <table
          className="board-table"
          ref={tableRef}
          aria-rowcount={layout.totalRows}
          onFocus={(event) => {
            const id = event.target.closest<HTMLElement>('tbody[data-conversation-id]')?.dataset.conversationId;
            setFocusedId(id);
          }}
          onBlur={(event) => {
            if (!(event.relatedTarget instanceof Node && event.currentTarget.contains(event.relatedTarget))) {
              setFocusedId(undefined);
            }
          }}
        >
          <caption className="visually-hidden">Live calls on {watching}</caption>
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
            const id = order[piece.index] ?? '';
            return (
              <ConversationGroup
                key={id}
                store={store}
                id={id}
                rowIndex={layout.rowIndex[piece.index] ?? 0}
                queueNames={queueNames}
                actions={actions}
                handlers={handlers}
              />
            );
          })}
        </table>
      )}
      {drop && <DropDialog target={drop} actions={actions} onClose={closeDrop} onSessionLost={onSessionLost} />}
    </section>
  );
}
