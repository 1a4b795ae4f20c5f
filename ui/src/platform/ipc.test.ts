import { describe, expect, it } from 'vitest';
import { CommandError, toCommandError } from './ipc';

describe('toCommandError', () => {
  it('keeps a known backend code, its message and the support details', () => {
    const error = toCommandError('execute_drop', {
      code: 'RateLimited',
      message: 'slow down',
      correlationId: 'corr-1',
      retryAfterSecs: 4,
    });
    expect(error).toBeInstanceOf(CommandError);
    expect(error).toMatchObject({
      command: 'execute_drop',
      code: 'RateLimited',
      message: 'slow down',
      correlationId: 'corr-1',
      retryAfterSecs: 4,
    });
  });

  it('keeps an unknown backend code visible in the message', () => {
    const error = toCommandError('app_info', { code: 'SomethingNew', message: 'newer backend' });
    expect(error).toMatchObject({ code: 'Unexpected', message: 'newer backend (SomethingNew)' });
  });

  it('does not take inherited names for codes', () => {
    expect(toCommandError('app_info', { code: 'toString', message: 'x' }).code).toBe('Unexpected');
  });

  it('explains a plain browser, where the IPC bridge is missing', () => {
    // Outside Tauri, @tauri-apps/api fails with a TypeError reading its missing internals.
    const error = toCommandError('app_info', new TypeError("Cannot read properties of undefined (reading 'invoke')"));
    expect(error.code).toBe('NotInDesktopApp');
    expect(error.message).toMatch(/plain browser/);
  });

  it('describes a string rejection', () => {
    expect(toCommandError('app_info', 'command app_info not allowed').message).toBe(
      'The app could not run “app_info”: command app_info not allowed',
    );
  });
});
