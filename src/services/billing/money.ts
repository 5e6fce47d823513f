import { MAX_NANOS, type Nanos } from '../../storage/store.ts';

export const NANOS_PER_UNIT = 1_000_000_000;

const NANOS_PER_UNIT_BIG = 1_000_000_000n;

/** The most a balance may hold, in USD or DIEM: MAX_NANOS nano-units, 9007199.254740991 (nearest double). */
export const MAX_AMOUNT = MAX_NANOS / NANOS_PER_UNIT;

/**
 * Below this many units `Math.round(amount * 1e9)` gives a nano decimal's own nanos (checked over every whole unit
 * ± 1 nano and at random by money.test.ts); above it a double's product can land a nano off (4274676.351455325 →
 * 4274676351455326), so the amount's decimal digits are read instead.
 */
const EXACT_PRODUCT_BELOW = 2 ** 22;

/** A JavaScript number's shortest decimal form with at most nine decimals: sign, whole part, fraction. */
const NANO_DECIMAL = /^(-?)(\d+)(?:\.(\d{1,9}))?$/;

/**
 * A decimal USD/DIEM amount in the store's integer nano-units (rounded to the nearest). An amount written with at
 * most nine decimals becomes exactly those nanos (the decimal JavaScript prints for the number: its shortest form);
 * a finer one (a computed price) is rounded to the nearest nano.
 */
export function toNanos(amount: number): Nanos {
  const product = Math.round(amount * NANOS_PER_UNIT);
  if (Math.abs(amount) < EXACT_PRODUCT_BELOW) return product;
  const digits = NANO_DECIMAL.exec(String(amount));
  if (digits === null) return product;
  const [, sign, whole = '0', fraction = ''] = digits;
  const nanos = BigInt(whole) * NANOS_PER_UNIT_BIG + BigInt(fraction.padEnd(9, '0'));
  return Number(sign === '-' ? -nanos : nanos);
}

/**
 * Nanos as a number of units (an API's JSON number): the double nearest the exact decimal, which prints as that
 * decimal up to 2^23 units; above (8,388,608 to MAX_AMOUNT) two nano values can share a double. Exact text:
 * decimalOf, fixedOf.
 */
export function fromNanos(nanos: Nanos): number {
  return nanos / NANOS_PER_UNIT;
}

function wholeNanos(nanos: Nanos): bigint {
  if (!Number.isSafeInteger(nanos)) throw new RangeError(`${nanos} is not a whole number of nanos`);
  return BigInt(nanos);
}

/** Whole nanos as an exact decimal string, without trailing zeros: 9007199254740991 → "9007199.254740991", -1 → "-0.000000001". */
export function decimalOf(nanos: Nanos): string {
  const total = wholeNanos(nanos);
  const magnitude = total < 0n ? -total : total;
  const fraction = String(magnitude % NANOS_PER_UNIT_BIG)
    .padStart(9, '0')
    .replace(/0+$/, '');
  const sign = total < 0n ? '-' : '';
  const whole = magnitude / NANOS_PER_UNIT_BIG;
  return fraction === '' ? `${sign}${whole}` : `${sign}${whole}.${fraction}`;
}

/**
 * Whole nanos as a decimal string with exactly `digits` (0–9) decimals, rounded half away from zero on the integer
 * (what `toFixed` means, without the double in between: (6577056522858500 / 1e9).toFixed(6) is "6577056.522858").
 */
export function fixedOf(nanos: Nanos, digits: number): string {
  if (!Number.isInteger(digits) || digits < 0 || digits > 9)
    throw new RangeError(`${digits} decimals: 0 to 9`);
  const total = wholeNanos(nanos);
  const magnitude = total < 0n ? -total : total;
  const step = 10n ** BigInt(9 - digits);
  const units = (magnitude + step / 2n) / step;
  const scale = 10n ** BigInt(digits);
  const sign = total < 0n && units > 0n ? '-' : '';
  const whole = `${sign}${units / scale}`;
  return digits === 0 ? whole : `${whole}.${String(units % scale).padStart(digits, '0')}`;
}
