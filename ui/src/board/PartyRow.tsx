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

function Flags({ party }: { party: PartyView }) {
  const flags: string[] = [];
  if (party.muted) flags.push('Muted');
  if (party.held) flags.push('On hold');
  if (party.confined) flags.push('Confined');
  if (flags.length === 0) return <span className="muted">–</span>;
  return (
    <>
      {flags.map((f) => (
        <span key={f} className={`flag flag-${f.replace(/\s/g, '').toLowerCase()}`}>
          {f}
        </span>
      ))}
    </>
  );
}

/** One leg. Memoised on the party object, which the store keeps identical while nothing changes. */
export const PartyRow = memo(function PartyRow({
  conversationId,
  rowIndex,
  party,
  actions,
  handlers,
}: {
  conversationId: string;
  /** `aria-rowindex` in the whole table. */
  rowIndex: number;
  party: PartyView;
  actions: ActionStore;
  handlers: PartyHandlers;
}) {
  const action = usePartyAction(actions, party.participantId);
  const pending = action?.pending;
  const note = STATUS_NOTE[party.status];
  const dimmed = party.status !== 'live';
  const outcome = action?.result ? describeOutcome(action.result) : undefined;

  return (
    <tr className={dimmed ? 'party party-dimmed' : 'party'} data-status={party.status} aria-rowindex={rowIndex}>
      <th scope="row" className="party-name">
        {party.name}
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
              aria-label={`${party.muted ? 'Unmute' : 'Mute'} ${party.name}`}
              disabled={pending !== undefined}
              onClick={() => {
                handlers.onFlag(conversationId, party, party.muted ? 'unmute' : 'mute');
              }}
            >
              {pending === 'mute' || pending === 'unmute' ? pendingLabel(pending) : party.muted ? 'Unmute' : 'Mute'}
            </button>
            <button
              type="button"
              className="secondary small"
              aria-label={`${party.held ? 'Resume' : 'Hold'} ${party.name}`}
              disabled={pending !== undefined}
              onClick={() => {
                handlers.onFlag(conversationId, party, party.held ? 'unhold' : 'hold');
              }}
            >
              {pending === 'hold' || pending === 'unhold' ? pendingLabel(pending) : party.held ? 'Resume' : 'Hold'}
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
