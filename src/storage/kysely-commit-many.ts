import type { Transaction } from 'kysely';
import type { Database } from './database.ts';
import { applyClosings, claimEntries } from './kysely-close-many.ts';
import { byCodePoint, ensureSpend, reserveMany } from './kysely-reserve-many.ts';
import { heldAccount } from './ledger-statements.ts';
import type { LedgerBatch, LedgerBatchResult } from './store.ts';

/**
 * A loop turn's ledger work in one transaction (LedgerRepository.commitMany): the closings, then the reservations,
 * which so see the money the closings freed. Lock order, as in reserveMany and closeMany alone: new key-period rows
 * (inserted in code-point order), the reservations claimed, then every account the batch touches in code-point
 * order, then key periods, each under its account's lock; so these batches, single reserves and closes, and the
 * sweep of expired leases cannot deadlock on PostgreSQL. On SQLite the first statement (a write) takes the one
 * writer lock.
 */
export async function commitMany(
  transaction: Transaction<Database>,
  { closes, reserves }: LedgerBatch,
  lockRows: boolean,
): Promise<LedgerBatchResult> {
  const pairs = reserves.length > 0 ? await ensureSpend(transaction, reserves) : [];
  const claimed = await claimEntries(transaction, closes);
  if (lockRows && reserves.length > 0 && claimed.rows.size > 0) {
    // Closing moves the claimed rows' accounts, reserving reads the requests' accounts: lock them all first, in
    // order, or a batch closing on A and reserving on B could wait on one that closes on B and reserves on A.
    const accounts = new Set(reserves.map((request) => request.accountId));
    for (const row of claimed.rows.values()) accounts.add(row.account_id);
    for (const id of [...accounts].sort(byCodePoint)) await heldAccount(transaction, 'lock', [id]);
  }
  const closed = await applyClosings(transaction, closes, claimed);
  const reserved = await reserveMany(transaction, reserves, lockRows, pairs);
  return { closed, reserved };
}
