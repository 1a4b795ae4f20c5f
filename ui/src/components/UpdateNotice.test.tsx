import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBackend, ipcError } from '../test/fixtures';
import { UpdateNotice } from './UpdateNotice';

afterEach(() => {
  FakeBackend.reset();
});

const OFFER = { enabled: true, available: { version: '0.2.0', notes: 'Faster board at 5,000 calls.' } };

describe('the update notice', () => {
  it('says nothing when updates are off or this is the newest version', async () => {
    const backend = new FakeBackend({ update_check: { enabled: false, available: null } });
    const { container } = render(<UpdateNotice />);
    await waitFor(() => {
      expect(backend.commands()).toEqual(['update_check']);
    });
    expect(container).toBeEmptyDOMElement();
  });

  it('offers the update with its notes and installs only on request', async () => {
    let finish: (value: unknown) => void = () => undefined;
    const backend = new FakeBackend({
      update_check: OFFER,
      update_install: () =>
        new Promise((resolve) => {
          finish = resolve;
        }),
    });
    render(<UpdateNotice />);
    expect(await screen.findByText('Update 0.2.0 available.')).toBeInTheDocument();
    expect(screen.getByText('Faster board at 5,000 calls.')).toBeInTheDocument();
    expect(backend.commands()).not.toContain('update_install');
    fireEvent.click(screen.getByRole('button', { name: 'Install and restart' }));
    expect(await screen.findByRole('button', { name: 'Installing…' })).toBeDisabled();
    expect(backend.commands()).toContain('update_install');
    finish({ version: '0.2.0' });
  });

  it('says plainly when the signature is refused, and that nothing was installed', async () => {
    new FakeBackend({
      update_check: OFFER,
      update_install: () =>
        ipcError(
          'UpdateFailed',
          "The update was refused: its signature does not match Bridgekeeper's publisher key, so it may have been tampered with. Nothing was installed.",
        ),
    });
    render(<UpdateNotice />);
    fireEvent.click(await screen.findByRole('button', { name: 'Install and restart' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The update was not installed.');
    expect(alert).toHaveTextContent('its signature does not match');
    expect(alert).toHaveTextContent('Nothing was installed.');
    expect(screen.getByRole('button', { name: 'Try again' })).toBeEnabled();
  });

  it('waits for an action under way', async () => {
    new FakeBackend({
      update_check: OFFER,
      update_install: () =>
        ipcError('UpdateFailed', '1 action is still under way; install the update once it has finished.'),
    });
    render(<UpdateNotice />);
    fireEvent.click(await screen.findByRole('button', { name: 'Install and restart' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('1 action is still under way');
  });

  it('says when the update endpoint cannot be read', async () => {
    new FakeBackend({
      update_check: () => ipcError('UpdateFailed', 'Could not check for updates: connection refused'),
    });
    render(<UpdateNotice />);
    expect(await screen.findByRole('alert')).toHaveTextContent('Could not check for updates: connection refused');
    expect(screen.queryByRole('button')).not.toBeInTheDocument();
  });
});
