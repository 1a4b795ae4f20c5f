import { useCallback, useEffect, useRef, useState } from 'react';
import { Dialog } from '../lib/Dialog';
import { useAnnounce } from '../lib/announcer';
import { listNames, purposeLabel } from '../lib/format';
import { describeOutcome, errorText, errorTitle, isSessionLost } from '../lib/outcome';
import { CopyableId } from '../components/CopyableId';
import { asCommandError, executeDrop, planDrop, type ActionResult, type CommandError, type DropPlanView } from '../platform';
import type { ActionStore } from './actionStore';

export interface DropTarget {
  conversationId: string;
  participantId: string;
  name: string;
}

type Phase =
  | { kind: 'planning' }
  | { kind: 'confirm'; plan: DropPlanView }
  | { kind: 'executing'; plan: DropPlanView }
  | { kind: 'done'; plan: DropPlanView; result: ActionResult }
  | { kind: 'error'; error: CommandError; plan: DropPlanView | undefined };

/**
 * The drop flow in one native dialog: plan (nothing sent), confirm naming who goes and who stays with the
 * warnings, pending while Genesys works, then the outcome in place (with retry when not confirmed).
 */
export function DropDialog({
  target,
  actions,
  onClose,
  onSessionLost,
}: {
  target: DropTarget;
  actions: ActionStore;
  onClose: () => void;
  onSessionLost: (error: CommandError) => void;
}) {
  const [phase, setPhase] = useState<Phase>({ kind: 'planning' });
  const announce = useAnnounce();
  const alive = useRef(true);
  const primary = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  // Asks for a plan; state changes only in the answer's callbacks.
  const fetchPlan = useCallback(() => {
    planDrop(target.conversationId, target.participantId).then(
      (p) => {
        if (alive.current) setPhase({ kind: 'confirm', plan: p });
      },
      (raw: unknown) => {
        const error = asCommandError('plan_drop', raw);
        if (!alive.current) return;
        setPhase({ kind: 'error', error, plan: undefined });
        announce(`${errorTitle(error)}. ${errorText(error)}`);
      },
    );
  }, [announce, target.conversationId, target.participantId]);

  useEffect(() => {
    fetchPlan();
  }, [fetchPlan]);

  const plan = () => {
    setPhase({ kind: 'planning' });
    fetchPlan();
  };

  // Each phase puts focus on its main control, so keyboard users never lose their place.
  useEffect(() => {
    primary.current?.focus();
  }, [phase.kind]);

  const confirm = (p: DropPlanView) => {
    setPhase({ kind: 'executing', plan: p });
    actions.start(target.participantId, 'drop');
    announce(`Dropping ${target.name}…`);
    executeDrop(p.planId).then(
      (result) => {
        actions.finish(target.participantId, result);
        announce(describeOutcome(result).text);
        if (alive.current) setPhase({ kind: 'done', plan: p, result });
      },
      (raw: unknown) => {
        const error = asCommandError('execute_drop', raw);
        actions.fail(target.participantId, error);
        announce(`${errorTitle(error)}. ${errorText(error)}`);
        if (alive.current) setPhase({ kind: 'error', error, plan: p });
      },
    );
  };

  const close = () => {
    if (phase.kind === 'executing') return; // the outcome is on its way; closing now would hide it
    if (phase.kind === 'error' && isSessionLost(phase.error)) onSessionLost(phase.error);
    onClose();
  };

  const titleId = 'drop-dialog-title';
  const bodyId = 'drop-dialog-body';

  return (
    <Dialog labelledBy={titleId} describedBy={bodyId} onClose={close} className="drop-dialog">
      <h2 id={titleId}>Drop {target.name}?</h2>
      <div id={bodyId} aria-live="polite" aria-busy={phase.kind === 'planning' || phase.kind === 'executing'}>
        {phase.kind === 'planning' && <p>Checking the call…</p>}
        {(phase.kind === 'confirm' || phase.kind === 'executing') && <PlanSummary plan={phase.plan} />}
        {phase.kind === 'executing' && (
          <p className="pending" role="status">
            Dropping {target.name}… waiting for Genesys Cloud to confirm.
          </p>
        )}
        {phase.kind === 'done' && <Outcome result={phase.result} plan={phase.plan} />}
        {phase.kind === 'error' && (
          <div className="notice notice-danger">
            <p>
              <strong>{errorTitle(phase.error)}.</strong> {errorText(phase.error)}
            </p>
            {phase.error.correlationId && <CopyableId label="Correlation id" value={phase.error.correlationId} />}
          </div>
        )}
      </div>
      <div className="dialog-buttons">
        {phase.kind === 'confirm' && phase.plan.verdict === 'alreadyGone' && (
          <button type="button" ref={primary} onClick={close}>
            Close
          </button>
        )}
        {/* One Cancel for planning and confirming: the same element across the two phases, so a
            click that lands as the plan arrives is not lost on a button React just replaced. */}
        {(phase.kind === 'planning' || (phase.kind === 'confirm' && phase.plan.verdict === 'ready')) && (
          <button type="button" className="secondary" ref={primary} onClick={close}>
            Cancel
          </button>
        )}
        {phase.kind === 'confirm' && phase.plan.verdict === 'ready' && (
          <button
            type="button"
            className="danger"
            onClick={() => {
              confirm(phase.plan);
            }}
          >
            Drop {target.name}
          </button>
        )}
        {phase.kind === 'executing' && (
          <button type="button" className="danger" disabled>
            Dropping…
          </button>
        )}
        {phase.kind === 'done' && phase.result.outcome.kind === 'notConfirmed' && phase.result.outcome.stillLive && (
          <button type="button" className="danger" onClick={plan}>
            Try again
          </button>
        )}
        {phase.kind === 'error' && (phase.error.code === 'PlanExpired' || phase.error.code === 'RateLimited' || phase.error.code === 'Unreachable') && (
          <button type="button" className="secondary" onClick={plan}>
            Check again
          </button>
        )}
        {(phase.kind === 'done' || phase.kind === 'error') && (
          <button type="button" ref={primary} onClick={close}>
            {phase.kind === 'error' && isSessionLost(phase.error) ? 'Sign in again' : 'Close'}
          </button>
        )}
      </div>
    </Dialog>
  );
}

