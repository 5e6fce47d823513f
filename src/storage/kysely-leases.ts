import type { Transaction } from 'kysely';
import type { Database } from './database.ts';
import { decide, ensureSpend, readHeld, reservedDelta, spendKey } from './kysely-reserve-many.ts';
import {
  chargeAccount,
  chargeLeaseRow,
  chargeSpend,
  insertReservations,
  insertUsage,
  reservationValues,
  reserveAccount,
  reserveSpend,
  usageValues,
} from './ledger-statements.ts';
import { usageRow } from './kysely-close-many.ts';
import type { LeaseCharge, LeaseOutcome, LeaseRequest } from './store.ts';

/**
 * Grants a budget lease inside `transaction` (LedgerRepository.acquireLease): the currency is decided exactly as
 * `reserve` of the request's worst case would decide it (DIEM first, key limits), so a lease never moves spending to
 * another currency; the lease is then `request.size`, or half of what that currency's free balance and the
 * key's limit leave where that is less, or nothing (`fallback`) when that is under `request.minimum`.
 */
export async function acquireLease(
  transaction: Transaction<Database>,
  request: LeaseRequest,
  lockRows: boolean,
): Promise<LeaseOutcome> {
  const pairs = await ensureSpend(transaction, [request]);
  const held = await readHeld(transaction, [request], pairs, lockRows);
  const outcome = decide(request, held);
  if (!outcome.reserved) return outcome;
  const { currency } = outcome;
  // decide() moved `held` by the worst case: what is left after it, plus the worst case, is what the lease may take.
  const free = held.free.get(request.accountId)![currency] + request.amount;
  const limit = request.keyLimits[currency];
  const used = held.used.get(spendKey(request.keyId, request.period))![currency] - request.amount;
  const room = limit === null ? free : Math.min(free, limit - used);
  // At most half of what is left: another instance can still take a lease of the other half, and as the money runs
  // low the leases shrink until, under the minimum, every instance reserves request by request.
  const amount = Math.min(request.size, Math.floor(room / 2));
  if (amount < request.minimum) return { reserved: false, reason: 'fallback' };
  const delta = { USD: 0, DIEM: 0, [currency]: amount };
  await reserveAccount(transaction, 'one', [...reservedDelta(delta), request.accountId]);
  await reserveSpend(transaction, 'one', [...reservedDelta(delta), request.keyId, request.period]);
  await insertReservations(
    transaction,
    1,
    reservationValues([
      {
        id: request.reservationId,
        account_id: request.accountId,
        key_id: request.keyId,
        period: request.period,
        currency,
        amount,
        state: 'open',
        request_id: request.requestId,
        model_id: request.modelId,
        created_at: request.createdAt,
        lease_until: request.leaseUntil,
        kind: 'lease',
      },
    ]),
  );
  return { reserved: true, currency, amount };
}

/**
 * Charges a batch of requests served from an open lease inside `transaction` (LedgerRepository.chargeLease): the
 * lease shrinks by their total, the account's balance and the key's period spend take it, each request gets its usage
 * record; with `close`, the rest of the lease is freed and it is closed. False, writing nothing, when the lease is no
 * longer open (released by the sweep after its process stopped renewing it) or holds less than the total.
 */
export async function chargeLease(
  transaction: Transaction<Database>,
  leaseId: string,
  charges: readonly LeaseCharge[],
  close: boolean,
): Promise<boolean> {
  const total = charges.reduce((sum, charge) => sum + charge.usage.amount, 0);
  // The lease row first (every ledger transaction locks reservations before accounts and key periods); on SQLite
  // this write takes the writer lock before anything is read.
  const [lease] = (
    await chargeLeaseRow(transaction, 'one', [
      BigInt(total),
      close ? 'settled' : 'open',
      leaseId,
      BigInt(total),
    ])
  ).rows;
  if (lease === undefined) return false;
  const freed = total + (close ? Number(lease.amount) : 0);
  const amounts = (charged: number, released: number): bigint[] =>
    lease.currency === 'USD'
      ? [BigInt(charged), BigInt(released), 0n, 0n]
      : [0n, 0n, BigInt(charged), BigInt(released)];
  if (freed > 0) {
    await chargeAccount(transaction, 'one', [...amounts(total, freed), lease.account_id]);
    await chargeSpend(transaction, 'one', [...amounts(total, freed), lease.key_id, lease.period]);
  }
  if (charges.length > 0)
    await insertUsage(
      transaction,
      charges.length,
      usageValues(
        charges.map((charge) => usageRow(lease, charge.usage.amount, charge.usage, charge)),
      ),
    );
  return true;
}
