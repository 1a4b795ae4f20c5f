// The board at scale and on a partial start: completeness, unknown flags, totals, filters and "find a
// person" over calls that are not rendered, and keyboard movement across the edge of the rendered window.
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AnnouncerProvider } from '../lib/announcer';
import { getRosterSnapshot, subscribeRoster, type CommandError, type ConversationView } from '../platform';
import {
  FakeBackend,
  T0,
  completeness,
  connectionView,
  conversation,
  demoBoard,
  party,
  snapshot,
} from '../test/fixtures';
import { Board } from './Board';
import { secondsLeft } from './ConnectionBar';

afterEach(() => {
  FakeBackend.reset();
});

const QUEUES = [
  { id: 'q-support', name: 'Support' },
  { id: 'q-sales', name: 'Sales' },
];
const source = { subscribe: subscribeRoster, snapshot: getRosterSnapshot };

function renderBoard(conversations: ConversationView[], connection = connectionView()) {
  const backend = new FakeBackend({ roster_subscribe: snapshot(conversations, 1, connection) });
  const onSessionLost = vi.fn<(error: CommandError) => void>();
  render(
    <AnnouncerProvider>
      <Board queues={QUEUES} source={source} onSessionLost={onSessionLost} onChooseQueues={() => undefined} />
    </AnnouncerProvider>,
  );
  return backend;
}

/** `n` two-party calls, oldest first; `names` renames the agent of some calls (by index). */
function calls(n: number, names: Record<number, string> = {}): ConversationView[] {
  return Array.from({ length: n }, (_, i) =>
    conversation(
      `c${String(i).padStart(4, '0')}`,
      [
        party({ participantId: `cust-${String(i)}`, name: `Customer ${String(i)}`, purpose: 'customer' }),
        party({ participantId: `agent-${String(i)}`, name: names[i] ?? `Agent ${String(i)}` }),
      ],
      { startedAtMs: T0 + i * 1000, queueIds: [i % 2 === 0 ? 'q-support' : 'q-sales'] },
    ),
  );
}

const rendered = () => document.querySelectorAll('tbody[data-conversation-id]').length;
const header = (id: string) => document.getElementById(`call-${id}`);

describe('completeness', () => {
  it('while loading says how many calls are on the board, never "Live"', async () => {
    renderBoard(
      demoBoard(),
      connectionView({ state: 'loading', completeness: completeness({ discovered: 1000, held: 640, fullDetail: 640, complete: false }) }),
    );
    const status = await screen.findByTestId('connection-status');
    expect(status).toHaveTextContent('Loading 640 of 1,000 calls');
    expect(status).not.toHaveTextContent('Live');
    await waitFor(() => {
      expect(screen.getByTestId('completeness-status')).toHaveTextContent('Loading 640 of 1,000 calls.');
    });
  });

  it('counts the calls not read yet and when they are retried; the live region has no ticking countdown', async () => {
    renderBoard(
      demoBoard(),
      connectionView({
        state: 'loading',
        completeness: completeness({ discovered: 14, held: 2, unread: 12, retryInMs: 8000, complete: false }),
      }),
    );
    expect(await screen.findByText('12 calls not read yet, retrying in 8 s')).toBeInTheDocument();
    const region = screen.getByTestId('completeness-status');
    expect(region).toHaveAttribute('aria-live', 'polite');
    await waitFor(() => {
      expect(region).toHaveTextContent('12 calls not read yet.');
    });
    expect(region).not.toHaveTextContent('retrying');
  });

  it('counts a retry down from when it arrived, never above what was sent', () => {
    expect(secondsLeft(8000, 10_000, 10_000)).toBe(8);
    expect(secondsLeft(8000, 10_000, 9_500)).toBe(8); // the shared clock lags the arrival
    expect(secondsLeft(8000, 10_000, 13_200)).toBe(5);
    expect(secondsLeft(8000, 10_000, 30_000)).toBe(0);
  });

  it('names a missing permission, shows the notices, and quietly counts calls whose details are loading', async () => {
    renderBoard(
      demoBoard(),
      connectionView({
        completeness: completeness({
          fullDetail: 1,
          missingPermissions: ['analytics:conversationDetail:view'],
          notices: ['No live updates for queue q-old: the topic was refused.'],
        }),
      }),
    );
    const panel = await screen.findByTestId('board-completeness');
    expect(panel).toHaveTextContent(
      'Some details are unavailable: ask your administrator for the permission analytics:conversationDetail:view',
    );
    expect(within(panel).getByRole('list', { name: 'Board notices' })).toHaveTextContent(
      'No live updates for queue q-old: the topic was refused.',
    );
    expect(panel).toHaveTextContent('details loading for 1 call');
    // The board still works.
    expect(screen.getByRole('button', { name: 'Drop Jane Doe' })).toBeInTheDocument();
  });

  it('shows "Live" when live and complete, and says so once in the live region', async () => {
    renderBoard(demoBoard());
    expect(await screen.findByTestId('connection-status')).toHaveTextContent('Live');
    await waitFor(() => {
      expect(screen.getByTestId('completeness-status')).toHaveTextContent('All 2 calls are on the board.');
    });
    expect(screen.queryByText(/not read yet/)).not.toBeInTheDocument();
    expect(screen.queryByText(/details loading/)).not.toBeInTheDocument();
    // Its line stays laid out (empty), so the table does not jump when the last details arrive.
    expect(screen.getByTestId('completeness-details')).toBeEmptyDOMElement();
  });
});

