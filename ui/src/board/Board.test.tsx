import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AnnouncerProvider } from '../lib/announcer';
import { getRosterSnapshot, subscribeRoster, type CommandError, type RosterEvent } from '../platform';
import {
  FakeBackend,
  T0,
  attention,
  finding,
  confirmed,
  connectionView,
  conversation,
  demoBoard,
  ipcError,
  party,
  plan,
  refused,
  result,
  snapshot,
} from '../test/fixtures';
import { Board } from './Board';

afterEach(() => {
  FakeBackend.reset();
});

const QUEUES = [{ id: 'q-support', name: 'Support' }];
const source = { subscribe: subscribeRoster, snapshot: getRosterSnapshot };

function renderBoard(backend: FakeBackend) {
  const onSessionLost = vi.fn<(error: CommandError) => void>();
  render(
    <AnnouncerProvider>
      <Board queues={QUEUES} source={source} onSessionLost={onSessionLost} onChooseQueues={() => undefined} />
    </AnnouncerProvider>,
  );
  return { backend, onSessionLost };
}

function board(handlers: ConstructorParameters<typeof FakeBackend>[0] = {}) {
  return renderBoard(new FakeBackend({ roster_subscribe: snapshot(demoBoard(), 1), ...handlers }));
}

function push(backend: FakeBackend, event: RosterEvent) {
  act(() => {
    backend.push(event);
  });
}

async function openDrop(name: string) {
  const button = await screen.findByRole('button', { name: `Drop ${name}` });
  button.focus();
  fireEvent.click(button);
  const dialog = await screen.findByRole('dialog', { name: `Drop ${name}?` });
  return { button, dialog };
}

function announcer() {
  return screen.getByTestId('announcer');
}

