import type { SessionInfoResponse } from '../platform';

/** The platform's default region (Americas (US East)): where a first sign-in starts. */
export const DEFAULT_REGION = 'us_east_1';

/** The region the form starts on: the last one used, else the platform default, never the list's first. */
export function initialRegion(info: Pick<SessionInfoResponse, 'lastSignIn' | 'regions'>): string {
  const offered = (name: string | null | undefined) => (name && info.regions.some((r) => r.name === name) ? name : undefined);
  return offered(info.lastSignIn?.region) ?? offered(DEFAULT_REGION) ?? info.regions[0]?.name ?? '';
}