describe('a board built from analytics data', () => {
  it('shows unknown flags and state as not yet known, never as off, and marks the call partial', async () => {
    renderBoard([
      conversation(
        'partial-1',
        [
          party({ participantId: 'p-1', name: 'Una Known', muted: null, held: null, confined: null, state: 'unknown' }),
          party({ participantId: 'p-2', name: 'Half Known', muted: true, held: null }),
        ],
        { fullDetail: false },
      ),
    ]);
    const call = await screen.findByRole('rowgroup', { name: /Call on Support/ });
    expect(within(call).getByText('partial')).toHaveAttribute('title', 'Details still loading');
    expect(call).toHaveTextContent('details still loading');

    const una = within(call).getByRole('row', { name: /Una Known/ });
    expect(within(una).getByText('mute state not yet known')).toBeInTheDocument();
    expect(within(una).getByText('hold state not yet known')).toBeInTheDocument();
    expect(within(una).getByText('confine state not yet known')).toBeInTheDocument();
    expect(within(una).queryByText('Muted')).not.toBeInTheDocument();
    expect(within(una).getByText('Not yet known')).toBeInTheDocument();
    // The buttons say what they do, not what the state is.
    expect(within(una).getByRole('button', { name: 'Mute Una Known' })).toHaveAttribute('title', 'Mute state not yet known');
    expect(within(una).getByRole('button', { name: 'Hold Una Known' })).toHaveAttribute('title', 'Hold state not yet known');

    const half = within(call).getByRole('row', { name: /Half Known/ });
    expect(within(half).getByText('Muted')).toBeInTheDocument();
    expect(within(half).getByText('hold state not yet known')).toBeInTheDocument();
    expect(within(half).queryByText('mute state not yet known')).not.toBeInTheDocument();
    expect(within(half).getByRole('button', { name: 'Unmute Half Known' })).toBeInTheDocument();
  });

  it('shows a bridge with no queue by the watched person on it, and the queue filter finds it', async () => {
    renderBoard([
      ...demoBoard(),
      conversation(
        'bridge-1',
        [
          party({ participantId: 'b-jane', name: 'Jane Doe', userId: 'u-jane' }),
          party({ participantId: 'b-ext', name: 'Bridge line', purpose: 'external' }),
        ],
        { queueIds: [], watchedUserIds: ['u-jane'], startedAtMs: T0 + 120_000 },
      ),
    ]);
    const bridge = await screen.findByRole('rowgroup', { name: /^Call with Jane Doe \(watched person, no queue\)/ });
    expect(within(bridge).getByRole('button', { name: 'Drop Bridge line' })).toBeInTheDocument();

    fireEvent.change(screen.getByRole('combobox', { name: 'Queue' }), { target: { value: '\u0000no-queue' } });
    await waitFor(() => {
      expect(screen.getByTestId('filter-count')).toHaveTextContent('Showing 1 of 3 calls');
    });
    expect(screen.queryByRole('rowgroup', { name: /Conference on Support/ })).not.toBeInTheDocument();
    expect(screen.getByRole('option', { name: 'No queue (people)' })).toBeInTheDocument();
  });
});

