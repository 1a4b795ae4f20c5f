// The UI's one door to the desktop host. Components import from here, never from @tauri-apps/*.
import { invoke } from './ipc';
import type { AppInfo } from './types';

export { CommandError, isTauri } from './ipc';
export type { AppInfo, DemoInfo, ErrorCode } from './types';

/** The app's version and whether it runs on the demo organisation. */
export function getAppInfo(): Promise<AppInfo> {
  return invoke('app_info');
}
