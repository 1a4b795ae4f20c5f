import { memo } from 'react';
import type { ActionKind, PartyView } from '../platform';
import { describeOutcome, errorText, pendingLabel } from '../lib/outcome';
import { purposeLabel, stateLabel } from '../lib/format';
import { usePartyAction, type ActionStore } from './actionStore';
import { Elapsed } from './Elapsed';

export interface PartyHandlers {
  onDrop(conversationId: string, party: PartyView, trigger: HTMLElement): void;
  onFlag(conversationId: string, party: PartyView, action: ActionKind): void;
}

const STATUS_NOTE: Record<PartyView['status'], string | null> = {
  live: null,
  ended: 'Ended',
  staleDuplicate: 'Duplicate leg (ended)',
  other: 'Not on the call yet',
};

// A flag of `null` is not yet known (the board was built from analytics data): never shown as "off".
const UNKNOWN = [
  ['muted', 'Mute', 'mute state not yet known'],
  ['held', 'Hold', 'hold state not yet known'],
  ['confined', 'Confine', 'confine state not yet known'],
] as const;

function Flags({ party }: { party: PartyView }) {
  const flags: string[] = [];
  if (party.muted === true) flags.push('Muted');
  if (party.held === true) flags.push('On hold');
  if (party.confined === true) flags.push('Confined');
  const unknown = UNKNOWN.filter(([key]) => party[key] === null);
  const known = flags.map((f) => (
    <span key={f} className={`flag flag-${f.replace(/\s/g, '').toLowerCase()}`}>
      {f}
    </span>
  ));
  if (unknown.length === UNKNOWN.length) {
    // Nothing known yet (the common case right after start-up): one quiet marker, each flag named for readers.
    return (
      <span className="flag flag-unknown" title="Mute, hold and confine state not yet known">
        <span aria-hidden="true">—</span>
        {unknown.map(([key, , label]) => (
          <span key={key} className="visually-hidden">
            {label}
          </span>
        ))}
      </span>
    );
  }
  if (known.length === 0 && unknown.length === 0) return <span className="muted">–</span>;
  return (
    <>
      {known}
      {unknown.map(([key, short, label]) => (
        <span key={key} className="flag flag-unknown" title={label}>
          <span aria-hidden="true">{short} —</span>
          <span className="visually-hidden">{label}</span>
        </span>
      ))}
    </>
  );
}

/** The DOM id of a party's row, which keyboard moves between parties focus. */
export function partyRowId(participantId: string): string {
  return `party-${participantId}`;
}

/** One leg. Memoised on the party object, which the store keeps identical while nothing changes. */
export const PartyRow = memo(function PartyRow({
  conversationId,
  rowIndex,
  party,
  actions,
  handlers,
  current = false,
}: {
  conversationId: string;
  /** `aria-rowindex` in the whole table. */
  rowIndex: number;
  party: PartyView;
  /** The party "find a person" is on: highlighted. */
  current?: boolean;
  actions: ActionStore;
  handlers: PartyHandlers;
}) {
  const action = usePartyAction(actions, party.participantId);
  const pending = action?.pending;
  const note = STATUS_NOTE[party.status];
  const dimmed = party.status !== 'live';
  const outcome = action?.result ? describeOutcome(action.result) : undefined;
  // Unknown (null) flags offer the "on" action: its label names what it does, not what the state is.
  const muted = party.muted === true;
  const held = party.held === true;

  return (
    <tr
      className={`party${dimmed ? ' party-dimmed' : ''}${current ? ' party-found' : ''}`}
      id={partyRowId(party.participantId)}
      // Reached with the arrow keys (not Tab): the row is where m, h and d act.
      tabIndex={-1}
      data-participant-id={party.participantId}
      data-status={party.status}
      aria-rowindex={rowIndex}
      aria-current={current ? 'true' : undefined}
    >
      <th scope="row" className="party-name">
        {party.name}
        {current && <span className="visually-hidden"> (found)</span>}
        {note && <span className="leg-note">{note}</span>}
      </th>
      <td>{purposeLabel(party.purpose)}</td>
      <td>{stateLabel(party.state)}</td>
      <td className="flags">
        <Flags party={party} />
      </td>
      <td className="num">
        <Elapsed sinceMs={party.connectedSinceMs} untilMs={party.endedAtMs} />
      </td>
      <td className="actions">
        {party.actionable ? (
          <div className="action-buttons" aria-busy={pending !== undefined}>
            <button
              type="button"
              className="secondary small"
              aria-label={`${muted ? 'Unmute' : 'Mute'} ${party.name}`}
              title={party.muted === null ? 'Mute state not yet known' : undefined}
              disabled={pending !== undefined}
              onClick={() => {
                handlers.onFlag(conversationId, party, muted ? 'unmute' : 'mute');
              }}
            >
              {pending === 'mute' || pending === 'unmute' ? pendingLabel(pending) : muted ? 'Unmute' : 'Mute'}
            </button>
            <button
              type="button"
              className="secondary small"
              aria-label={`${held ? 'Resume' : 'Hold'} ${party.name}`}
              title={party.held === null ? 'Hold state not yet known' : undefined}
              disabled={pending !== undefined}
              onClick={() => {
                handlers.onFlag(conversationId, party, held ? 'unhold' : 'hold');
              }}
            >
              {pending === 'hold' || pending === 'unhold' ? pendingLabel(pending) : held ? 'Resume' : 'Hold'}
            </button>
            <button
              type="button"
              className="danger small"
              aria-label={`Drop ${party.name}`}
              disabled={pending !== undefined}
              onClick={(event) => {
                handlers.onDrop(conversationId, party, event.currentTarget);
              }}
            >
              {pending === 'drop' ? pendingLabel('drop') : 'Drop'}
            </button>
          </div>
        ) : (
          <span className="muted small">{dimmed ? 'No actions (not on the call)' : 'No actions'}</span>
        )}
        {outcome && <p className={`outcome outcome-${outcome.tone}`}>{outcome.text}</p>}
        {action?.error && <p className="outcome outcome-danger">{errorText(action.error)}</p>}
      </td>
    </tr>
  );
});