function PlanSummary({ plan }: { plan: DropPlanView }) {
  const remaining = plan.remaining.map((p) => `${p.name} (${purposeLabel(p.purpose).toLowerCase()})`);
  if (plan.verdict === 'alreadyGone') {
    return (
      <p>
        <strong>{plan.target.name}</strong> has already left this call. Nothing needs to be sent.
      </p>
    );
  }
  return (
    <>
      {plan.resolution && <p className="notice notice-info">{plan.resolution}</p>}
      <p>
        <strong>{plan.target.name}</strong> ({purposeLabel(plan.target.purpose).toLowerCase()}) will be disconnected from
        this call.
      </p>
      <p>
        {plan.remaining.length > 0 ? 'Still on the call afterwards: ' : 'Nobody else is on the call: '}
        {remaining.length > 0 ? listNames(remaining) : 'the call will end'}.
      </p>
      {plan.warnings.length > 0 && (
        <ul className="warnings" aria-label="Warnings">
          {plan.warnings.map((w) => (
            <li key={w.code + w.message} className={`warning warning-${w.code}`}>
              {w.message}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function Outcome({ result, plan }: { result: ActionResult; plan: DropPlanView }) {
  const { tone, text } = describeOutcome(result);
  const o = result.outcome;
  return (
    <div className={`notice notice-${tone}`}>
      <p>
        <strong>{text}</strong>
      </p>
      {o.kind === 'confirmed' && plan.remaining.length > 0 && (
        <p>Still on the call: {listNames(plan.remaining.map((p) => p.name))}.</p>
      )}
      {o.kind === 'refused' && o.vendorCode && (
        <p className="muted small">
          Genesys code: <code>{o.vendorCode}</code>
          {o.status !== null && <> (HTTP {o.status})</>}
        </p>
      )}
      {result.resolution && <p className="muted small">{result.resolution}</p>}
      {result.correlationId && (o.kind === 'refused' || o.kind === 'notConfirmed') && (
        <CopyableId label="Correlation id" value={result.correlationId} />
      )}
    </div>
  );
}
