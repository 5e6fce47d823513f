import type { Selectable, Transaction } from 'kysely';
import type { Database, ReservationTable, UsageRecordTable } from './database.ts';
import {
  chargeAccount,
  chargeSpend,
  claimReservations,
  insertUsage,
  usageValues,
} from './ledger-statements.ts';
import { byCodePoint, spendKey } from './kysely-reserve-many.ts';
import type { Currency, LedgerEntry, Nanos, UsageInput } from './store.ts';

interface Delta {
  charged: Record<Currency, Nanos>;
  freed: Record<Currency, Nanos>;
}

const emptyDelta = (): Delta => ({ charged: { USD: 0, DIEM: 0 }, freed: { USD: 0, DIEM: 0 } });

/** A delta's charged and freed amounts, bound as BigInt: SQLite then adds integers (it binds a JS number as REAL). */
const amounts = ({ charged, freed }: Delta): bigint[] => [
  BigInt(charged.USD),
  BigInt(freed.USD),
  BigInt(charged.DIEM),
  BigInt(freed.DIEM),
];

/**
 * The usage record of a request on `reservation`, charged `charge`: its own id, request and model unless `own` says
 * another's (a request served from a budget lease is recorded under its own ids, on the lease's account and key).
 */
export function usageRow(
  reservation: Selectable<ReservationTable>,
  charge: Nanos,
  usage: UsageInput,
  own: { id: string; requestId: string; modelId: string } = {
    id: reservation.id,
    requestId: reservation.request_id,
    modelId: reservation.model_id,
  },
): Selectable<UsageRecordTable> {
  return {
    id: own.id,
    request_id: own.requestId,
    account_id: reservation.account_id,
    key_id: reservation.key_id,
    model_id: own.modelId,
    model_type: usage.modelType,
    currency: reservation.currency,
    amount: charge,
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    cached_tokens: usage.cachedTokens,
    status: usage.status,
    execution_ms: usage.executionMs,
    created_at: usage.createdAt,
  };
}

/** Claims the open reservations among `ids` for `state` (the state guard closes each once); the rows claimed. */
async function claim(
  transaction: Transaction<Database>,
  ids: string[],
  state: 'settled' | 'released',
): Promise<Selectable<ReservationTable>[]> {
  if (ids.length === 0) return [];
  return (await claimReservations(transaction, ids.length, [state, ...ids])).rows;
}

/** Charges and frees what a batch closed: one update per account, then one per key period, in code-point order. */
async function moveBalances(
  transaction: Transaction<Database>,
  accounts: Map<string, Delta>,
  spends: Map<string, { keyId: string; period: string; delta: Delta }>,
): Promise<void> {
  for (const [id, delta] of [...accounts].sort(([a], [b]) => byCodePoint(a, b)))
    await chargeAccount(transaction, 'one', [...amounts(delta), id]);
  for (const [, { keyId, period, delta }] of [...spends].sort(([a], [b]) => byCodePoint(a, b)))
    await chargeSpend(transaction, 'one', [...amounts(delta), keyId, period]);
}

/** What a batch's claim found: the first entry of each reservation id, and the open rows it claimed. */
export interface Claimed {
  first: Map<string, number>;
  rows: Map<string, Selectable<ReservationTable>>;
}

/**
 * Claims the open reservations `entries` close, one claim per state (the state guard closes each once); an id named
 * twice in a batch is claimed for its first entry only. Locks those reservation rows (PostgreSQL) until the commit.
 */
export async function claimEntries(
  transaction: Transaction<Database>,
  entries: LedgerEntry[],
): Promise<Claimed> {
  const first = new Map<string, number>();
  entries.forEach((entry, index) => {
    if (entry.kind === 'close' && !first.has(entry.reservationId))
      first.set(entry.reservationId, index);
  });
  const wanted = (state: 'settled' | 'released'): string[] =>
    [...first]
      .filter(([, index]) => {
        const entry = entries[index]!;
        return entry.kind === 'close' && entry.state === state;
      })
      .map(([id]) => id);
  const rows = new Map<string, Selectable<ReservationTable>>();
  for (const state of ['settled', 'released'] as const)
    for (const row of await claim(transaction, wanted(state), state)) rows.set(row.id, row);
  return { first, rows };
}

/**
 * Closes what `claimEntries` claimed and records free requests: one update per account and per key period (charge
 * ≤ the reservation, the rest freed) and one insert of the usage records; per entry, whether it applied.
 */
export async function applyClosings(
  transaction: Transaction<Database>,
  entries: LedgerEntry[],
  { first, rows: claimed }: Claimed,
): Promise<boolean[]> {
  const accounts = new Map<string, Delta>();
  const spends = new Map<string, { keyId: string; period: string; delta: Delta }>();
  const rows: Selectable<UsageRecordTable>[] = [];
  const applied = entries.map((entry, index) => {
    if (entry.kind === 'record') {
      const { record } = entry;
      rows.push({
        id: record.id,
        request_id: record.requestId,
        account_id: record.accountId,
        key_id: record.keyId,
        model_id: record.modelId,
        model_type: record.modelType,
        currency: record.currency,
        amount: record.amount,
        prompt_tokens: record.promptTokens,
        completion_tokens: record.completionTokens,
        cached_tokens: record.cachedTokens,
        status: record.status,
        execution_ms: record.executionMs,
        created_at: record.createdAt,
      });
      return true;
    }
    const reservation = claimed.get(entry.reservationId);
    if (reservation === undefined || first.get(entry.reservationId) !== index) return false;
    const amount = Number(reservation.amount);
    const charge =
      entry.state === 'settled' ? Math.max(0, Math.min(entry.usage.amount, amount)) : 0;
    const account = accounts.get(reservation.account_id) ?? emptyDelta();
    const key = spendKey(reservation.key_id, reservation.period);
    const spend = spends.get(key) ?? {
      keyId: reservation.key_id,
      period: reservation.period,
      delta: emptyDelta(),
    };
    for (const delta of [account, spend.delta]) {
      delta.charged[reservation.currency] += charge;
      delta.freed[reservation.currency] += amount;
    }
    accounts.set(reservation.account_id, account);
    spends.set(key, spend);
    // A budget lease closed or expired frees what is left: its requests have usage records of their own.
    if (reservation.kind !== 'lease') rows.push(usageRow(reservation, charge, entry.usage));
    return true;
  });

  await moveBalances(transaction, accounts, spends);
  if (rows.length > 0) await insertUsage(transaction, rows.length, usageValues(rows));
  return applied;
}

/**
 * Closes reservations and records free requests inside `transaction`: one claim per state, then one update per
 * account and per key period (charge ≤ the reservation, the rest freed) and one insert of the usage records.
 * An id named twice in a batch is closed by its first entry only.
 */
export async function closeMany(
  transaction: Transaction<Database>,
  entries: LedgerEntry[],
): Promise<boolean[]> {
  return applyClosings(transaction, entries, await claimEntries(transaction, entries));
}
