import { useEffect, useState } from 'react';
import { listNames, plural, purposeLabel } from '../lib/format';
import { asCommandError, listAttention, type AttentionResponse, type FindingView } from '../platform';

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
    case 'none':
      return 'Nothing to send: shown so the board is explained.';
  }
}

/**
 * "Needs attention": the legs the detector finds (its rules from the user's policy file, else the
 * built-in ones), each with why, since when, and what resolving it would do. Resolving goes through the
 * usual drop dialog; nothing here acts by itself.
 */
export function AttentionPanel({
  answer,
  error,
  onDrop,
}: {
  answer: AttentionResponse | undefined;
  error: string | undefined;
  onDrop: (finding: FindingView, trigger: HTMLElement) => void;
}) {
  const findings = answer?.findings ?? [];
  return (
    <section className="attention" aria-labelledby="attention-title" data-testid="attention-panel">
      <h3 id="attention-title" tabIndex={-1}>
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
