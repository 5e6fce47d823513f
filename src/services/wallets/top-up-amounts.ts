import { toNanos } from '../billing/money.ts';

/**
 * USD → the token's base units (a USD stablecoin: 1 token = $1), exact to the nano of the amount's decimal. Past a
 * token's precision (fewer than 9 decimals) `rounding` says which way: a minimum rounds up, so a payment at it is
 * never worth less; a maximum rounds down.
 */
export function baseUnits(usd: number, decimals: number, rounding: 'up' | 'down' = 'down'): bigint {
  const nanos = BigInt(toNanos(usd));
  if (decimals >= 9) return nanos * 10n ** BigInt(decimals - 9);
  const step = 10n ** BigInt(9 - decimals);
  return rounding === 'up' ? (nanos + step - 1n) / step : nanos / step;
}

/** The token's base units → nano-USD (the token is a USD stablecoin: 1 token = $1); floor past 9 decimals. */
export function nanosOf(units: bigint, decimals: number): number {
  return Number(
    decimals <= 9 ? units * 10n ** BigInt(9 - decimals) : units / 10n ** BigInt(decimals - 9),
  );
}
