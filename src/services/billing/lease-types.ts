import type { Currency, LeaseCharge, UsageInput } from '../../storage/store.ts';

/** config.billing.budgetLeases: how big a lease is, when to fall back, how often its charges are written. */
export interface LeaseOptions {
  /** A lease is this many of the worst case of the request that asks for it. */
  worstCases: number;
  /** With less than this many worst cases left in the balance or the key's limit, requests reserve in the store one by one. */
  minimumWorstCases: number;
  /** Settlements are charged to the store at most this long after they happen, in one transaction per lease. */
  flushMs: number;
  /** A lease nobody used for this long is charged and closed, its rest back in the balance. */
  idleMs: number;
}

/** A lease this instance holds: a reservation in the store it spends from in memory. */
export interface Lease {
  id: string;
  book: string;
  /** The account and key it was granted for (the book holds them with the period). */
  accountId: string;
  keyId: string;
  currency: Currency;
  /** What the store holds for it now: its grant less the charges written. */
  granted: number;
  /** The worst cases of the requests in flight on it. */
  held: number;
  /** Charges settled in memory, not written yet. */
  owed: number;
  charges: LeaseCharge[];
  /** open: serves requests; retiring: serves none, closes once its requests end; closed: gone from the store. */
  state: 'open' | 'retiring' | 'closed';
  lastUsed: number;
  timer: NodeJS.Timeout | undefined;
  flushing: Promise<void> | undefined;
}

/** A request served from a lease: its worst case held until it is charged or released. */
export interface LeaseTicket {
  currency: Currency;
  /** Charges min(`amount`, the worst case), recorded with `usage`; in memory, written within flushMs. */
  charge(usage: UsageInput): void;
  /** Frees the worst case; the request is recorded with `usage` (amount 0). */
  release(usage: UsageInput): void;
}

/** What the book needs to know of a Meter: the reservations it renews and where to report lost charges. */
export interface LeaseHost {
  renewing: Set<string>;
  /** A lease was found closed when its charges were written (its process had stopped renewing it): they are lost. */
  lost(leaseId: string, charges: number, amount: number): void;
  /** Writing a lease's charges failed; they are kept and tried again. */
  failed(error: unknown): void;
}
