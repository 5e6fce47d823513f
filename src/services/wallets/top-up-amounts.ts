/** USD → the token's base units (exact for Venice's amounts: whole cents and more). */
export function baseUnits(usd: number, decimals: number): bigint {
  return (BigInt(Math.round(usd * 1e6)) * 10n ** BigInt(decimals)) / 1_000_000n;
}

/** The token's base units → nano-USD (the token is a USD stablecoin: 1 token = $1); floor past 9 decimals. */
export function nanosOf(units: bigint, decimals: number): number {
  return Number(
    decimals <= 9 ? units * 10n ** BigInt(9 - decimals) : units / 10n ** BigInt(decimals - 9),
  );
}
