import type { AppConfigResponse, SessionInfoResponse } from '../platform';
import { NO_CONFIG } from './config';

/** The platform's default region (Americas (US East)): where a first sign-in starts. */
export const DEFAULT_REGION = 'us_east_1';

/**
 * The region the form starts on: the administrator's (locked), else the last one used, else the one the
 * configuration suggests, else the platform default, never the list's first.
 */
export function initialRegion(
  info: Pick<SessionInfoResponse, 'lastSignIn' | 'regions'>,
  config: Pick<AppConfigResponse, 'region' | 'locked'> = NO_CONFIG,
): string {
  const offered = (name: string | null | undefined) => (name && info.regions.some((r) => r.name === name) ? name : undefined);
  if (config.locked.includes('region') && config.region) return config.region;
  return (
    offered(info.lastSignIn?.region) ?? offered(config.region) ?? offered(DEFAULT_REGION) ?? info.regions[0]?.name ?? ''
  );
}

/** The client id the form starts with: the administrator's (locked), else the last one used, else the configured one. */
export function initialClientId(
  info: Pick<SessionInfoResponse, 'lastSignIn'>,
  config: Pick<AppConfigResponse, 'clientId' | 'locked'> = NO_CONFIG,
): string {
  if (config.locked.includes('clientId') && config.clientId) return config.clientId;
  return info.lastSignIn?.clientId ?? config.clientId ?? '';
}
