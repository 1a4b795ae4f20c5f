import { useEffect, useRef, useState } from 'react';
import { listNames, plural, purposeLabel } from '../lib/format';
import { asCommandError, listAttention, type AttentionResponse, type CommandError, type FindingView } from '../platform';
import { EndCallDialog } from './EndCallDialog';

/** How often the panel asks the detector again (its thresholds are seconds to minutes). */
export const ATTENTION_EVERY_MS = 3_000;

/** The findings, asked for now and then every [`ATTENTION_EVERY_MS`] while the board is shown. */
export function useAttention(enabled: boolean): { answer: AttentionResponse | undefined; error: string | undefined } {
  const [answer, setAnswer] = useState<AttentionResponse | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    if (!enabled) return;
    let alive = true;
    const ask = () => {
      listAttention().then(
        (a) => {
          if (!alive) return;
          setAnswer(a);
          setError(undefined);
        },
        (raw: unknown) => {
          if (alive) setError(asCommandError('attention_list', raw).message);
        },
      );
    };
    ask();
    const timer = setInterval(ask, ATTENTION_EVERY_MS);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [enabled]);
  return { answer, error };
}

function resolutionText(f: FindingView): string {
  const stay = f.remaining.length > 0 ? `${listNames(f.remaining)} stay on the call` : 'nobody else is on the call';
  switch (f.resolution) {
    case 'dropLeg':
      return `Dropping ${f.partyName} ends their leg only; ${stay}.`;
    case 'disconnectCommunication':
      return `A drop of ${f.partyName} was accepted but the leg stayed: disconnect their communication directly (bridgekeeper-cli, or try the drop again); ${stay}.`;
    case 'disconnectConversation':
      return 'Nobody is left on this call but it still shows: end it for everyone (this applies a system wrap-up code).';
    case 'none':
      return 'Nothing to send: shown so the board is explained.';
  }
}

/**
 * "Needs attention": the legs the detector finds (its rules from the user's policy file, else the
 * built-in ones), each with why, since when, and what resolving it would do. Resolving goes through the
 * usual drop dialog, or for a call with nobody left, the end-call confirmation; nothing here acts by itself.
 */
export function AttentionPanel({
  answer,
  error,
  onDrop,
  onSessionLost,
}: {
  answer: AttentionResponse | undefined;
  error: string | undefined;
  onDrop: (finding: FindingView, trigger: HTMLElement) => void;
  onSessionLost?: (error: CommandError) => void;
}) {
  const findings = answer?.findings ?? [];
  const [ending, setEnding] = useState<{ finding: FindingView; trigger: HTMLElement } | undefined>(undefined);
  const heading = useRef<HTMLHeadingElement>(null);
  return (
    <section className="attention" aria-labelledby="attention-title" data-testid="attention-panel">
      {ending && (
        <EndCallDialog
          finding={ending.finding}
          onClose={() => {
            const trigger = ending.trigger;
            setEnding(undefined);
            // Back to the button once the dialog has gone; if it left with the call, to the panel's heading.
            setTimeout(() => {
              if (trigger.isConnected) trigger.focus();
              else heading.current?.focus();
            }, 0);
          }}
          {...(onSessionLost ? { onSessionLost } : {})}
        />
      )}
      <h3 id="attention-title" tabIndex={-1} ref={heading}>
        Needs attention <span className="attention-count">({findings.length})</span>
      </h3>
      {error && <p className="notice notice-warning">The checks could not run: {error}</p>}
      {answer?.policyError && (
        <p className="notice notice-warning">
          Your policy file is not used: {answer.policyError}. The built-in rules apply until it is fixed.
        </p>
      )}
      {answer && findings.length === 0 && <p className="muted small">Nothing needs attention on the watched calls.</p>}
      {findings.length > 0 && (
        <ul className="attention-list">
          {findings.map((f) => (
            <li key={`${f.conversationId}/${f.participantId}/${f.rule}`} className="attention-item">
              <p>
                <strong>{f.partyName}</strong> ({purposeLabel(f.purpose).toLowerCase()}): {f.reason}
                {!f.sinceKnown && ' (at least; it was already so when watching began)'}.{' '}
                <span className="muted small">Rule {f.rule}.</span>
              </p>
              <p className="small">{resolutionText(f)}</p>
              {f.resolution === 'dropLeg' && (
                <button
                  type="button"
                  className="danger small"
                  // Not "Drop <name>": that is the row's own button, which works at once.
                  aria-label={`Drop… ${f.partyName}, rule ${f.rule}`}
                  onClick={(event) => {
                    onDrop(f, event.currentTarget);
                  }}
                >
                  Drop…
                </button>
              )}
              {f.resolution === 'disconnectConversation' && (
                <button
                  type="button"
                  className="danger small"
                  aria-label={`End call for everyone…, rule ${f.rule}`}
                  onClick={(event) => {
                    setEnding({ finding: f, trigger: event.currentTarget });
                  }}
                >
                  End call for everyone…
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {answer && answer.unavailable.length > 0 && (
        <ul className="attention-unavailable small" aria-label="Rules not checked">
          {answer.unavailable.map((u) => (
            <li key={`${u.rule}/${u.conversationId ?? ''}`}>
              Rule {u.rule} is not checked: {u.reason}.
            </li>
          ))}
        </ul>
      )}
      {answer && (
        <p className="muted small">
          Rules from {answer.policySource === 'built-in' ? 'the built-in policy' : answer.policySource}
          {findings.length > 0 ? ` · ${plural(findings.length, 'finding')}` : ''}.
        </p>
      )}
    </section>
  );
}
