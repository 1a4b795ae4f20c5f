import { memo } from 'react';
import { Elapsed } from './Elapsed';
import { PartyRow, type PartyHandlers } from './PartyRow';
import { useConversation, type RosterStore } from './rosterStore';
import type { ActionStore } from './actionStore';

const COLUMNS = 6;

/** One call: a header row, then its legs. Conferences carry a badge and a distinct style. */
export const ConversationGroup = memo(function ConversationGroup({
  store,
  id,
  rowIndex,
  queueNames,
  actions,
  handlers,
}: {
  store: RosterStore;
  id: string;
  /** `aria-rowindex` of the header row (the board renders only some rows of its table). */
  rowIndex: number;
  queueNames: ReadonlyMap<string, string>;
  actions: ActionStore;
  handlers: PartyHandlers;
}) {
  const conversation = useConversation(store, id);
  if (!conversation) return null;
  const headerId = `call-${conversation.id}`;
  const live = conversation.parties.filter((p) => p.status === 'live' && p.purpose !== 'acd').length;
  const queues = conversation.queueIds.map((q) => queueNames.get(q) ?? 'another queue').join(', ');

  return (
    <tbody
      className={conversation.isConference ? 'call call-conference' : 'call'}
      aria-labelledby={headerId}
      data-conversation-id={conversation.id}
    >
      <tr className="call-header" aria-rowindex={rowIndex}>
        <th scope="rowgroup" colSpan={COLUMNS} id={headerId}>
          <span className="call-title">
            {conversation.isConference ? 'Conference' : 'Call'} on {queues || 'a watched queue'}
          </span>
          {conversation.isConference && <span className="badge badge-conference">Conference · {live} people</span>}
          <span className="call-meta">
            on the call for <Elapsed sinceMs={conversation.startedAtMs} />
          </span>
          <span className="call-id muted small" title={conversation.id}>
            {conversation.id.slice(0, 8)}
          </span>
        </th>
      </tr>
      {conversation.parties.map((party, i) => (
        <PartyRow
          key={party.participantId}
          rowIndex={rowIndex + 1 + i}
          conversationId={conversation.id}
          party={party}
          actions={actions}
          handlers={handlers}
        />
      ))}
    </tbody>
  );
});
