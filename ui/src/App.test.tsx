import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from './App';
import { FakeBackend, SAM, appConfig, conversation, demoBoard, ipcError, party, sessionInfo, snapshot } from './test/fixtures';

afterEach(() => {
  FakeBackend.reset();
});

const APP = { version: '3.4.5', demo: null };
const QUEUES = [{ id: 'q-support', name: 'Support' }];

describe('app shell', () => {
  it('signed out: shows sign-in with the version in the footer', async () => {
    const backend = new FakeBackend({ app_info: APP, session_info: sessionInfo() });
    render(<App />);
    expect(screen.getByRole('heading', { level: 1, name: 'Bridgekeeper' })).toBeInTheDocument();
    expect(await screen.findByRole('heading', { name: 'Sign in to Genesys Cloud' })).toBeInTheDocument();
    expect(screen.getByText('Bridgekeeper 3.4.5')).toBeInTheDocument();
    expect(screen.queryByText('Demo organisation')).not.toBeInTheDocument();
    // Once the version is known, the app also asks whether an update is offered (off here).
    await waitFor(() => {
      expect(backend.commands().sort()).toEqual(['app_config', 'app_info', 'session_info', 'update_check']);
    });
  });

  it('signed in with remembered queues: opens the live board at once', async () => {
    new FakeBackend({
      app_info: APP,
      session_info: sessionInfo({ state: 'signedIn', session: SAM, selectedQueues: QUEUES }),
      roster_subscribe: snapshot(demoBoard()),
    });
    render(<App />);
    expect(await screen.findByRole('button', { name: 'Drop Jane Doe' })).toBeInTheDocument();
    expect(screen.getByText('Sam Supervisor')).toBeInTheDocument();
    const nav = screen.getByRole('navigation', { name: 'Screens' });
    expect(within(nav).getByRole('button', { name: 'Live calls' })).toHaveAttribute('aria-current', 'page');
  });

  it('after the demo sign-in: queue choice, then the board, with a demo badge', async () => {
    const demo = { ...SAM, demo: true, environment: 'Demo organisation' };
    new FakeBackend({
      app_info: APP,
      session_info: sessionInfo(),
      sign_in_demo: { session: demo, selectedQueues: [] },
      list_queues: { queues: QUEUES, selected: [], people: { userIds: [], watchSelf: false, watchQueuePeople: false }, truncated: false },
      select_queues: { selected: QUEUES },
      roster_subscribe: snapshot(demoBoard()),
    });
    render(<App />);
    fireEvent.click(await screen.findByRole('button', { name: 'Try the demo organisation' }));
    fireEvent.click(await screen.findByRole('checkbox', { name: 'Support' }));
    fireEvent.click(screen.getByRole('button', { name: 'Show live calls' }));
    expect(await screen.findByRole('button', { name: 'Drop Jane Doe' })).toBeInTheDocument();
    expect(screen.getByText('Demo organisation', { selector: '.badge' })).toBeInTheDocument();
  });

  it('an expired session at start asks to sign in again', async () => {
    new FakeBackend({ app_info: APP, session_info: sessionInfo({ state: 'expired' }) });
    render(<App />);
    expect(await screen.findByRole('alert')).toHaveTextContent('Your session has ended. Your session has expired. Sign in again.');
  });

  it('a session that ends on the board goes back to sign-in, saying why', async () => {
    new FakeBackend({
      app_info: APP,
      session_info: sessionInfo({ state: 'signedIn', session: SAM, selectedQueues: QUEUES }),
      roster_subscribe: () => ipcError('SessionExpired', 'Your session has expired or was revoked. Sign in again.'),
    });
    render(<App />);
    expect(await screen.findByRole('heading', { name: 'Sign in to Genesys Cloud' })).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('Your session has expired or was revoked.');
  });

  it('navigates to the audit log and signs out', async () => {
    const backend = new FakeBackend({
      app_info: APP,
      session_info: sessionInfo({ state: 'signedIn', session: SAM, selectedQueues: QUEUES }),
      roster_subscribe: snapshot(demoBoard()),
      audit_list: { entries: [], total: 0, skippedLines: 0, path: '/x' },
      sign_out: { warning: null },
    });
    render(<App />);
    await screen.findByRole('button', { name: 'Drop Jane Doe' });
    fireEvent.click(screen.getByRole('button', { name: 'Audit log' }));
    expect(await screen.findByRole('heading', { name: 'Audit log' })).toHaveFocus();
    fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(await screen.findByRole('heading', { name: 'Sign in to Genesys Cloud' })).toBeInTheDocument();
    expect(backend.commands()).toContain('sign_out');
  });

  it('offers the people seen on the board when choosing whom to watch, and keeps the choice', async () => {
    const bridge = conversation(
      'bridge-1',
      [
        party({ participantId: 'b-1', name: 'Priya Patel', userId: 'u-priya' }),
        party({ participantId: 'b-2', name: 'Dial-in', purpose: 'external' }),
      ],
      { queueIds: [] },
    );
    const backend = new FakeBackend({
      app_info: APP,
      session_info: sessionInfo({ state: 'signedIn', session: SAM, selectedQueues: QUEUES }),
      roster_subscribe: snapshot([...demoBoard(), bridge]),
      list_queues: { queues: QUEUES, selected: QUEUES, people: { userIds: [], watchSelf: false, watchQueuePeople: false }, truncated: false },
      select_queues: { selected: QUEUES },
    });
    render(<App />);
    await screen.findByRole('button', { name: 'Drop Priya Patel' });
    fireEvent.click(screen.getByRole('button', { name: 'Queues' }));
    const pick = await screen.findByRole('combobox', { name: 'Add a person seen on the board' });
    fireEvent.change(pick, { target: { value: 'u-priya' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add person' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Show live calls' }));
    await screen.findByRole('button', { name: 'Drop Priya Patel' });
    expect(backend.argsOf('select_queues')).toEqual([
      { request: { queueIds: ['q-support'], userIds: ['u-priya'], watchSelf: false, watchQueuePeople: false } },
    ]);
    // Back on the queue screen, the people chosen this session are still chosen.
    fireEvent.click(screen.getByRole('button', { name: 'Queues' }));
    const chips = await screen.findByRole('list', { name: 'Chosen people' });
    expect(chips).toHaveTextContent('Priya Patel');
  });

  it('a startup failure is shown with its code and recovers on retry', async () => {
    let failing = true;
    new FakeBackend({
      app_info: () =>
        failing ? ipcError('DemoUnavailable', 'The demo organisation could not start: address in use') : APP,
      session_info: sessionInfo(),
    });
    render(<App />);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The demo organisation could not start: address in use');
    expect(within(alert).getByText('DemoUnavailable')).toBeInTheDocument();
    failing = false;
    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    await waitFor(() => {
      expect(screen.getByRole('heading', { name: 'Sign in to Genesys Cloud' })).toBeInTheDocument();
    });
  });

  it('a broken configuration file is shown with its file, line and field, and the app still starts', async () => {
    new FakeBackend({
      app_info: APP,
      session_info: sessionInfo(),
      app_config: appConfig({
        problems: [
          {
            scope: 'system',
            path: '/etc/bridgekeeper/config.toml',
            line: 3,
            field: 'loopback_port',
            message: '70000 is not a usable port; use 1 to 65535',
            text: '/etc/bridgekeeper/config.toml, line 3, field `loopback_port`: 70000 is not a usable port',
          },
        ],
      }),
    });
    render(<App />);
    const banner = await screen.findByRole('region', { name: 'A configuration file has a problem' });
    expect(banner).toHaveTextContent(
      'System-wide configuration /etc/bridgekeeper/config.toml, line 3, field loopback_port: 70000 is not a usable port; use 1 to 65535',
    );
    expect(banner).toHaveTextContent('nothing in it was changed');
    expect(screen.getByRole('heading', { name: 'Sign in to Genesys Cloud' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Sign in with your browser' })).toBeEnabled();
  });

  it('after sign-in to a real org, says which features are unavailable and which permission to ask for', async () => {
    const backend = new FakeBackend({
      app_info: APP,
      app_config: appConfig(),
      session_info: sessionInfo({ state: 'signedIn', session: SAM, selectedQueues: QUEUES }),
      roster_subscribe: snapshot(demoBoard()),
      check_permissions: {
        checked: true,
        missing: [
          {
            feature: 'Dropping, muting and holding a party',
            permission: 'conversation:communication:disconnect',
            consequence: "Drop, mute and hold of other people's parties are refused.",
            essential: true,
          },
        ],
      },
    });
    render(<App />);
    const notice = await screen.findByRole('region', { name: 'A feature is unavailable' });
    expect(notice).toHaveTextContent('Dropping, muting and holding a party: grant conversation:communication:disconnect.');
    expect(backend.commands()).toContain('check_permissions');
    fireEvent.click(within(notice).getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByRole('region', { name: 'A feature is unavailable' })).not.toBeInTheDocument();
  });

  it('does not check the demo organisation', async () => {
    const backend = new FakeBackend({
      app_info: APP,
      session_info: sessionInfo({ state: 'signedIn', session: { ...SAM, demo: true }, selectedQueues: QUEUES }),
      roster_subscribe: snapshot(demoBoard()),
    });
    render(<App />);
    expect(await screen.findByRole('button', { name: 'Drop Jane Doe' })).toBeInTheDocument();
    expect(backend.commands()).not.toContain('check_permissions');
  });
});
