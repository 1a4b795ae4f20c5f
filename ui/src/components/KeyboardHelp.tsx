import { useEffect, useState } from 'react';
import { Dialog } from '../lib/Dialog';

/** The shortcuts the app has, as the help lists them (keys, then what they do). */
export const SHORTCUTS: readonly (readonly [string, string])[] = [
  ['?', 'Show this list of shortcuts'],
  ['Tab / Shift+Tab', 'Move between controls: filter, find a person, calls, and each party’s Mute, Hold and Drop'],
  ['↓ or j', 'Next call (on the board)'],
  ['↑ or k', 'Previous call (on the board)'],
  ['Home / End', 'First / last call'],
  ['→ / ←', 'Next / previous party of the call (→ on a call: its first party; ← on the first: back to the call)'],
  ['m on a party', 'Mute or unmute that party, after you confirm'],
  ['h on a party', 'Put that party on hold or resume them, after you confirm'],
  ['d on a party', 'Drop that party: shows who stays on the call and asks you to confirm'],
  ['Enter on a call', 'Next person found, while finding (Shift+Enter: previous)'],
  ['F3 / Shift+F3', 'Next / previous person found'],
  ['Enter or Space on Mute, Hold, Drop', 'Act on that party at once; Drop asks to confirm first'],
  ['Escape', 'Close a dialog without acting'],
];

/** Typing `?` into a field types it; only elsewhere does it open the help. */
function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/** In-app keyboard help opened with `?` (a native modal dialog: focus is trapped, Escape closes). */
export function KeyboardHelp() {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => {
      if (event.key !== '?' || event.ctrlKey || event.metaKey || event.altKey || typingIn(event.target)) return;
      if (document.querySelector('dialog[open]')) return;
      event.preventDefault();
      setOpen(true);
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
    };
  }, []);
  if (!open) return null;
  const close = () => {
    setOpen(false);
  };
  return (
    <Dialog labelledBy="keyboard-help-title" onClose={close} className="help-dialog">
      <h2 id="keyboard-help-title">Keyboard shortcuts</h2>
      <table className="shortcuts">
        <caption className="visually-hidden">Keys and what they do</caption>
        <thead>
          <tr>
            <th scope="col">Keys</th>
            <th scope="col">What they do</th>
          </tr>
        </thead>
        <tbody>
          {SHORTCUTS.map(([keys, what]) => (
            <tr key={keys}>
              <th scope="row">
                <kbd>{keys}</kbd>
              </th>
              <td>{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="dialog-buttons">
        <button type="button" onClick={close} autoFocus>
          Close
        </button>
      </div>
    </Dialog>
  );
}
