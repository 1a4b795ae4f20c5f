import { useId } from 'react';
import type { ConfigProblemView } from '../platform';

/**
 * The configuration files Bridgekeeper had to ignore, each with its file, line and field, so whoever
 * manages it can fix it. The app runs on the defaults meanwhile and never rewrites the file.
 */
export function ConfigProblems({ problems }: { problems: ConfigProblemView[] }) {
  const title = useId();
  if (problems.length === 0) return null;
  return (
    <section className="config-problems notice notice-danger" aria-labelledby={title}>
      <h2 id={title}>
        {problems.length === 1 ? 'A configuration file has a problem' : 'Configuration files have problems'}
      </h2>
      <ul>
        {problems.map((p) => (
          <li key={`${p.path}:${String(p.line)}:${p.field ?? ''}`}>
            <p>
              <strong>{p.scope === 'system' ? 'System-wide configuration' : 'Your configuration'}</strong>{' '}
              <code>{p.path}</code>
              {p.line !== null && <>, line {p.line}</>}
              {p.field !== null && (
                <>
                  , field <code>{p.field}</code>
                </>
              )}
              : {p.message}
            </p>
          </li>
        ))}
      </ul>
      <p>
        Bridgekeeper ignores {problems.length === 1 ? 'this file' : 'these files'} and uses the defaults until{' '}
        {problems.length === 1 ? 'it is' : 'they are'} fixed; nothing in {problems.length === 1 ? 'it' : 'them'} was
        changed.
        {problems.some((p) => p.scope === 'system') && ' The system-wide file is managed by your administrator.'}
      </p>
    </section>
  );
}
