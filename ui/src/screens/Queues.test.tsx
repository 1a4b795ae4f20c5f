import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CommandError, QueueInfo } from '../platform';
import { FakeBackend, ipcError } from '../test/fixtures';
import type { Person } from '../board/boardIndex';
import type { WatchedPeople as WatchedPeopleView } from '../bindings';
import { Queues, type WatchedPeople } from './Queues';

afterEach(() => {
  FakeBackend.reset();
});

const ALL: QueueInfo[] = [
  { id: 'q-billing', name: 'Billing' },
  { id: 'q-retention', name: 'Retention' },
  { id: 'q-sales', name: 'Sales' },
  { id: 'q-support', name: 'Support' },
];

const NO_PEOPLE: WatchedPeopleView = { userIds: [], watchSelf: false, watchQueuePeople: false };

function listing(args: Record<string, unknown>, selected: QueueInfo[] = [], people = NO_PEOPLE) {
  const filter = (args.request as { filter: string }).filter.toLowerCase();
  return { queues: ALL.filter((q) => q.name.toLowerCase().includes(filter)), selected, people, truncated: false };
}

function renderQueues(backend: FakeBackend, withCancel = false, knownPeople: Person[] = []) {
  const onChosen = vi.fn<(queues: QueueInfo[], people: WatchedPeople) => void>();
  const onSessionLost = vi.fn<(error: CommandError) => void>();
  render(
    <Queues
      onChosen={onChosen}
      onSessionLost={onSessionLost}
      knownPeople={knownPeople}
      {...(withCancel ? { onCancel: () => undefined } : {})}
    />,
  );
  return { backend, onChosen, onSessionLost };
}

