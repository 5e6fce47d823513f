import type { LimitPeriod } from '../../storage/store.ts';

/**
 * The spend period a key's limit counts in (INVENTORY §7.1): EPOCH is the UTC day (Venice's epoch resets
 * at 00:00 UTC), MONTH the UTC month, LIFETIME never resets.
 */
export function periodOf(limitPeriod: LimitPeriod, now: Date): string {
  const iso = now.toISOString();
  if (limitPeriod === 'EPOCH') return iso.slice(0, 10);
  if (limitPeriod === 'MONTH') return iso.slice(0, 7);
  return 'LIFETIME';
}

/** Start of the next UTC day (swagger: /api_keys/rate_limits nextEpochBegins). */
export function nextEpochBegins(now: Date): string {
  return new Date(
    Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1),
  ).toISOString();
}
