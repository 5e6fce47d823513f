import type { Nanos } from '../../storage/store.ts';

export const NANOS_PER_UNIT = 1_000_000_000;

/** A decimal USD/DIEM amount in the store's integer nano-units (rounded to the nearest). */
export function toNanos(amount: number): Nanos {
  return Math.round(amount * NANOS_PER_UNIT);
}

export function fromNanos(nanos: Nanos): number {
  return nanos / NANOS_PER_UNIT;
}
