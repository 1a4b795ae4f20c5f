import type { AppConfigResponse, ConfigField } from '../platform';

/** What the app runs on when no configuration file exists (or `app_config` could not answer). */
export const NO_CONFIG: AppConfigResponse = {
  region: null,
  clientId: null,
  loopbackPort: 8765,
  demo: true,
  allowPolicyEnforcement: true,
  updateEndpoint: null,
  locked: [],
  systemPath: null,
  userPath: null,
  problems: [],
};

/** True when the system-wide file sets `field`: shown, never editable. */
export function isLocked(config: AppConfigResponse, field: ConfigField): boolean {
  return config.locked.includes(field);
}

/** The words beside a locked field. */
export const SET_BY_ADMIN = 'Set by your administrator';
