import { memo } from 'react';
import { listNames } from '../lib/format';
import { livePeople } from './boardIndex';
import { Elapsed } from './Elapsed';
import { PartyRow, type PartyHandlers } from './PartyRow';
import { useConversation, type RosterStore } from './rosterStore';
import type { ActionStore } from './actionStore';
import type { ConversationView } from '../platform';

const COLUMNS = 6;

/** The watched people on a call, by the names their legs carry. */
function watchedNames(conversation: ConversationView): string[] {
  const names: string[] = [];
  for (const userId of conversation.watchedUserIds) {
    const leg = conversation.parties.find((p) => p.userId === userId);
    if (leg && !names.includes(leg.name)) names.push(leg.name);
  }
  return names;
}

/** One call: a header row, then its legs. Conferences carry a badge and a distinct style. */
export const ConversationGroup = memo(function ConversationGroup({
  store,
  id,
  rowIndex,
  queueNames,
  actions,
  handlers,
  tabbable = false,
  found,
}: {
  store: RosterStore;
  id: string;
  /** `aria-rowindex` of the header row (the board renders only some rows of its table). */
  rowIndex: number;
  queueNames: ReadonlyMap<string, string>;
  actions: ActionStore;
  handlers: PartyHandlers;
  /** The call's header is the table's one Tab stop among call headers (roving focus; arrows move it). */
  tabbable?: boolean;
  /** The party "find a person" is on, when it is on this call. */
  found?: string | undefined;
}) {
  const conversation = useConversation(store, id);
  if (!conversation) return null;
  const headerId = `call-${conversation.id}`;
  const live = livePeople(conversation);
  const queues = conversation.queueIds.map((q) => queueNames.get(q) ?? 'another queue').join(', ');
  const watched = watchedNames(conversation);
  const kind = conversation.isConference ? 'Conference' : 'Call';
  // A bridge dialled directly has no queue: it is on the board because a watched person is on it.
  const title = queues
    ? `${kind} on ${queues}`
    : conversation.watchedUserIds.length > 0
      ? `${kind} with ${watched.length > 0 ? listNames(watched) : 'a watched person'} (watched person, no queue)`
      : `${kind} on a watched queue`;

  return (
    <tbody
      className={conversation.isConference ? 'call call-conference' : 'call'}
      aria-labelledby={headerId}
      data-conversation-id={conversation.id}
    >
      <tr className="call-header" aria-rowindex={rowIndex}>
        <th scope="rowgroup" colSpan={COLUMNS} id={headerId} tabIndex={tabbable ? 0 : -1} className="call-header-cell">
          <span className="call-title">{title}</span>
          {conversation.isConference && <span className="badge badge-conference">Conference · {live} people</span>}
          {!conversation.fullDetail && (
            <span className="badge badge-partial" title="Details still loading">
              partial<span className="visually-hidden">: details still loading</span>
            </span>
          )}
          {queues && watched.length > 0 && <span className="call-watched">watching {listNames(watched)}</span>}
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
          current={found === party.participantId}
        />
      ))}
    </tbody>
  );
});
