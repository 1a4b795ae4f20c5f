import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AnnouncerProvider } from '../lib/announcer';
import type { AuditEntry, AuditListResponse } from '../platform';
import { FakeBackend, T0, ipcError } from '../test/fixtures';
import { Audit } from './Audit';

afterEach(() => {
  FakeBackend.reset();
});

function entry(overrides: Partial<AuditEntry>): AuditEntry {
  return {
    id: 'a1',
    timeMs: T0,
    actorName: 'Sam Supervisor',
    actorUserId: 'u-sam',
    action: 'drop',
    conversationId: 'conf-1',
    participantId: 'p-jane',
    partyName: 'Jane Doe',
    partyPurpose: 'agent',
    request: 'PATCH /api/v2/conversations/calls/conf-1/participants/p-jane {"state":"disconnected"}',
    outcome: 'confirmed',
    latencyMs: 180,
    correlationId: 'corr-1',
    detail: null,
    ...overrides,
  };
}

const LOG: AuditListResponse = {
  entries: [
    entry({ id: 'a2', timeMs: T0 + 60_000, action: 'mute', partyName: 'Chris Customer', partyPurpose: 'customer', outcome: 'refused', detail: 'Not allowed', correlationId: 'corr-2' }),
    entry({}),
  ],
  total: 2,
  skippedLines: 1,
  path: '/data/audit.jsonl',
};

function renderAudit(backend: FakeBackend) {
  render(
    <AnnouncerProvider>
      <Audit onSessionLost={vi.fn()} />
    </AnnouncerProvider>,
  );
  return backend;
}

describe('audit log', () => {
  it('lists records newest first with outcome, request and copyable correlation id', async () => {
    renderAudit(new FakeBackend({ audit_list: LOG }));
    const table = await screen.findByRole('table', { name: 'Audited actions, newest first' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('Mute');
    expect(rows[0]).toHaveTextContent('Chris Customer (customer)');
    expect(rows[0]).toHaveTextContent('Refused');
    expect(rows[1]).toHaveTextContent('Confirmed');
    expect(rows[1]).toHaveTextContent('180 ms');
    expect(screen.getByText(/Showing 2 of 2 records\. 1 damaged line was skipped/)).toBeInTheDocument();
    const second = rows[1];
    if (!second) throw new Error('row');
    fireEvent.click(within(second).getByText('Request and ids'));
    expect(within(second).getByText(/PATCH \/api\/v2\/conversations\/calls\/conf-1/)).toBeInTheDocument();
    expect(within(second).getByLabelText('Correlation id')).toHaveValue('corr-1');
  });

  it('sends the filters and shows what matched', async () => {
    const backend = renderAudit(
      new FakeBackend({
        audit_list: (args) => {
          const f = (args.request as { filters: { actions: string[] } }).filters;
          return f.actions.length ? { ...LOG, entries: LOG.entries.filter((e) => f.actions.includes(e.action)) } : LOG;
        },
      }),
    );
    await screen.findByRole('table');
    fireEvent.change(screen.getByLabelText('Search'), { target: { value: ' jane ' } });
    fireEvent.change(screen.getByLabelText('Action'), { target: { value: 'drop' } });
    fireEvent.change(screen.getByLabelText('Outcome'), { target: { value: 'confirmed' } });
    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2025-01-02' } });
    fireEvent.change(screen.getByLabelText('To (inclusive)'), { target: { value: '2025-01-02' } });
    fireEvent.click(screen.getByRole('button', { name: 'Apply filters' }));
    await waitFor(() => {
      expect(screen.getByText(/Showing 1 of 2 records/)).toBeInTheDocument();
    });
    const sent = backend.argsOf('audit_list')[1]?.request as { filters: Record<string, unknown> };
    const from = new Date(2025, 0, 2).getTime();
    expect(sent.filters).toEqual({
      text: 'jane',
      actions: ['drop'],
      outcomes: ['confirmed'],
      fromMs: from,
      toMs: from + 86_400_000,
    });
    fireEvent.click(screen.getByRole('button', { name: 'Clear' }));
    await waitFor(() => {
      expect(screen.getByText(/Showing 2 of 2 records/)).toBeInTheDocument();
    });
  });

  it('exports the filtered records as CSV and says where', async () => {
    const backend = renderAudit(
      new FakeBackend({ audit_list: LOG, audit_export_csv: { path: 'Downloads/bridgekeeper-audit.csv', rows: 2 } }),
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Export CSV' }));
    expect(await screen.findByText('Downloads/bridgekeeper-audit.csv')).toBeInTheDocument();
    expect(screen.getByText(/Exported 2 records to/)).toBeInTheDocument();
    expect(backend.argsOf('audit_export_csv')).toEqual([
      { request: { filters: { text: null, actions: [], outcomes: [], fromMs: null, toMs: null } } },
    ]);
  });

  it('shows an empty log plainly and a read failure with retry', async () => {
    let fail = true;
    renderAudit(
      new FakeBackend({
        audit_list: () =>
          fail ? ipcError('Internal', 'The audit log could not be read or written: disk full') : { ...LOG, entries: [], total: 0, skippedLines: 0 },
      }),
    );
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('disk full');
    fail = false;
    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('No audited action matches these filters.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Export CSV' })).toBeDisabled();
  });
});
