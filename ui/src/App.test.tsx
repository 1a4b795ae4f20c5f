import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from './App';

afterEach(() => {
  clearMocks();
});

/** Records every IPC call and answers `app_info` with the given handler. */
function mockAppInfo(answer: () => unknown) {
  const calls: { cmd: string; args: unknown }[] = [];
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    if (cmd === 'app_info') return answer();
    throw new Error(`unexpected command ${cmd}`);
  });
  return calls;
}

describe('first screen', () => {
  it('shows the version and a real (not demo) organisation', async () => {
    const calls = mockAppInfo(() => ({ version: '3.4.5', demo: null }));

    render(<App />);

    expect(screen.getByRole('heading', { level: 1, name: 'Bridgekeeper' })).toBeInTheDocument();
    const panel = await screen.findByRole('region', { name: 'This session' });
    expect(within(panel).getByText('3.4.5')).toBeInTheDocument();
    expect(within(panel).getByText(/not signed in/)).toBeInTheDocument();
    expect(screen.queryByText(/demo/i)).not.toBeInTheDocument();
    expect(calls.map((c) => c.cmd)).toEqual(['app_info']);
  });

  it('says clearly when it runs on the demo organisation, and where', async () => {
    mockAppInfo(() => ({ version: '3.4.5', demo: { baseUrl: 'http://127.0.0.1:41234' } }));

    render(<App />);

    const panel = await screen.findByRole('region', { name: 'This session' });
    expect(within(panel).getByText('http://127.0.0.1:41234')).toBeInTheDocument();
    expect(within(panel).getByText(/Built-in demo organisation/)).toBeInTheDocument();
    expect(screen.getByText('Demo organisation')).toBeInTheDocument();
  });

  it('shows the backend error with its code, and recovers on retry', async () => {
    let failing = true;
    const calls = mockAppInfo(() => {
      if (failing) {
        // What the Rust side rejects with: a plain IpcError { code, message } object, not an Error.
        // eslint-disable-next-line @typescript-eslint/only-throw-error
        throw { code: 'DemoUnavailable', message: 'The demo organisation could not start: address in use' };
      }
      return { version: '3.4.5', demo: null };
    });

    render(<App />);

    const alert = await screen.findByRole('alert');
    expect(within(alert).getByText('The demo organisation could not start: address in use')).toBeInTheDocument();
    expect(within(alert).getByText('DemoUnavailable')).toBeInTheDocument();
    expect(screen.queryByRole('region', { name: 'This session' })).not.toBeInTheDocument();

    failing = false;
    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));

    expect(await screen.findByRole('region', { name: 'This session' })).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(calls).toHaveLength(2);
  });

  it('reports an error that is not an IpcError as unexpected, naming the command', async () => {
    mockAppInfo(() => {
      throw new Error('connection reset');
    });

    render(<App />);

    const alert = await screen.findByRole('alert');
    expect(within(alert).getByText('The app could not run “app_info”: connection reset')).toBeInTheDocument();
    expect(within(alert).getByText('Unexpected')).toBeInTheDocument();
  });
});
