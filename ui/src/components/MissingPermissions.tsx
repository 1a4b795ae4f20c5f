import { useId } from 'react';
import type { MissingPermission } from '../platform';

/** After sign-in: the features the user's roles leave unavailable, and which permission the admin must grant. */
export function MissingPermissions({ missing, onDismiss }: { missing: MissingPermission[]; onDismiss: () => void }) {
  const title = useId();
  if (missing.length === 0) return null;
  const essential = missing.some((m) => m.essential);
  return (
    <section className={`missing-permissions notice ${essential ? 'notice-warning' : 'notice-info'}`} aria-labelledby={title}>
      <h2 id={title}>{missing.length === 1 ? 'A feature is unavailable' : 'Some features are unavailable'}</h2>
      <p>Your Genesys Cloud role lacks a permission Bridgekeeper needs. Ask your administrator to grant it:</p>
      <ul>
        {missing.map((m) => (
          <li key={m.permission}>
            <strong>{m.feature}</strong>: grant <code>{m.permission}</code>. {m.consequence}
          </li>
        ))}
      </ul>
      <button type="button" className="secondary small" onClick={onDismiss}>
        Dismiss
      </button>
    </section>
  );
}
