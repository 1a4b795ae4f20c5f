import { useState } from 'react';
import { ErrorNotice } from '../components/ErrorNotice';
import { Dialog } from '../lib/Dialog';
import { useAnnounce } from '../lib/announcer';
import { errorTitle, isSessionLost } from '../lib/outcome';
import {
  asCommandError,
  disconnectConversation,
  type CommandError,
  type DisconnectConversationResult,
  type FindingView,
} from '../platform';

type Phase =
  | { kind: 'ask' }
  | { kind: 'sending' }
  | { kind: 'done'; result: DisconnectConversationResult }
  | { kind: 'error'; error: CommandError };

/**
 * Confirms the whole-conversation disconnect of a call that still shows with nobody on it. It ends the
 * interaction for everyone and Genesys Cloud applies a system wrap-up code, so the dialog says both before
 * anything is sent, and opens on Cancel (the safe default), like the drop dialog.
 */
export function EndCallDialog({
  finding,
  onClose,
  onSessionLost,
}: {
  finding: FindingView;
  onClose: () => void;
  onSessionLost?: (error: CommandError) => void;
}) {
  const [phase, setPhase] = useState<Phase>({ kind: 'ask' });
  const announce = useAnnounce();

  const send = () => {
    setPhase({ kind: 'sending' });
    disconnectConversation(finding.conversationId).then(
      (result) => {
        setPhase({ kind: 'done', result });
        announce(result.message);
      },
      (raw: unknown) => {
        const error = asCommandError('conversation_disconnect', raw);
        setPhase({ kind: 'error', error });
        announce(`${errorTitle(error)}: ${error.message}`);
      },
    );
  };

  const close = () => {
    if (phase.kind === 'error' && isSessionLost(phase.error) && onSessionLost) onSessionLost(phase.error);
    onClose();
  };

  return (
    <Dialog labelledBy="end-call-title" describedBy="end-call-body" onClose={close} className="end-call-dialog">
      <h2 id="end-call-title">End this call for everyone?</h2>
      <div id="end-call-body">
        <p>
          Nobody is left on this call, yet it still shows: {finding.reason}.
        </p>
        <p>
          <strong>Ending it ends the interaction for everyone on it</strong>, and Genesys Cloud applies a system
          wrap-up code to it. It cannot be undone.
        </p>
        <p className="muted small">
          Call <code>{finding.conversationId}</code>. Before sending, the app reads the call again and sends nothing if
          someone is on it.
        </p>
      </div>
      {phase.kind === 'done' && (
        <div className={`notice notice-${phase.result.outcome === 'confirmed' ? 'success' : 'warning'}`}>
          <p>
            <strong>{phase.result.message}</strong>
          </p>
        </div>
      )}
      {phase.kind === 'error' && <ErrorNotice title={errorTitle(phase.error)} error={phase.error} />}
      <div className="dialog-buttons">
        {(phase.kind === 'ask' || phase.kind === 'sending') && (
          <button type="button" className="secondary" onClick={close} autoFocus disabled={phase.kind === 'sending'}>
            Cancel
          </button>
        )}
        {phase.kind === 'ask' && (
          <button type="button" className="danger" onClick={send}>
            End the call for everyone
          </button>
        )}
        {phase.kind === 'sending' && (
          <button type="button" className="danger" disabled>
            Ending…
          </button>
        )}
        {(phase.kind === 'done' || phase.kind === 'error') && (
          <button type="button" onClick={close} autoFocus>
            {phase.kind === 'error' && isSessionLost(phase.error) ? 'Sign in again' : 'Close'}
          </button>
        )}
      </div>
    </Dialog>
  );
}
