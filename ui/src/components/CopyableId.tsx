import { useId, useState } from 'react';
import { copyText } from '../platform';

/** An id support will ask for: shown in a read-only field (selectable) with a Copy button. */
export function CopyableId({ label, value }: { label: string; value: string }) {
  const id = useId();
  const [copied, setCopied] = useState<'idle' | 'copied' | 'failed'>('idle');
  return (
    <div className="copyable">
      <label htmlFor={id}>{label}</label>
      <input id={id} readOnly value={value} className="mono" size={Math.min(Math.max(value.length, 12), 40)} />
      <button
        type="button"
        className="secondary small"
        aria-label={`Copy ${label.toLowerCase()}`}
        onClick={() => {
          void copyText(value).then((ok) => {
            setCopied(ok ? 'copied' : 'failed');
          });
        }}
      >
        Copy
      </button>
      <span className="muted small" aria-live="polite">
        {copied === 'copied' ? 'Copied' : copied === 'failed' ? 'Select the text and copy it' : ''}
      </span>
    </div>
  );
}
