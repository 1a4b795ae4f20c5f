import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AnnouncerProvider } from '../lib/announcer';
import type { EnforceView, PolicyViewResponse } from '../platform';
import { FakeBackend, T0 } from '../test/fixtures';
import { Policy } from './Policy';

afterEach(() => {
  FakeBackend.reset();
});

const OFF: EnforceView = {
  on: false,
  allowed: true,
  lockedByAdmin: false,
  notAllowedReason: null,
  sinceMs: null,
  decisions: 0,
  lastError: null,
};

function view(overrides: Partial<PolicyViewResponse> = {}): PolicyViewResponse {
  return {
    source: '~/.config/bridgekeeper/policy.toml',
    filePath: '~/.config/bridgekeeper/policy.toml',
    error: null,
    fileMode: 'dry-run',
    maxDropsPerMinute: 6,
    explanation: ['Mode: dry run. It reports what it would drop and sends nothing.', 'At most 6 drops a minute.'],
    rules: [{ id: 'held-too-long', when: 'held', explanation: 'Drops agent legs on hold for 10 min or longer.' }],
    enforce: OFF,
    preview: [
      {
        conversationId: 'conf-1',
        participantId: 'p-jane',
        partyName: 'Jane Doe',
        rule: 'held-too-long',
        reason: 'on hold for 12 min',
        action: 'wouldDrop',
        skippedBecause: null,
      },
      {
        conversationId: 'conf-2',
        participantId: 'p-chris',
        partyName: 'Chris Customer',
        rule: 'held-too-long',
        reason: 'on hold for 11 min',
        action: 'skipped',
        skippedBecause: 'a customer leg is acted on only by a rule whose purposes name customer',
      },
    ],
    unavailable: [],
    watching: true,
    ...overrides,
  };
}

function renderPolicy(backend: FakeBackend) {
  render(
    <AnnouncerProvider>
      <Policy onSessionLost={vi.fn()} />
    </AnnouncerProvider>,
  );
  return backend;
}

describe('policy page', () => {
  it('shows the rules in words, where they come from, and the dry-run preview, sending nothing', async () => {
    const backend = renderPolicy(new FakeBackend({ policy_view: view() }));
    expect(await screen.findByRole('heading', { name: 'Policy', level: 2 })).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'Rules in force' })).toBeInTheDocument();
    expect(screen.getByTestId('policy-source')).toHaveTextContent('From ~/.config/bridgekeeper/policy.toml.');
    expect(screen.getByText('Drops agent legs on hold for 10 min or longer.')).toBeInTheDocument();
    const table = screen.getByRole('table', { name: /What enforcing would do/ });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('Jane Doe');
    expect(rows[0]).toHaveTextContent('on hold for 12 min');
    expect(rows[0]).toHaveTextContent('Drop');
    expect(rows[1]).toHaveTextContent('Skip: a customer leg is acted on only by a rule whose purposes name customer');
    expect(screen.getByRole('switch', { name: 'Enforce the policy in this app' })).toHaveAttribute('aria-checked', 'false');
    expect(backend.commands().filter((c) => c !== 'policy_view')).toEqual([]);
  });

  it('says when the policy file is broken and the built-in rules apply', async () => {
    renderPolicy(
      new FakeBackend({
        policy_view: view({ source: 'built-in', error: 'line 6, field rule[1].for: not a duration', preview: [] }),
      }),
    );
    expect(await screen.findByText(/Your policy file is not used: line 6, field rule\[1\].for/)).toBeInTheDocument();
    expect(screen.getByTestId('policy-source')).toHaveTextContent('The built-in rules (no policy file at');
    expect(screen.getByTestId('policy-preview-empty')).toBeInTheDocument();
    expect(screen.getByRole('switch', { name: 'Enforce the policy in this app' })).toBeDisabled();
  });

  it('switches enforcement on only after a confirmation that says what it does, with the cap', async () => {
    const on: EnforceView = { ...OFF, on: true, sinceMs: T0 };
    const backend = renderPolicy(new FakeBackend({ policy_view: view(), policy_set_enforce: on }));
    const toggle = await screen.findByRole('switch', { name: 'Enforce the policy in this app' });
    fireEvent.click(toggle);
    const dialog = await screen.findByRole('dialog', { name: 'Enforce the policy in this app?' });
    expect(dialog).toHaveTextContent('The app will then drop legs by itself');
    expect(dialog).toHaveTextContent('At most 6 drops a minute.');
    expect(dialog).toHaveTextContent('Drops agent legs on hold for 10 min or longer.');
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(backend.commands()).not.toContain('policy_set_enforce');

    fireEvent.click(toggle);
    backend.on('policy_view', view({ enforce: on }));
    fireEvent.click(
      within(await screen.findByRole('dialog')).getByRole('button', { name: 'Switch enforcement on' }),
    );
    await waitFor(() => {
      expect(backend.argsOf('policy_set_enforce')).toEqual([{ request: { on: true } }]);
    });
    await waitFor(() => {
      expect(screen.getByRole('switch', { name: 'Enforce the policy in this app' })).toHaveAttribute('aria-checked', 'true');
    });
    expect(screen.getByText(/the app drops legs by itself under these rules/)).toBeInTheDocument();
  });

  it('switches off at once, without a confirmation', async () => {
    const on: EnforceView = { ...OFF, on: true, sinceMs: T0, decisions: 2 };
    const backend = renderPolicy(new FakeBackend({ policy_view: view({ enforce: on }), policy_set_enforce: OFF }));
    const toggle = await screen.findByRole('switch', { name: 'Enforce the policy in this app' });
    expect(toggle).toHaveAttribute('aria-checked', 'true');
    expect(screen.getByText(/2 decisions so far/)).toBeInTheDocument();
    fireEvent.click(toggle);
    await waitFor(() => {
      expect(backend.argsOf('policy_set_enforce')).toEqual([{ request: { on: false } }]);
    });
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('shows the switch locked when the administrator forbids enforcement', async () => {
    const locked: EnforceView = {
      ...OFF,
      allowed: false,
      lockedByAdmin: true,
      notAllowedReason: 'Set by your administrator: allow_policy_enforcement = false in /etc/bridgekeeper/config.toml.',
    };
    const backend = renderPolicy(new FakeBackend({ policy_view: view({ enforce: locked }) }));
    const toggle = await screen.findByRole('switch', { name: 'Enforce the policy in this app' });
    expect(toggle).toBeDisabled();
    expect(toggle).toHaveAccessibleDescription(/^Set by your administrator: allow_policy_enforcement = false/);
    expect(screen.getByTestId('enforce-locked')).toHaveTextContent('allow_policy_enforcement = false');
    fireEvent.click(toggle);
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(backend.commands()).not.toContain('policy_set_enforce');
  });
});
