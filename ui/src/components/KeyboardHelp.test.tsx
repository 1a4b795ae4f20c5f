import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { KeyboardHelp, SHORTCUTS } from './KeyboardHelp';

describe('KeyboardHelp', () => {
  it('opens with ? and lists every shortcut', () => {
    render(<KeyboardHelp />);
    expect(screen.queryByRole('dialog')).toBeNull();
    fireEvent.keyDown(document.body, { key: '?' });
    const dialog = screen.getByRole('dialog', { name: 'Keyboard shortcuts' });
    for (const [keys] of SHORTCUTS) expect(dialog).toHaveTextContent(keys);
  });

  it('closes on Escape (the dialog cancel event) and on Close', () => {
    render(<KeyboardHelp />);
    fireEvent.keyDown(document.body, { key: '?' });
    fireEvent(screen.getByRole('dialog'), new Event('cancel'));
    expect(screen.queryByRole('dialog')).toBeNull();
    fireEvent.keyDown(document.body, { key: '?' });
    fireEvent.click(screen.getByRole('button', { name: 'Close' }));
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('does not open while typing ? into a field', () => {
    render(
      <>
        <input aria-label="Find a person" />
        <KeyboardHelp />
      </>,
    );
    fireEvent.keyDown(screen.getByLabelText('Find a person'), { key: '?' });
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});