describe('totals', () => {
  it('counts calls, conferences and live people over the whole board', async () => {
    renderBoard(demoBoard());
    expect(await screen.findByTestId('board-totals')).toHaveTextContent('2 calls · 1 conference · 5 people');
  });

  it('counts every call of a large board, rendered or not', async () => {
    renderBoard(calls(2000));
    expect(await screen.findByTestId('board-totals')).toHaveTextContent('2,000 calls · 0 conferences · 4,000 people');
    expect(rendered()).toBeLessThan(60);
  }, 20_000);
});

describe('filters and find over 2,000 calls', () => {
  it('filters by a name that only matches a call far down, and by queue and purpose', async () => {
    renderBoard(calls(2000, { 1900: 'Zelda Farfield' }));
    await screen.findByTestId('board-totals');
    expect(screen.queryByText('Zelda Farfield')).not.toBeInTheDocument();

    fireEvent.change(screen.getByLabelText('Filter by party name'), { target: { value: 'zELDA' } });
    await waitFor(() => {
      expect(screen.getByTestId('filter-count')).toHaveTextContent('Showing 1 of 2,000 calls');
    });
    expect(screen.getByRole('rowgroup', { name: /^Call on Support/ })).toHaveTextContent('Zelda Farfield');
    expect(rendered()).toBe(1);

    // Name and purpose hold for the same party: Zelda is an agent, not a customer.
    fireEvent.change(screen.getByRole('combobox', { name: 'Purpose' }), { target: { value: 'customer' } });
    expect(await screen.findByText('No call matches the filters.')).toBeInTheDocument();

    fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    fireEvent.change(screen.getByRole('combobox', { name: 'Queue' }), { target: { value: 'q-sales' } });
    await waitFor(() => {
      expect(screen.getByTestId('filter-count')).toHaveTextContent('Showing 1,000 of 2,000 calls');
    });
  }, 20_000);

  it('find a person: Enter jumps to and focuses the first match far down, highlights the party; Enter again, F3 and Shift+F3 move on', async () => {
    renderBoard(calls(2000, { 10: 'Morgan Lee', 900: 'Morgan Lee', 1800: 'Dana Morgan' }));
    await screen.findByTestId('board-totals');
    const find = screen.getByLabelText('Find a person');
    fireEvent.change(find, { target: { value: 'morgan' } });
    await waitFor(() => {
      expect(screen.getByTestId('find-count')).toHaveTextContent('3 matches');
    });

    fireEvent.keyDown(find, { key: 'Enter' });
    await waitFor(() => {
      expect(header('c0010')).toHaveFocus();
    });
    expect(screen.getByTestId('find-count')).toHaveTextContent('1 of 3 matches');
    const found = () => document.querySelector('tr[aria-current="true"]');
    expect(found()).toHaveTextContent('Morgan Lee');
    expect(found()?.closest('tbody')).toHaveAttribute('data-conversation-id', 'c0010');

    // Enter again, on the focused call: the next match, which was far outside the rendered window.
    expect(header('c0900')).toBeNull();
    fireEvent.keyDown(document.activeElement ?? document.body, { key: 'Enter' });
    await waitFor(() => {
      expect(header('c0900')).toHaveFocus();
    });
    expect(screen.getByTestId('find-count')).toHaveTextContent('2 of 3 matches');

    fireEvent.keyDown(document.activeElement ?? document.body, { key: 'F3' });
    await waitFor(() => {
      expect(header('c1800')).toHaveFocus();
    });
    expect(found()).toHaveTextContent('Dana Morgan');
    expect(screen.getByTestId('find-count')).toHaveTextContent('3 of 3 matches');

    // Past the last match it wraps; Shift+F3 goes back.
    fireEvent.keyDown(document.activeElement ?? document.body, { key: 'F3' });
    await waitFor(() => {
      expect(header('c0010')).toHaveFocus();
    });
    fireEvent.keyDown(document.activeElement ?? document.body, { key: 'F3', shiftKey: true });
    await waitFor(() => {
      expect(header('c1800')).toHaveFocus();
    });
    expect(screen.getByTestId('find-count')).toHaveTextContent('3 of 3 matches');

    fireEvent.change(find, { target: { value: 'nobody like this' } });
    await waitFor(() => {
      expect(screen.getByTestId('find-count')).toHaveTextContent('No matches');
    });
    expect(screen.getByRole('button', { name: 'Next match' })).toBeDisabled();
  }, 30_000);
});

