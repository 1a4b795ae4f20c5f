import { Dialog } from '../lib/Dialog';
import type { ActionKind } from '../platform';

/** A mute or hold asked for from the keyboard, waiting for the supervisor to confirm it. */
export interface FlagTarget {
  conversationId: string;
  participantId: string;
  name: string;
  action: Extract<ActionKind, 'mute' | 'unmute' | 'hold' | 'unhold'>;
}

const WORDS: Record<FlagTarget['action'], { verb: string; effect: (name: string) => string }> = {
  mute: { verb: 'Mute', effect: (n) => `Nobody on the call will hear ${n} until they are unmuted.` },
  unmute: { verb: 'Unmute', effect: (n) => `Everyone on the call will hear ${n} again.` },
  hold: { verb: 'Hold', effect: (n) => `${n} will be put on hold: they hear hold music and nobody hears them.` },
  unhold: { verb: 'Resume', effect: (n) => `${n} will be taken off hold and back into the call.` },
};

/**
 * Confirms a mute or hold asked for with a single key (`m`, `h`), which is easy to press by mistake while
 * moving around the board. The dialog opens on Cancel, like the drop dialog; the buttons in the row act at once.
 */
export function FlagDialog({
  target,
  onConfirm,
  onClose,
}: {
  target: FlagTarget;
  onConfirm: (target: FlagTarget) => void;
  onClose: () => void;
}) {
  const { verb, effect } = WORDS[target.action];
  return (
    <Dialog labelledBy="flag-dialog-title" describedBy="flag-dialog-body" onClose={onClose} className="flag-dialog">
      <h2 id="flag-dialog-title">
        {verb} {target.name}?
      </h2>
      <p id="flag-dialog-body">{effect(target.name)}</p>
      <div className="dialog-buttons">
        <button type="button" className="secondary" onClick={onClose} autoFocus>
          Cancel
        </button>
        <button
          type="button"
          onClick={() => {
            onConfirm(target);
          }}
        >
          {verb} {target.name}
        </button>
      </div>
    </Dialog>
  );
}
