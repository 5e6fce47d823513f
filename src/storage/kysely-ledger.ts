import type { Kysely, Transaction } from 'kysely';
import type { Database } from './database.ts';
import { closeMany } from './kysely-close-many.ts';
import { commitMany } from './kysely-commit-many.ts';
import { acquireLease, chargeLease } from './kysely-leases.ts';
import { reserveMany } from './kysely-reserve-many.ts';
import {
  type LedgerEntry,
  type LedgerRepository,
  releasedUsage,
  type ReserveRequest,
} from './store.ts';

/** Reservations renewed by one UPDATE (well under SQLite's and PostgreSQL's bound-parameter limits). */
const RENEW_CHUNK = 500;

/**
 * Runs `work` in one transaction of the ledger's. The store decides how its commit reaches the disk
 * (billing.ledgerCommits: ledger-commits.ts); by default, as every other transaction, before it answers.
 */
export type LedgerTransaction = <T>(
  work: (transaction: Transaction<Database>) => Promise<T>,
) => Promise<T>;

export interface KyselyLedgerOptions {
  /** PostgreSQL: read the rows a reservation decides on FOR UPDATE. */
  lockRows?: boolean;
  /** How the ledger's transactions run; default: a plain transaction of `database`. */
  transaction?: LedgerTransaction;
}

/**
 * The ledger, written once for every dialect: each method is one transaction over `reserveMany`, `closeMany` or
 * both (`commitMany`), a single request being a batch of one. `lockRows` (PostgreSQL) reads the rows a reservation decides on FOR UPDATE;
 * SQLite has one writer at a time, taken by the batch's first statement.
 */
export function kyselyLedger(
  database: Kysely<Database>,
  options: KyselyLedgerOptions = {},
): LedgerRepository {
  const lockRows = options.lockRows === true;
  const inTransaction: LedgerTransaction =
    options.transaction ?? ((work) => database.transaction().execute(work));
  const reserve = (requests: ReserveRequest[]) =>
    inTransaction((transaction) => reserveMany(transaction, requests, lockRows));
  const close = (entries: LedgerEntry[]) =>
    inTransaction((transaction) => closeMany(transaction, entries));
  const closeOne = async (entry: LedgerEntry): Promise<boolean> =>
    (await close([entry]))[0] ?? false;
  return {
    reserve: async (request) => (await reserve([request]))[0]!,
    reserveMany: reserve,
    closeMany: close,
    commitMany: (batch) => inTransaction((transaction) => commitMany(transaction, batch, lockRows)),
    settle: (reservationId, usage) =>
      closeOne({ kind: 'close', reservationId, state: 'settled', usage }),
    release: (reservationId, status, at) =>
      closeOne({
        kind: 'close',
        reservationId,
        state: 'released',
        usage: releasedUsage(status, at),
      }),
    acquireLease: (request) =>
      inTransaction((transaction) => acquireLease(transaction, request, lockRows)),
    chargeLease: (leaseId, charges, close) =>
      inTransaction((transaction) => chargeLease(transaction, leaseId, charges, close)),
    stateOf: async (reservationId) => {
      const row = await database
        .selectFrom('reservations')
        .select('state')
        .where('id', '=', reservationId)
        .executeTakeFirst();
      return row?.state;
    },
    renew: async (reservationIds, leaseUntil) => {
      // A few statements for the whole pass (RENEW_CHUNK ids each), not one per reservation.
      for (let start = 0; start < reservationIds.length; start += RENEW_CHUNK)
        await database
          .updateTable('reservations')
          .set({ lease_until: leaseUntil })
          .where('id', 'in', reservationIds.slice(start, start + RENEW_CHUNK))
          .where('state', '=', 'open')
          .execute();
    },
    releaseExpired: async (now) => {
      let count = 0;
      // In batches of a few hundred (a bounded transaction each), until none is left.
      for (;;) {
        const expired = await database
          .selectFrom('reservations')
          .select('id')
          .where('state', '=', 'open')
          .where('lease_until', '<', now)
          .limit(500)
          .execute();
        if (expired.length > 0) {
          const closed = await close(
            expired.map(
              ({ id }): LedgerEntry => ({
                kind: 'close',
                reservationId: id,
                state: 'released',
                usage: releasedUsage('lease_expired', now),
              }),
            ),
          );
          count += closed.filter(Boolean).length;
        }
        if (expired.length < 500) return count;
      }
    },
    keySpend: async (keyId, period) => {
      const row = await database
        .selectFrom('key_spend')
        .selectAll()
        .where('key_id', '=', keyId)
        .where('period', '=', period)
        .executeTakeFirst();
      return {
        usdSpent: Number(row?.usd_spent ?? 0),
        usdReserved: Number(row?.usd_reserved ?? 0),
        diemSpent: Number(row?.diem_spent ?? 0),
        diemReserved: Number(row?.diem_reserved ?? 0),
      };
    },
  };
}