describe('keyboard movement between calls', () => {
  it('arrow keys, j/k, Home and End move across the edge of the rendered window', async () => {
    renderBoard(calls(120));
    await screen.findByTestId('board-totals');
    const bodies = [...document.querySelectorAll<HTMLElement>('tbody[data-conversation-id]')];
    const last = bodies[bodies.length - 1]?.dataset.conversationId ?? '';
    const index = Number(last.slice(1));
    const next = `c${String(index + 1).padStart(4, '0')}`;
    expect(header(next)).toBeNull();

    // One call header is in the Tab order: the first call's.
    expect(header('c0000')).toHaveAttribute('tabindex', '0');
    expect(header('c0001')).toHaveAttribute('tabindex', '-1');

    const lastHeader = header(last);
    if (!lastHeader) throw new Error('no header');
    act(() => {
      lastHeader.focus();
    });
    fireEvent.keyDown(lastHeader, { key: 'ArrowDown' });
    await waitFor(() => {
      expect(header(next)).toHaveFocus();
    });
    expect(header(next)).toHaveAttribute('tabindex', '0');

    fireEvent.keyDown(document.activeElement ?? document.body, { key: 'End' });
    await waitFor(() => {
      expect(header('c0119')).toHaveFocus();
    });
    fireEvent.keyDown(document.activeElement ?? document.body, { key: 'k' });
    await waitFor(() => {
      expect(header('c0118')).toHaveFocus();
    });
    fireEvent.keyDown(document.activeElement ?? document.body, { key: 'Home' });
    await waitFor(() => {
      expect(header('c0000')).toHaveFocus();
    });
    fireEvent.keyDown(document.activeElement ?? document.body, { key: 'j' });
    await waitFor(() => {
      expect(header('c0001')).toHaveFocus();
    });
    // From a party's button too: Tab reaches the buttons, the arrows still move by call.
    const mute = screen.getByRole('button', { name: 'Mute Agent 1' });
    act(() => {
      mute.focus();
    });
    fireEvent.keyDown(mute, { key: 'ArrowUp' });
    await waitFor(() => {
      expect(header('c0000')).toHaveFocus();
    });
  }, 20_000);

  it('keeps the focused call and its focus while other calls change', async () => {
    const backend = renderBoard(calls(30));
    await screen.findByTestId('board-totals');
    const mute = screen.getByRole('button', { name: 'Mute Agent 3' });
    act(() => {
      mute.focus();
    });
    // Another call ends while focus is on call 3: call 3 stays, focus stays.
    act(() => {
      backend.push({ seq: 2, changes: [{ kind: 'remove', conversationId: 'c0001' }] });
    });
    await waitFor(() => {
      expect(header('c0001')).toBeNull();
    });
    expect(mute).toHaveFocus();
  });
});
