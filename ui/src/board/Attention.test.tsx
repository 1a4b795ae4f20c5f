import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AnnouncerProvider } from '../lib/announcer';
import { FakeBackend, attention, finding, ipcError } from '../test/fixtures';
import { AttentionPanel } from './Attention';

afterEach(() => {
  FakeBackend.reset();
});

const NOBODY_LEFT = finding({
  conversationId: 'conv-stuck',
  participantId: 'p-acd',
  partyName: 'Support',
  purpose: 'acd',
  rule: 'no_live_party',
  kind: 'no_live_party',
  reason: 'nobody has been on the call for 3 min, yet it still shows',
  resolution: 'disconnectConversation',
  remaining: [],
});

function panel() {
  render(
    <AnnouncerProvider>
      <AttentionPanel answer={attention([NOBODY_LEFT])} error={undefined} onDrop={vi.fn()} />
    </AnnouncerProvider>,
  );
}

describe('needs attention: a call with nobody left', () => {
  it('ends it for everyone only after a confirmation naming the system wrap-up', async () => {
    const backend = new FakeBackend({
      conversation_disconnect: {
        conversationId: 'conv-stuck',
        outcome: 'confirmed',
        message: 'The call was ended for everyone: it has left the board.',
        latencyMs: 420,
      },
    });
    panel();
    expect(screen.getByText(/Nobody is left on this call but it still shows/)).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'End call for everyone…, rule no_live_party' }));
    const dialog = await screen.findByRole('dialog', { name: 'End this call for everyone?' });
    expect(dialog).toHaveTextContent('ends the interaction for everyone');
    expect(dialog).toHaveTextContent('system wrap-up code');
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    expect(backend.commands()).not.toContain('conversation_disconnect');
    fireEvent.click(within(dialog).getByRole('button', { name: 'End the call for everyone' }));
    expect(await within(dialog).findByText('The call was ended for everyone: it has left the board.')).toBeInTheDocument();
    expect(backend.argsOf('conversation_disconnect')).toEqual([{ request: { conversationId: 'conv-stuck' } }]);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Close' }));
    await waitFor(() => {
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    });
    await waitFor(() => {
      expect(screen.getByRole('button', { name: 'End call for everyone…, rule no_live_party' })).toHaveFocus();
    });
  });

  it('cancel sends nothing, and a refusal is shown with its code', async () => {
    const backend = new FakeBackend({
      conversation_disconnect: () =>
        ipcError('PlanExpired', 'Someone is on this call now (Chris Customer), so it was not ended and nothing was sent.'),
    });
    panel();
    fireEvent.click(screen.getByRole('button', { name: 'End call for everyone…, rule no_live_party' }));
    let dialog = await screen.findByRole('dialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(backend.commands()).not.toContain('conversation_disconnect');
    fireEvent.click(screen.getByRole('button', { name: 'End call for everyone…, rule no_live_party' }));
    dialog = await screen.findByRole('dialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'End the call for everyone' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Someone is on this call now (Chris Customer)');
    expect(within(dialog).getByText('PlanExpired')).toBeInTheDocument();
  });
});
