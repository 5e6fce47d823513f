import type { Transaction } from 'kysely';
import type { Database } from './database.ts';
import {
  ensureSpendRows,
  heldAccount,
  heldSpend,
  insertReservations,
  reservationValues,
  reserveAccount,
  reserveSpend,
} from './ledger-statements.ts';
import type { Currency, Nanos, ReserveOutcome, ReserveRequest } from './store.ts';

type Amounts = Record<Currency, Nanos>;

const zero = (): Amounts => ({ USD: 0, DIEM: 0 });
export const spendKey = (keyId: string, period: string): string => `${keyId}\u0000${period}`;

/** The rows a batch touches, read under lock: free account balances and each key's spent + reserved. */
export interface Held {
  free: Map<string, Amounts>;
  used: Map<string, Amounts>;
}

/** Code-point order: every ledger transaction locks and updates rows in this order, so no two can deadlock. */
export const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Creates the key-period rows `requests` spend from where missing; answers each distinct (key, period) once, in
 * code-point order. On SQLite this write, a batch's first statement, takes the write lock before anything is read,
 * so no other process can change the rows between the reads and the writes (PostgreSQL locks them FOR UPDATE).
 */
export async function ensureSpend(
  transaction: Transaction<Database>,
  requests: ReserveRequest[],
): Promise<ReserveRequest[]> {
  const pairs = [
    ...new Map(
      requests.map((request) => [spendKey(request.keyId, request.period), request]),
    ).entries(),
  ]
    .sort(([a], [b]) => byCodePoint(a, b))
    .map(([, request]) => request);
  await ensureSpendRows(
    transaction,
    pairs.length,
    pairs.flatMap(({ keyId, period }) => [keyId, period]),
  );
  return pairs;
}

export async function readHeld(
  transaction: Transaction<Database>,
  requests: ReserveRequest[],
  pairs: ReserveRequest[],
  lockRows: boolean,
): Promise<Held> {
  const lock = lockRows ? 'lock' : 'read';
  const free = new Map<string, Amounts>();
  // Accounts before key_spend, each in code-point order: the order every ledger transaction locks them in.
  for (const id of [...new Set(requests.map((request) => request.accountId))].sort(byCodePoint)) {
    const [row] = (await heldAccount(transaction, lock, [id])).rows;
    if (row !== undefined)
      free.set(id, {
        USD: Number(row.usd_balance) - Number(row.usd_reserved),
        DIEM: Number(row.diem_balance) - Number(row.diem_reserved),
      });
  }
  const used = new Map<string, Amounts>();
  for (const { keyId, period } of pairs) {
    const [row] = (await heldSpend(transaction, lock, [keyId, period])).rows;
    if (row !== undefined)
      used.set(spendKey(keyId, period), {
        USD: Number(row.usd_spent) + Number(row.usd_reserved),
        DIEM: Number(row.diem_spent) + Number(row.diem_reserved),
      });
  }
  return { free, used };
}

/** One request decided against what is held, DIEM first (as LedgerRepository.reserve says); moves `held` on success. */
export function decide(request: ReserveRequest, held: Held): ReserveOutcome {
  const free = held.free.get(request.accountId);
  const used = held.used.get(spendKey(request.keyId, request.period)) ?? zero();
  let keyRefused: Currency | undefined;
  for (const currency of ['DIEM', 'USD'] as const) {
    if (free === undefined || free[currency] < request.amount) continue;
    const limit = request.keyLimits[currency];
    if (limit !== null && limit - used[currency] < request.amount) {
      keyRefused = currency;
      continue;
    }
    free[currency] -= request.amount;
    used[currency] += request.amount;
    held.used.set(spendKey(request.keyId, request.period), used);
    return { reserved: true, currency };
  }
  if (keyRefused === undefined) return { reserved: false, reason: 'INSUFFICIENT_BALANCE' };
  return {
    reserved: false,
    reason:
      keyRefused === 'USD'
        ? 'API_KEY_USD_SPEND_LIMIT_EXCEEDED'
        : 'API_KEY_DIEM_SPEND_LIMIT_EXCEEDED',
  };
}

/** A delta's amounts, bound as BigInt: SQLite then adds integers (it binds a JS number as REAL). */
export const reservedDelta = (delta: Amounts): bigint[] => [BigInt(delta.USD), BigInt(delta.DIEM)];

/**
 * Reserves every request of a batch inside `transaction`: the rows are read once under lock, each request decided
 * in order in memory, then one update per account and per key period and one insert of the reservations.
 * `pairs`: what `ensureSpend` answered, where the caller ran it first in this transaction.
 */
export async function reserveMany(
  transaction: Transaction<Database>,
  requests: ReserveRequest[],
  lockRows: boolean,
  pairs?: ReserveRequest[],
): Promise<ReserveOutcome[]> {
  if (requests.length === 0) return [];
  const held = await readHeld(
    transaction,
    requests,
    pairs ?? (await ensureSpend(transaction, requests)),
    lockRows,
  );
  const accountDelta = new Map<string, Amounts>();
  const spendDelta = new Map<string, { keyId: string; period: string; delta: Amounts }>();
  const rows: Database['reservations'][] = [];
  const outcomes = requests.map((request) => {
    const outcome = decide(request, held);
    if (!outcome.reserved) return outcome;
    const { currency } = outcome;
    const account = accountDelta.get(request.accountId) ?? zero();
    account[currency] += request.amount;
    accountDelta.set(request.accountId, account);
    const key = spendKey(request.keyId, request.period);
    const spend = spendDelta.get(key) ?? {
      keyId: request.keyId,
      period: request.period,
      delta: zero(),
    };
    spend.delta[currency] += request.amount;
    spendDelta.set(key, spend);
    rows.push({
      id: request.reservationId,
      account_id: request.accountId,
      key_id: request.keyId,
      period: request.period,
      currency,
      amount: request.amount,
      state: 'open',
      request_id: request.requestId,
      model_id: request.modelId,
      created_at: request.createdAt,
      lease_until: request.leaseUntil,
      kind: 'request',
    });
    return outcome;
  });
  for (const [id, delta] of [...accountDelta].sort(([a], [b]) => byCodePoint(a, b))) {
    await reserveAccount(transaction, 'one', [...reservedDelta(delta), id]);
  }
  for (const [, { keyId, period, delta }] of [...spendDelta].sort(([a], [b]) =>
    byCodePoint(a, b),
  )) {
    await reserveSpend(transaction, 'one', [...reservedDelta(delta), keyId, period]);
  }
  if (rows.length > 0) await insertReservations(transaction, rows.length, reservationValues(rows));
  return outcomes;
}