describe('the board', () => {
  it('shows every party with purpose, state, flags and time on call; conferences stand out', async () => {
    board();
    const conf = await screen.findByRole('rowgroup', { name: /Conference on Support/ });
    expect(conf).toHaveClass('call-conference');
    expect(within(conf).getByText('Conference · 3 people')).toBeInTheDocument();
    const jane = within(conf).getByRole('row', { name: /Jane Doe/ });
    expect(within(jane).getByText('Agent')).toBeInTheDocument();
    expect(within(jane).getByText('Connected')).toBeInTheDocument();
    const ext = within(conf).getByRole('row', { name: /Northwind Insurance/ });
    expect(within(ext).getByText('Muted')).toBeInTheDocument();

    const twoParty = screen.getByRole('rowgroup', { name: /^Call on Support/ });
    expect(twoParty).not.toHaveClass('call-conference');
    const alex = within(twoParty).getByRole('row', { name: /Alex Agent/ });
    expect(within(alex).getByText('On hold')).toBeInTheDocument();
    expect(within(alex).getByRole('button', { name: 'Resume Alex Agent' })).toBeInTheDocument();
    expect(within(alex).getByRole('button', { name: 'Drop Alex Agent' })).toBeInTheDocument();

    expect(screen.getByTestId('connection-status')).toHaveTextContent('Live');
  });

  it('dims ended legs and offers no action on them', async () => {
    board();
    const conf = await screen.findByRole('rowgroup', { name: /Conference on Support/ });
    const acd = within(conf).getByRole('row', { name: /^Support/ });
    expect(acd).toHaveClass('party-dimmed');
    expect(within(acd).getByText('Ended', { selector: '.leg-note' })).toBeInTheDocument();
    expect(within(acd).queryByRole('button')).not.toBeInTheDocument();
  });

  it('says when nothing is live on the chosen queues', async () => {
    renderBoard(new FakeBackend({ roster_subscribe: snapshot([], 1) }));
    expect(await screen.findByText(/No live calls on Support right now/)).toBeInTheDocument();
  });

  it('shows reconnecting with the age of the data', async () => {
    const { backend } = board();
    await screen.findByRole('button', { name: 'Drop Jane Doe' });
    push(backend, {
      seq: 2,
      changes: [
        {
          kind: 'connection',
          connection: connectionView({
            state: 'reconnecting',
            staleSinceMs: Date.now() - 12_000,
            retryInMs: 3000,
            detail: 'socket lost',
          }),
        },
      ],
    });
    const status = screen.getByTestId('connection-status');
    await waitFor(() => {
      expect(status).toHaveTextContent('Reconnecting…');
    });
    expect(status).toHaveTextContent(/data stale for 1[0-3] s/);
    expect(status).toHaveTextContent('retrying in 3 s');
    await waitFor(() => {
      expect(announcer()).toHaveTextContent('Connection: Reconnecting…. socket lost');
    });
  });

  it('re-reads the whole board after a sequence gap', async () => {
    const later = [conversation('fresh', [party({ participantId: 'p-f', name: 'Fiona Fresh' })])];
    const { backend } = board({ roster_snapshot: snapshot(later, 9) });
    await screen.findByRole('button', { name: 'Drop Jane Doe' });

    push(backend, { seq: 3, changes: [{ kind: 'remove', conversationId: 'call-2' }] }); // 2 is missing

    expect(await screen.findByRole('button', { name: 'Drop Fiona Fresh' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Drop Jane Doe' })).not.toBeInTheDocument();
    expect(backend.commands().filter((c) => c !== 'attention_list')).toEqual(['roster_subscribe', 'roster_snapshot']);
  });

  it('applies live updates in order', async () => {
    const { backend } = board();
    await screen.findByRole('button', { name: 'Drop Jane Doe' });
    const conf = demoBoard()[0];
    if (!conf) throw new Error('fixture');
    push(backend, {
      seq: 2,
      changes: [
        {
          kind: 'upsert',
          conversation: {
            ...conf,
            parties: conf.parties.map((p) => (p.participantId === 'p-jane' ? { ...p, held: true } : p)),
          },
        },
      ],
    });
    expect(await screen.findByRole('button', { name: 'Resume Jane Doe' })).toBeInTheDocument();
    push(backend, { seq: 3, changes: [{ kind: 'remove', conversationId: 'conf-1' }] });
    await waitFor(() => {
      expect(screen.queryByRole('button', { name: 'Resume Jane Doe' })).not.toBeInTheDocument();
    });
    expect(backend.commands().filter((c) => c !== 'attention_list')).toEqual(['roster_subscribe']);
  });
});

describe('a large board', () => {
  // 120 calls of about 120 px (estimated: no layout here) each: far more than one viewport.
  const many = () =>
    Array.from({ length: 120 }, (_, i) =>
      conversation(
        `c${String(i).padStart(3, '0')}`,
        [
          party({ participantId: `cust-${String(i)}`, name: `Customer ${String(i)}`, purpose: 'customer' }),
          party({ participantId: `agent-${String(i)}`, name: `Agent ${String(i)}` }),
        ],
        { startedAtMs: T0 + i * 1000 },
      ),
    );
  const rowOf = (name: string) => screen.queryByText(name, { selector: 'th' })?.closest('tr') ?? null;

  async function scrollFarDown(table: HTMLElement) {
    // The table's top is now 10,000 px above the viewport: about call 83.
    vi.spyOn(table, 'getBoundingClientRect').mockReturnValue(new DOMRect(0, -10_000, 1000, 15_000));
    fireEvent.scroll(window);
    await waitFor(() => {
      expect(rowOf('Agent 83')).not.toBeNull();
    });
  }

  it('renders only the calls near the viewport, keeps the row count of the whole table, and follows scrolling', async () => {
    renderBoard(new FakeBackend({ roster_subscribe: snapshot(many(), 1) }));
    const table = await screen.findByRole('table', { name: 'Live calls on Support' });
    const rendered = () => table.querySelectorAll('tbody[data-conversation-id]').length;
    expect(rendered()).toBeGreaterThan(5);
    expect(rendered()).toBeLessThan(40);
    // Column headers, then a header row and two legs per call: 1 + 120 * 3.
    expect(table).toHaveAttribute('aria-rowcount', '361');
    expect(rowOf('Agent 0')).toHaveAttribute('aria-rowindex', '4');
    expect(rowOf('Agent 83')).toBeNull();

    await scrollFarDown(table);
    expect(rowOf('Agent 83')).toHaveAttribute('aria-rowindex', String(1 + 83 * 3 + 3));
    expect(rowOf('Agent 0')).toBeNull();
    expect(rendered()).toBeLessThan(40);
  }, 20_000);

  it('keeps the call that holds keyboard focus rendered when it scrolls far away', async () => {
    renderBoard(new FakeBackend({ roster_subscribe: snapshot(many(), 1) }));
    const table = await screen.findByRole('table', { name: 'Live calls on Support' });
    const mute = within(table).getByRole('button', { name: 'Mute Agent 1' });
    act(() => {
      mute.focus();
    });

    await scrollFarDown(table);
    expect(mute).toBeInTheDocument();
    expect(mute).toHaveFocus();
    expect(rowOf('Agent 2')).toBeNull();

    // Once focus leaves the board, the far-away call goes too.
    act(() => {
      mute.blur();
    });
    await waitFor(() => {
      expect(mute).not.toBeInTheDocument();
    });
  }, 20_000);
});

describe('dropping a party', () => {
  it('confirms, names who remains and warns, then shows the confirmed outcome in place', async () => {
    const { backend } = board({
      plan_drop: plan(),
      execute_drop: result(confirmed(180)),
    });
    const { dialog } = await openDrop('Jane Doe');
    await within(dialog).findByText(/will be disconnected from this call/);
    expect(dialog).toHaveTextContent(
      'Still on the call afterwards: Chris Customer (customer) and Northwind Insurance (external).',
    );
    expect(within(dialog).getByRole('list', { name: 'Warnings' })).toHaveTextContent('Jane Doe is the last agent');
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    expect(backend.argsOf('plan_drop')).toEqual([{ request: { conversationId: 'conf-1', participantId: 'p-jane' } }]);

    fireEvent.click(within(dialog).getByRole('button', { name: 'Drop Jane Doe' }));

    expect(await within(dialog).findByText('Jane Doe was dropped: confirmed in 180 ms.')).toBeInTheDocument();
    expect(dialog).toHaveTextContent('Still on the call: Chris Customer and Northwind Insurance.');
    expect(backend.argsOf('execute_drop')).toEqual([{ request: { planId: 'plan-1' } }]);
    await waitFor(() => {
      expect(announcer()).toHaveTextContent('Jane Doe was dropped: confirmed in 180 ms.');
    });
    const janeRow = screen.getByRole('row', { name: /Jane Doe/ });
    expect(within(janeRow).getByText('Jane Doe was dropped: confirmed in 180 ms.')).toBeInTheDocument();

    // The leg ends on the board; closing the dialog puts focus on the board (the button is gone).
    const conf = demoBoard()[0];
    if (!conf) throw new Error('fixture');
    push(backend, {
      seq: 2,
      changes: [
        {
          kind: 'upsert',
          conversation: {
            ...conf,
            parties: conf.parties.map((p) =>
              p.participantId === 'p-jane'
                ? { ...p, state: 'disconnected', status: 'ended' as const, actionable: false, endedAtMs: T0 + 9000 }
                : p,
            ),
          },
        },
      ],
    });
    await waitFor(() => {
      expect(screen.queryByRole('button', { name: 'Drop Jane Doe' })).not.toBeInTheDocument();
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Close' }));
    await waitFor(() => {
      expect(screen.getByRole('heading', { name: 'Live calls' })).toHaveFocus();
    });
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(screen.getByRole('row', { name: /Jane Doe/ })).toHaveClass('party-dimmed');
  });

  it('when not confirmed says the party is still on the line and offers a retry', async () => {
    let attempts = 0;
    const { backend } = board({
      plan_drop: () => plan({ planId: `plan-${String(++attempts)}` }),
      execute_drop: (args) =>
        (args.request as { planId: string }).planId === 'plan-1'
          ? result({ kind: 'notConfirmed', latencyMs: 5000, detail: 'The re-read shows the leg connected.', stillLive: true })
          : result(confirmed(240)),
    });
    const { dialog, button } = await openDrop('Jane Doe');
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Drop Jane Doe' }));

    expect(
      await within(dialog).findByText(/Not confirmed: Jane Doe is still on the line after 5,000 ms\./),
    ).toBeInTheDocument();
    expect(within(dialog).getByLabelText('Correlation id')).toHaveValue('corr-1234');

    fireEvent.click(within(dialog).getByRole('button', { name: 'Try again' }));
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Drop Jane Doe' }));
    expect(await within(dialog).findByText('Jane Doe was dropped: confirmed in 240 ms.')).toBeInTheDocument();
    expect(backend.argsOf('execute_drop')).toEqual([{ request: { planId: 'plan-1' } }, { request: { planId: 'plan-2' } }]);

    fireEvent.click(within(dialog).getByRole('button', { name: 'Close' }));
    await waitFor(() => {
      expect(button).toHaveFocus();
    });
  });

  it('when refused gives the reason in plain words and a copyable correlation id', async () => {
    board({
      plan_drop: plan(),
      execute_drop: result(
        refused('Your Genesys Cloud role does not allow this.', 'missing.any.permissions', 403),
        { correlationId: 'corr-refused-77' },
      ),
    });
    const { dialog } = await openDrop('Jane Doe');
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Drop Jane Doe' }));

    expect(await within(dialog).findByText('Refused: Your Genesys Cloud role does not allow this.')).toBeInTheDocument();
    expect(dialog).toHaveTextContent('Genesys code: missing.any.permissions (HTTP 403)');
    expect(within(dialog).getByLabelText('Correlation id')).toHaveValue('corr-refused-77');
    expect(within(dialog).getByRole('button', { name: 'Copy correlation id' })).toBeInTheDocument();
    expect(within(dialog).queryByRole('button', { name: 'Try again' })).not.toBeInTheDocument();
    await waitFor(() => {
      expect(announcer()).toHaveTextContent('Refused: Your Genesys Cloud role does not allow this.');
    });
  });

  it('shows the pending state while Genesys works', async () => {
    let finish: (value: unknown) => void = () => undefined;
    board({
      plan_drop: plan(),
      execute_drop: () =>
        new Promise((resolve) => {
          finish = resolve;
        }),
    });
    const { dialog } = await openDrop('Jane Doe');
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Drop Jane Doe' }));
    expect(await within(dialog).findByText(/Dropping Jane Doe… waiting for Genesys Cloud to confirm/)).toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Dropping…' })).toBeDisabled();
    const row = screen.getByRole('row', { name: /Jane Doe/ });
    expect(within(row).getByRole('button', { name: 'Drop Jane Doe' })).toBeDisabled();
    act(() => {
      finish(result(confirmed(99)));
    });
    expect(await within(dialog).findByText('Jane Doe was dropped: confirmed in 99 ms.')).toBeInTheDocument();
  });

  it('cancelling sends nothing and returns focus to the Drop button', async () => {
    const { backend } = board({ plan_drop: plan() });
    const { dialog, button } = await openDrop('Jane Doe');
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Cancel' }));
    await waitFor(() => {
      expect(button).toHaveFocus();
    });
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(backend.commands()).not.toContain('execute_drop');
  });

  it('Escape closes the dialog like Cancel', async () => {
    board({ plan_drop: plan() });
    const { dialog, button } = await openDrop('Jane Doe');
    await within(dialog).findByRole('button', { name: 'Cancel' });
    fireEvent(dialog, new Event('cancel', { cancelable: true }));
    await waitFor(() => {
      expect(button).toHaveFocus();
    });
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('explains a party who left before the plan', async () => {
    board({
      plan_drop: () => ipcError('ParticipantGone', 'Jane Doe is no longer on this call.'),
    });
    const { dialog } = await openDrop('Jane Doe');
    expect(await within(dialog).findByText('That party has left the call.')).toBeInTheDocument();
    expect(dialog).toHaveTextContent('Jane Doe is no longer on this call.');
  });

  it('a session that ended sends the user to sign in again', async () => {
    const { onSessionLost } = board({
      plan_drop: plan(),
      execute_drop: () => ipcError('SessionExpired', 'Your session has expired or was revoked. Sign in again.'),
    });
    const { dialog } = await openDrop('Jane Doe');
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Drop Jane Doe' }));
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Sign in again' }));
    expect(onSessionLost).toHaveBeenCalledWith(expect.objectContaining({ code: 'SessionExpired' }));
  });

  it('a plan that went stale can be checked again', async () => {
    let calls = 0;
    board({
      plan_drop: () => plan({ planId: `p${String(++calls)}` }),
      execute_drop: (args) =>
        (args.request as { planId: string }).planId === 'p1'
          ? ipcError('PlanExpired', 'The call changed since you asked; check again.')
          : result(confirmed(10)),
    });
    const { dialog } = await openDrop('Jane Doe');
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Drop Jane Doe' }));
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Check again' }));
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Drop Jane Doe' }));
    expect(await within(dialog).findByText('Jane Doe was dropped: confirmed in 10 ms.')).toBeInTheDocument();
  });
});

describe('drop plans that need no confirmation or say more', () => {
  it('a party already gone needs nothing sent', async () => {
    const { backend } = board({ plan_drop: plan({ verdict: 'alreadyGone', remaining: [], warnings: [] }) });
    const { dialog } = await openDrop('Jane Doe');
    expect(await within(dialog).findByText(/has already left this call/)).toBeInTheDocument();
    expect(within(dialog).queryByRole('button', { name: 'Drop Jane Doe' })).not.toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Close' })).toHaveFocus();
    expect(backend.commands()).not.toContain('execute_drop');
  });

  it('names the live leg used instead of a stale duplicate, and a call that ends', async () => {
    board({
      plan_drop: plan({
        resolution: "Jane Doe's leg p-old had already ended (a stale duplicate); Jane Doe's live leg p-jane is used instead.",
        remaining: [],
        warnings: [{ code: 'callWillEnd', message: 'The call will end for everyone: no one else would be left to talk to.' }],
      }),
      execute_drop: result(confirmed(120, { callEnded: true })),
    });
    const { dialog } = await openDrop('Jane Doe');
    expect(await within(dialog).findByText(/stale duplicate/)).toBeInTheDocument();
    expect(dialog).toHaveTextContent('Nobody else is on the call: the call will end.');
    expect(within(dialog).getByRole('list', { name: 'Warnings' })).toHaveTextContent('The call will end for everyone');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Drop Jane Doe' }));
    expect(
      await within(dialog).findByText('Jane Doe was dropped: confirmed in 120 ms. The call has ended.'),
    ).toBeInTheDocument();
  });
});

describe('session over on the live connection', () => {
  it('sends the user back to sign-in', async () => {
    const { backend, onSessionLost } = board();
    await screen.findByRole('button', { name: 'Drop Jane Doe' });
    push(backend, {
      seq: 2,
      changes: [
        {
          kind: 'connection',
          connection: connectionView({
            state: 'closed',
            staleSinceMs: Date.now(),
            retryInMs: null,
            detail: 'closed: session expired',
            sessionExpired: true,
          }),
        },
      ],
    });
    await waitFor(() => {
      expect(onSessionLost).toHaveBeenCalledWith(expect.objectContaining({ code: 'SessionExpired' }));
    });
  });
});

describe('mute and hold', () => {
  it('unmutes with the outcome in the row and the live region', async () => {
    let finish: (value: unknown) => void = () => undefined;
    const { backend } = board({
      set_mute: () =>
        new Promise((resolve) => {
          finish = resolve;
        }),
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Unmute Northwind Insurance' }));
    const row = screen.getByRole('row', { name: /Northwind Insurance/ });
    expect(within(row).getByRole('button', { name: 'Unmute Northwind Insurance' })).toHaveTextContent('Unmuting…');
    expect(within(row).getByRole('button', { name: 'Drop Northwind Insurance' })).toBeDisabled();
    act(() => {
      finish(
        result(
          confirmed(90),
          { action: 'unmute', participantId: 'p-ext', partyName: 'Northwind Insurance' },
        ),
      );
    });
    expect(await within(row).findByText('Northwind Insurance is unmuted: confirmed in 90 ms.')).toBeInTheDocument();
    expect(backend.argsOf('set_mute')).toEqual([
      { request: { conversationId: 'conf-1', participantId: 'p-ext', on: false } },
    ]);
    await waitFor(() => {
      expect(announcer()).toHaveTextContent('Northwind Insurance is unmuted: confirmed in 90 ms.');
    });
  });

  it('holds and reports a refusal in the row', async () => {
    const { backend } = board({
      set_hold: result(
        refused('A party whose phone is still ringing cannot be put on hold.', 'conversation.error.hold.alerting', 400),
        { action: 'hold', participantId: 'p-jane', partyName: 'Jane Doe' },
      ),
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Hold Jane Doe' }));
    const row = screen.getByRole('row', { name: /Jane Doe/ });
    expect(
      await within(row).findByText('Refused: A party whose phone is still ringing cannot be put on hold.'),
    ).toBeInTheDocument();
    expect(backend.argsOf('set_hold')).toEqual([{ request: { conversationId: 'conf-1', participantId: 'p-jane', on: true } }]);
  });

  it('shows a command failure (rate limited) with the wait', async () => {
    board({
      set_mute: () => ipcError('RateLimited', 'Genesys Cloud is rate-limiting requests.', { retryAfterSecs: 3 }),
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Mute Jane Doe' }));
    const row = screen.getByRole('row', { name: /Jane Doe/ });
    expect(await within(row).findByText('Genesys Cloud is rate-limiting requests. Try again in 3 s.')).toBeInTheDocument();
    expect(within(row).getByRole('button', { name: 'Mute Jane Doe' })).toBeEnabled();
  });
});

describe('the board by keyboard: parties, mute, hold and drop', () => {
  function headerOf(id: string): HTMLElement {
    const header = document.getElementById(`call-${id}`);
    if (!header) throw new Error(`no header for ${id}`);
    return header;
  }
  function rowOf(name: string): HTMLElement {
    return screen.getByRole('row', { name: new RegExp(`^${name}`) });
  }

  it('moves between the parties of a call with → and ←, and back to the call', async () => {
    board();
    await screen.findByRole('button', { name: 'Drop Jane Doe' });
    const header = headerOf('conf-1');
    act(() => {
      header.focus();
    });
    fireEvent.keyDown(header, { key: 'ArrowRight' });
    expect(rowOf('Chris Customer')).toHaveFocus();
    fireEvent.keyDown(rowOf('Chris Customer'), { key: 'ArrowRight' });
    expect(rowOf('Jane Doe')).toHaveFocus();
    // From a party's button too.
    const mute = screen.getByRole('button', { name: 'Mute Jane Doe' });
    act(() => {
      mute.focus();
    });
    fireEvent.keyDown(mute, { key: 'ArrowRight' });
    expect(rowOf('Northwind Insurance')).toHaveFocus();
    fireEvent.keyDown(rowOf('Northwind Insurance'), { key: 'ArrowLeft' });
    fireEvent.keyDown(rowOf('Jane Doe'), { key: 'ArrowLeft' });
    fireEvent.keyDown(rowOf('Chris Customer'), { key: 'ArrowLeft' });
    expect(header).toHaveFocus();
    // ↓ still moves by call, from a party as well.
    fireEvent.keyDown(header, { key: 'ArrowRight' });
    fireEvent.keyDown(rowOf('Chris Customer'), { key: 'ArrowDown' });
    await waitFor(() => {
      expect(headerOf('call-2')).toHaveFocus();
    });
  });

  it('m asks first: Cancel (where focus starts) sends nothing, confirming mutes', async () => {
    const { backend } = board({
      set_mute: result(confirmed(70), { action: 'mute', participantId: 'p-jane', partyName: 'Jane Doe' }),
    });
    await screen.findByRole('button', { name: 'Drop Jane Doe' });
    const row = rowOf('Jane Doe');
    act(() => {
      row.focus();
    });
    fireEvent.keyDown(row, { key: 'm' });
    let dialog = await screen.findByRole('dialog', { name: 'Mute Jane Doe?' });
    expect(dialog).toHaveTextContent('Nobody on the call will hear Jane Doe until they are unmuted.');
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => {
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    });
    expect(backend.argsOf('set_mute')).toEqual([]);
    await waitFor(() => {
      expect(rowOf('Jane Doe')).toHaveFocus();
    });

    fireEvent.keyDown(rowOf('Jane Doe'), { key: 'm' });
    dialog = await screen.findByRole('dialog', { name: 'Mute Jane Doe?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Mute Jane Doe' }));
    expect(await within(rowOf('Jane Doe')).findByText('Jane Doe is muted: confirmed in 70 ms.')).toBeInTheDocument();
    expect(backend.argsOf('set_mute')).toEqual([{ request: { conversationId: 'conf-1', participantId: 'p-jane', on: true } }]);
  });

  it('m on a muted party offers unmute, h on a held one offers resume', async () => {
    const { backend } = board({
      set_mute: result(confirmed(50), { action: 'unmute', participantId: 'p-ext', partyName: 'Northwind Insurance' }),
      set_hold: result(confirmed(60), { action: 'unhold', participantId: 'p-a2', partyName: 'Alex Agent' }),
    });
    await screen.findByRole('button', { name: 'Drop Jane Doe' });
    fireEvent.keyDown(rowOf('Northwind Insurance'), { key: 'm' });
    fireEvent.click(
      within(await screen.findByRole('dialog', { name: 'Unmute Northwind Insurance?' })).getByRole('button', {
        name: 'Unmute Northwind Insurance',
      }),
    );
    await waitFor(() => {
      expect(backend.argsOf('set_mute')).toEqual([
        { request: { conversationId: 'conf-1', participantId: 'p-ext', on: false } },
      ]);
    });
    await waitFor(() => {
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    });
    fireEvent.keyDown(rowOf('Alex Agent'), { key: 'h' });
    const dialog = await screen.findByRole('dialog', { name: 'Resume Alex Agent?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Resume Alex Agent' }));
    await waitFor(() => {
      expect(backend.argsOf('set_hold')).toEqual([{ request: { conversationId: 'call-2', participantId: 'p-a2', on: false } }]);
    });
  });

  it('d opens the drop dialog for that party; ended legs take no shortcut', async () => {
    const { backend } = board({ plan_drop: plan() });
    await screen.findByRole('button', { name: 'Drop Jane Doe' });
    fireEvent.keyDown(rowOf('Support'), { key: 'd' });
    fireEvent.keyDown(rowOf('Support'), { key: 'm' });
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    fireEvent.keyDown(rowOf('Jane Doe'), { key: 'd' });
    expect(await screen.findByRole('dialog', { name: 'Drop Jane Doe?' })).toBeInTheDocument();
    expect(backend.argsOf('plan_drop')).toEqual([{ request: { conversationId: 'conf-1', participantId: 'p-jane' } }]);
    expect(backend.argsOf('execute_drop')).toEqual([]);
  });
});

describe('needs attention', () => {
  it('counts the findings in the header and explains each, with who stays', async () => {
    board({ attention_list: attention([finding()]) });
    await waitFor(() => {
      expect(screen.getByTestId('attention-count')).toHaveTextContent('Needs attention: 1');
    });
    const panel = screen.getByRole('region', { name: /Needs attention/ });
    expect(panel).toHaveTextContent('Northwind Insurance (external): muted for 12 min.');
    expect(panel).toHaveTextContent('Rule muted-too-long.');
    expect(panel).toHaveTextContent('Dropping Northwind Insurance ends their leg only; Chris Customer and Jane Doe stay on the call.');
    expect(panel).toHaveTextContent('Rules from the built-in policy');
  });

  it('resolves through the usual drop dialog: nothing is sent before the confirmation', async () => {
    const { backend } = board({ attention_list: attention([finding({ participantId: 'p-jane', partyName: 'Jane Doe' })]), plan_drop: plan() });
    const button = await screen.findByRole('button', { name: 'Drop… Jane Doe, rule muted-too-long' });
    fireEvent.click(button);
    expect(await screen.findByRole('dialog', { name: 'Drop Jane Doe?' })).toBeInTheDocument();
    expect(backend.argsOf('plan_drop')).toEqual([{ request: { conversationId: 'conf-1', participantId: 'p-jane' } }]);
    expect(backend.argsOf('execute_drop')).toEqual([]);
  });

  it('says when a rule cannot be checked and when the policy file is broken, and an unknown start', async () => {
    board({
      attention_list: attention([finding({ sinceKnown: false })], {
        policyError: 'line 6, field `for`: write a duration such as 90s, 10m or 1h',
        unavailable: [{ rule: 'quiet-outside', conversationId: null, reason: 'the permission conversation:transcription:view is missing' }],
      }),
    });
    const panel = await screen.findByRole('region', { name: /Needs attention/ });
    await waitFor(() => {
      expect(panel).toHaveTextContent('Your policy file is not used: line 6, field `for`');
    });
    expect(panel).toHaveTextContent('Rule quiet-outside is not checked: the permission conversation:transcription:view is missing.');
    expect(panel).toHaveTextContent('(at least; it was already so when watching began)');
  });

  it('a finding whose leg has left offers no drop', async () => {
    board({ attention_list: attention([finding({ resolution: 'none', kind: 'stale_duplicate', rule: 'stale_duplicate' })]) });
    const panel = await screen.findByRole('region', { name: /Needs attention/ });
    await waitFor(() => {
      expect(panel).toHaveTextContent('Nothing to send');
    });
    expect(within(panel).queryByRole('button')).not.toBeInTheDocument();
  });
});
