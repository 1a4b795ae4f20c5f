import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CommandError, type AppConfigResponse, type QueueInfo, type SessionInfo } from '../platform';
import { FakeBackend, REGIONS, SAM, appConfig, ipcError, sessionInfo } from '../test/fixtures';
import { SignIn } from './SignIn';

afterEach(() => {
  FakeBackend.reset();
});

function renderSignIn(info = sessionInfo(), notice?: CommandError, config?: AppConfigResponse) {
  const onSignedIn = vi.fn<(session: SessionInfo, queues: QueueInfo[]) => void>();
  render(<SignIn info={info} notice={notice} onSignedIn={onSignedIn} {...(config ? { config } : {})} />);
  return { onSignedIn };
}

describe('sign-in', () => {
  it('lists every region by name with its domain', () => {
    new FakeBackend({});
    renderSignIn();
    const select = screen.getByLabelText('Region');
    const options = within(select).getAllByRole('option');
    expect(options.map((o) => o.textContent)).toEqual(REGIONS.map((r) => `${r.label} — ${r.domain}`));
    expect(screen.getByText('http://localhost:8765/oauth/callback')).toBeInTheDocument();
  });

  it('signs in with the chosen region and client id through the browser', async () => {
    let finish: (value: unknown) => void = () => undefined;
    const backend = new FakeBackend({
      sign_in: () =>
        new Promise((resolve) => {
          finish = resolve;
        }),
    });
    const { onSignedIn } = renderSignIn();
    fireEvent.change(screen.getByLabelText('Region'), { target: { value: 'eu_west_1' } });
    fireEvent.change(screen.getByLabelText('OAuth client id'), { target: { value: '  bk-client ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in with your browser' }));

    expect(await screen.findByText(/Finish signing in in the browser window/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Waiting for the browser…' })).toBeDisabled();
    expect(backend.argsOf('sign_in')).toEqual([
      { request: { region: 'eu_west_1', apiBase: null, clientId: 'bk-client', clientSecret: null } },
    ]);
    const queues = [{ id: 'q1', name: 'Support' }];
    finish({ session: SAM, selectedQueues: queues });
    await waitFor(() => {
      expect(onSignedIn).toHaveBeenCalledWith(SAM, queues);
    });
  });

  it('sends the confidential secret or a custom API base from the advanced section', async () => {
    const backend = new FakeBackend({ sign_in: { session: SAM, selectedQueues: [] } });
    renderSignIn();
    fireEvent.click(screen.getByText('Advanced'));
    fireEvent.change(screen.getByLabelText('OAuth client id'), { target: { value: 'conf' } });
    fireEvent.change(screen.getByLabelText('Client secret (confidential client only)'), { target: { value: 's3cret' } });
    fireEvent.change(screen.getByLabelText('Custom API base'), { target: { value: 'http://127.0.0.1:9000' } });
    expect(screen.getByLabelText('Region')).toBeDisabled();
    fireEvent.click(screen.getByRole('button', { name: 'Sign in with your browser' }));
    await waitFor(() => {
      expect(backend.argsOf('sign_in')).toEqual([
        { request: { region: null, apiBase: 'http://127.0.0.1:9000', clientId: 'conf', clientSecret: 's3cret' } },
      ]);
    });
  });

  it.each([
    ['PortInUse', 'The sign-in port is busy', 'Port 8765 on this computer is in use by another program.'],
    ['KeyringUnavailable', 'The system keyring is unavailable', 'Install GNOME Keyring and unlock it.'],
    ['SignInFailed', 'Sign-in did not complete', 'No sign-in arrived from the browser within 300 seconds.'],
    ['InvalidArgument', 'Please check what you entered', 'Enter the OAuth client id.'],
    ['Unreachable', 'Genesys Cloud could not be reached', 'Check the network and try again.'],
  ])('explains %s plainly and lets the user try again', async (code, title, message) => {
    new FakeBackend({ sign_in: () => ipcError(code, message) });
    renderSignIn();
    fireEvent.change(screen.getByLabelText('OAuth client id'), { target: { value: 'x' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in with your browser' }));
    const alert = await screen.findByRole('alert');
    expect(within(alert).getByRole('heading', { name: title })).toBeInTheDocument();
    expect(alert).toHaveTextContent(message);
    expect(screen.getByRole('button', { name: 'Sign in with your browser' })).toBeEnabled();
  });

  it('tries the demo organisation through its own command', async () => {
    const demoSession = { ...SAM, demo: true, environment: 'Demo organisation' };
    const backend = new FakeBackend({ sign_in_demo: { session: demoSession, selectedQueues: [] } });
    const { onSignedIn } = renderSignIn();
    fireEvent.click(screen.getByRole('button', { name: 'Try the demo organisation' }));
    await waitFor(() => {
      expect(onSignedIn).toHaveBeenCalledWith(demoSession, []);
    });
    expect(backend.commands()).toEqual(['sign_in_demo']);
  });

  it('reports a demo that could not start', async () => {
    new FakeBackend({ sign_in_demo: () => ipcError('DemoUnavailable', 'The demo organisation could not start: address in use') });
    renderSignIn();
    fireEvent.click(screen.getByRole('button', { name: 'Try the demo organisation' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The demo organisation could not start: address in use');
  });

  it('starts on Americas (US East), the platform default, without a last sign-in', () => {
    new FakeBackend({});
    renderSignIn();
    // REGIONS lists Sydney first: the default must win over the list's order.
    expect(REGIONS[0]?.name).toBe('ap_southeast_2');
    expect(screen.getByLabelText('Region')).toHaveValue('us_east_1');
  });

  it('starts on the first offered region when the default is not offered', () => {
    new FakeBackend({});
    renderSignIn(sessionInfo({ regions: REGIONS.filter((r) => r.name !== 'us_east_1') }));
    expect(screen.getByLabelText('Region')).toHaveValue('ap_southeast_2');
  });

  it('pre-fills the last sign-in and says why sign-in is needed again', () => {
    new FakeBackend({});
    renderSignIn(
      sessionInfo({
        state: 'expired',
        lastSignIn: { region: 'eu_west_1', apiBase: null, clientId: 'bk-client', confidential: true },
      }),
      new CommandError('execute_drop', 'SessionExpired', 'Your session has expired or was revoked. Sign in again.'),
    );
    expect(screen.getByLabelText('Region')).toHaveValue('eu_west_1');
    expect(screen.getByLabelText('OAuth client id')).toHaveValue('bk-client');
    expect(screen.getByLabelText('Client secret (confidential client only)')).toBeVisible();
    expect(screen.getByRole('alert')).toHaveTextContent('Your session has ended. Your session has expired or was revoked.');
  });

  it('shows the fields the administrator set read-only and signs in with them', async () => {
    const backend = new FakeBackend({ sign_in: { session: SAM, selectedQueues: [] } });
    renderSignIn(
      sessionInfo({ lastSignIn: { region: 'us_east_1', apiBase: null, clientId: 'old-client', confidential: false } }),
      undefined,
      appConfig({ region: 'eu_west_1', clientId: 'fleet-client', locked: ['region', 'clientId'] }),
    );
    const region = screen.getByLabelText('Region');
    expect(region).toHaveValue('EMEA (Dublin) — mypurecloud.ie');
    expect(region).toHaveAttribute('readonly');
    expect(region).toHaveAccessibleDescription('Set by your administrator (/etc/bridgekeeper/config.toml).');
    const client = screen.getByLabelText('OAuth client id');
    expect(client).toHaveValue('fleet-client');
    expect(client).toHaveAttribute('readonly');
    expect(client).toHaveAccessibleDescription('Set by your administrator (/etc/bridgekeeper/config.toml).');
    fireEvent.click(screen.getByText('Advanced'));
    expect(screen.queryByLabelText('Custom API base')).not.toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Sign in with your browser' }));
    await waitFor(() => {
      expect(backend.argsOf('sign_in')).toEqual([
        { request: { region: 'eu_west_1', apiBase: null, clientId: 'fleet-client', clientSecret: null } },
      ]);
    });
  });

  it('uses the user configuration as editable defaults, after the last sign-in', () => {
    new FakeBackend({});
    renderSignIn(sessionInfo(), undefined, appConfig({ region: 'eu_west_1', clientId: 'my-client' }));
    expect(screen.getByLabelText('Region')).toHaveValue('eu_west_1');
    expect(screen.getByLabelText('Region')).toBeEnabled();
    expect(screen.getByLabelText('OAuth client id')).toHaveValue('my-client');
    expect(screen.getByLabelText('OAuth client id')).not.toHaveAttribute('readonly');
    expect(screen.queryByText(/Set by your administrator/)).not.toBeInTheDocument();
  });

  it('the last sign-in wins over an unlocked configured region', () => {
    new FakeBackend({});
    renderSignIn(
      sessionInfo({ lastSignIn: { region: 'us_east_1', apiBase: null, clientId: 'bk', confidential: false } }),
      undefined,
      appConfig({ region: 'eu_west_1' }),
    );
    expect(screen.getByLabelText('Region')).toHaveValue('us_east_1');
  });

  it('hides the demo organisation when the configuration turns it off', () => {
    new FakeBackend({});
    renderSignIn(sessionInfo(), undefined, appConfig({ demo: false, locked: ['demo'] }));
    expect(screen.queryByRole('button', { name: 'Try the demo organisation' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Sign in with your browser' })).toBeInTheDocument();
  });
});
