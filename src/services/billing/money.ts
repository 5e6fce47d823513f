import { MAX_NANOS, type Nanos } from '../../storage/store.ts';

export const NANOS_PER_UNIT = 1_000_000_000;

/** The most a balance may hold, in USD or DIEM: MAX_NANOS nano-units, 9007199.254740991 (nearest double). */
export const MAX_AMOUNT = MAX_NANOS / NANOS_PER_UNIT;

/** A decimal USD/DIEM amount in the store's integer nano-units (rounded to the nearest). */
export function toNanos(amount: number): Nanos {
  return Math.round(amount * NANOS_PER_UNIT);
}

export function fromNanos(nanos: Nanos): number {
  return nanos / NANOS_PER_UNIT;
}

/** Non-negative nanos as an exact decimal string, without trailing zeros: 9007199254740991 → "9007199.254740991". */
export function decimalOf(nanos: Nanos): string {
  const whole = Math.floor(nanos / NANOS_PER_UNIT);
  const fraction = String(nanos - whole * NANOS_PER_UNIT)
    .padStart(9, '0')
    .replace(/0+$/, '');
  return fraction === '' ? String(whole) : `${whole}.${fraction}`;
}