describe('queue picker', () => {
  it('searches by name and chooses several queues', async () => {
    const { backend, onChosen } = renderQueues(
      new FakeBackend({
        list_queues: (args) => listing(args),
        select_queues: (args) => ({
          selected: ALL.filter((q) => (args.request as { queueIds: string[] }).queueIds.includes(q.id)),
        }),
      }),
    );
    expect(await screen.findByRole('checkbox', { name: 'Billing' })).toBeInTheDocument();
    expect(screen.getByRole('group', { name: '4 queues found' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Choose a queue or a person' })).toBeDisabled();

    fireEvent.change(screen.getByLabelText('Search queues'), { target: { value: 'su' } });
    await waitFor(() => {
      expect(screen.queryByRole('checkbox', { name: 'Billing' })).not.toBeInTheDocument();
    });
    fireEvent.click(screen.getByRole('checkbox', { name: 'Support' }));
    fireEvent.change(screen.getByLabelText('Search queues'), { target: { value: 'sal' } });
    fireEvent.click(await screen.findByRole('checkbox', { name: 'Sales' }));

    const chosen = screen.getByRole('list', { name: 'Chosen queues' });
    expect(within(chosen).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['Sales×', 'Support×']);
    expect(backend.argsOf('list_queues').map((a) => (a.request as { filter: string }).filter)).toEqual(['', 'su', 'sal']);

    fireEvent.click(screen.getByRole('button', { name: 'Show live calls' }));
    await waitFor(() => {
      expect(onChosen).toHaveBeenCalledWith(
        [
          { id: 'q-sales', name: 'Sales' },
          { id: 'q-support', name: 'Support' },
        ],
        { people: [], watchSelf: false, watchQueuePeople: false },
      );
    });
    expect(backend.argsOf('select_queues')).toEqual([
      { request: { queueIds: ['q-support', 'q-sales'], userIds: [], watchSelf: false, watchQueuePeople: false } },
    ]);
  });

  it('starts from the remembered choice, which can be removed', async () => {
    const remembered = [{ id: 'q-billing', name: 'Billing' }];
    renderQueues(new FakeBackend({ list_queues: (args) => listing(args, remembered) }), true);
    expect(await screen.findByRole('checkbox', { name: 'Billing' })).toBeChecked();
    expect(screen.getByText('Watching 1 queue:')).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Remove Billing' }));
    expect(screen.getByRole('checkbox', { name: 'Billing' })).not.toBeChecked();
    expect(screen.getByRole('button', { name: 'Back to the board' })).toBeInTheDocument();
  });

  it('starts from the remembered people as well, and sends them back unchanged', async () => {
    const remembered = { userIds: ['u-ann'], watchSelf: true, watchQueuePeople: false };
    const backend = new FakeBackend({
      list_queues: (args) => listing(args, [{ id: 'q-billing', name: 'Billing' }], remembered),
      select_queues: { selected: [{ id: 'q-billing', name: 'Billing' }] },
    });
    renderQueues(backend, true, [{ userId: 'u-ann', name: 'Ann Agent' }]);
    // The checkboxes are drawn before the remembered choice arrives: wait for the choice (its
    // Remove button), then read them (reading at first sight failed once on a loaded machine).
    expect(await screen.findByRole('button', { name: 'Remove Ann Agent' })).toBeInTheDocument();
    expect(screen.getByRole('checkbox', { name: 'My own calls' })).toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'People taking calls on these queues' })).not.toBeChecked();
  });

  it('says when nothing matches, and when the list is cut short', async () => {
    const backend = new FakeBackend({ list_queues: (args) => ({ ...listing(args), truncated: true }) });
    renderQueues(backend);
    expect(await screen.findByText(/More queues match/)).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText('Search queues'), { target: { value: 'zzz' } });
    expect(await screen.findByText('No queue matches “zzz”.')).toBeInTheDocument();
  });

  it('shows a failure with retry, and hands a lost session to the app', async () => {
    let fail = true;
    const { onSessionLost } = renderQueues(
      new FakeBackend({
        list_queues: (args) => (fail ? ipcError('Unreachable', 'Genesys Cloud could not be reached.') : listing(args)),
      }),
    );
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Genesys Cloud could not be reached.');
    fail = false;
    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('checkbox', { name: 'Support' })).toBeInTheDocument();
    expect(onSessionLost).not.toHaveBeenCalled();
  });

  it('a lost session goes back to sign-in', async () => {
    const { onSessionLost } = renderQueues(
      new FakeBackend({ list_queues: () => ipcError('SessionExpired', 'Your session has expired.') }),
    );
    await waitFor(() => {
      expect(onSessionLost).toHaveBeenCalledWith(expect.objectContaining({ code: 'SessionExpired' }));
    });
  });

  it('chooses people to watch as well: my own calls, the queues\' people, people seen on the board and pasted ids', async () => {
    const seen = [
      { userId: 'u-alex', name: 'Alex Agent' },
      { userId: 'u-jane', name: 'Jane Doe' },
    ];
    const { backend, onChosen } = renderQueues(
      new FakeBackend({
        list_queues: (args) => listing(args),
        select_queues: (args) => ({
          selected: ALL.filter((q) => (args.request as { queueIds: string[] }).queueIds.includes(q.id)),
        }),
      }),
      false,
      seen,
    );
    await screen.findByRole('checkbox', { name: 'Support' });
    const people = screen.getByRole('group', { name: 'People' });
    fireEvent.click(within(people).getByRole('checkbox', { name: 'My own calls' }));
    fireEvent.click(within(people).getByRole('checkbox', { name: 'People taking calls on these queues' }));

    const pick = within(people).getByRole('combobox', { name: 'Add a person seen on the board' });
    expect(within(pick).getAllByRole('option').map((o) => o.textContent)).toEqual([
      'Choose a person…',
      'Alex Agent',
      'Jane Doe',
    ]);
    expect(within(people).getByRole('button', { name: 'Add person' })).toBeDisabled();
    fireEvent.change(pick, { target: { value: 'u-jane' } });
    fireEvent.click(within(people).getByRole('button', { name: 'Add person' }));
    // Once chosen, not offered again.
    expect(within(pick).queryByRole('option', { name: 'Jane Doe' })).not.toBeInTheDocument();

    const paste = within(people).getByRole('textbox', { name: 'Or paste a user id' });
    fireEvent.change(paste, { target: { value: 'not an id' } });
    fireEvent.keyDown(paste, { key: 'Enter' });
    expect(paste).toHaveAttribute('aria-invalid', 'true');
    expect(people).toHaveTextContent('A user id is one word');
    fireEvent.change(paste, { target: { value: '  u-pasted-7  ' } });
    fireEvent.keyDown(paste, { key: 'Enter' });
    expect(paste).toHaveValue('');
    fireEvent.change(paste, { target: { value: 'u-alex' } });
    fireEvent.click(within(people).getByRole('button', { name: 'Add user id' }));

    const chips = within(people).getByRole('list', { name: 'Chosen people' });
    expect(within(chips).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'Jane Doe×',
      'u-pasted-7×',
      'Alex Agent×', // a pasted id of someone seen on the board shows their name
    ]);
    fireEvent.click(within(chips).getByRole('button', { name: 'Remove Alex Agent' }));
    expect(people).toHaveTextContent('Also watching 2 people:');

    // People alone are enough to watch (a bridge has no queue), and a queue can be added too.
    expect(screen.getByRole('button', { name: 'Show live calls' })).toBeEnabled();
    fireEvent.click(screen.getByRole('checkbox', { name: 'Support' }));
    fireEvent.click(screen.getByRole('button', { name: 'Show live calls' }));
    await waitFor(() => {
      expect(onChosen).toHaveBeenCalledTimes(1);
    });
    expect(backend.argsOf('select_queues')).toEqual([
      {
        request: {
          queueIds: ['q-support'],
          userIds: ['u-jane', 'u-pasted-7'],
          watchSelf: true,
          watchQueuePeople: true,
        },
      },
    ]);
    expect(onChosen).toHaveBeenCalledWith([{ id: 'q-support', name: 'Support' }], {
      people: [
        { userId: 'u-jane', name: 'Jane Doe' },
        { userId: 'u-pasted-7', name: 'u-pasted-7' },
      ],
      watchSelf: true,
      watchQueuePeople: true,
    });
  });

  it('without anyone seen on the board offers only pasting an id', async () => {
    renderQueues(new FakeBackend({ list_queues: (args) => listing(args) }));
    await screen.findByRole('checkbox', { name: 'Support' });
    expect(screen.queryByRole('combobox', { name: 'Add a person seen on the board' })).not.toBeInTheDocument();
    expect(screen.getByText(/Nobody has been seen on the board yet/)).toBeInTheDocument();
    fireEvent.click(screen.getByRole('checkbox', { name: 'My own calls' }));
    expect(screen.getByRole('button', { name: 'Show live calls' })).toBeEnabled();
  });
});
