import { sql } from 'kysely';
import { compiledOnce, type Slot } from './compiled-once.ts';

/** A reservation row's columns, in the order `reservationValues` lists them. */
const RESERVATION_COLUMNS = [
  'id',
  'account_id',
  'key_id',
  'period',
  'currency',
  'amount',
  'state',
  'request_id',
  'model_id',
  'created_at',
  'lease_until',
  'kind',
] as const;
/** A usage record's columns, in the order `usageValues` lists them. */
const USAGE_COLUMNS = [
  'id',
  'request_id',
  'account_id',
  'key_id',
  'model_id',
  'model_type',
  'currency',
  'amount',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'status',
  'execution_ms',
  'created_at',
] as const;

export type ReservationColumn = (typeof RESERVATION_COLUMNS)[number];
export type UsageColumn = (typeof USAGE_COLUMNS)[number];

/** `rows` rows of `columns`, row r's column c at slot r × columns + c. */
function slotRows<Column extends string>(
  columns: readonly Column[],
  rows: number,
  slot: Slot,
): Record<Column, never>[] {
  return Array.from({ length: rows }, (_, row) => {
    const entries = columns.map(
      (column, index) => [column, slot(row * columns.length + index)] as const,
    );
    // Every column is set: the record is complete, which fromEntries' type cannot say.
    return Object.fromEntries(entries) as Record<Column, never>;
  });
}

/** A row's values in `columns` order, rows one after another. */
export const flatValues = <Column extends string>(
  columns: readonly Column[],
  rows: readonly Record<Column, unknown>[],
): unknown[] => rows.flatMap((row) => columns.map((column) => row[column]));
export const reservationValues = (rows: readonly Record<ReservationColumn, unknown>[]) =>
  flatValues(RESERVATION_COLUMNS, rows);
export const usageValues = (rows: readonly Record<UsageColumn, unknown>[]) =>
  flatValues(USAGE_COLUMNS, rows);

/** A column moved by the amount at `at` (bound as BigInt by the caller: SQLite then adds integers). */
const moved = (column: string, sign: '+' | '-', at: never) =>
  sql<number>`${sql.ref(column)} ${sql.raw(sign)} ${at}`;

/** Values: key_id, period for each of `shape` pairs. */
export const ensureSpendRows = compiledOnce<number, unknown>((database, slot, pairs) =>
  database
    .insertInto('key_spend')
    .values(
      Array.from({ length: pairs }, (_, index) => ({
        key_id: slot(2 * index),
        period: slot(2 * index + 1),
      })),
    )
    .onConflict((conflict) => conflict.columns(['key_id', 'period']).doNothing()),
);

/** Values: id. Shape: whether to lock the row. */
export const heldAccount = compiledOnce((database, slot, lock: 'lock' | 'read') => {
  const query = database
    .selectFrom('accounts')
    .select(['usd_balance', 'usd_reserved', 'diem_balance', 'diem_reserved'])
    .where('id', '=', slot(0));
  return lock === 'lock' ? query.forUpdate() : query;
});

/** Values: key_id, period. Shape: whether to lock the row. */
export const heldSpend = compiledOnce((database, slot, lock: 'lock' | 'read') => {
  const query = database
    .selectFrom('key_spend')
    .selectAll()
    .where('key_id', '=', slot(0))
    .where('period', '=', slot(1));
  return lock === 'lock' ? query.forUpdate() : query;
});

/** Values: the USD and DIEM reserved deltas (BigInt), then id. */
export const reserveAccount = compiledOnce<'one', unknown>((database, slot) =>
  database
    .updateTable('accounts')
    .set({
      usd_reserved: moved('usd_reserved', '+', slot(0)),
      diem_reserved: moved('diem_reserved', '+', slot(1)),
    })
    .where('id', '=', slot(2)),
);

/** Values: the USD and DIEM reserved deltas (BigInt), then key_id, period. */
export const reserveSpend = compiledOnce<'one', unknown>((database, slot) =>
  database
    .updateTable('key_spend')
    .set({
      usd_reserved: moved('usd_reserved', '+', slot(0)),
      diem_reserved: moved('diem_reserved', '+', slot(1)),
    })
    .where('key_id', '=', slot(2))
    .where('period', '=', slot(3)),
);

/** Values: `reservationValues` of `shape` rows. */
export const insertReservations = compiledOnce<number, unknown>((database, slot, rows) =>
  database.insertInto('reservations').values(slotRows(RESERVATION_COLUMNS, rows, slot)),
);

/** Values: the new state, then `shape` ids; answers the rows it moved from open. */
export const claimReservations = compiledOnce((database, slot, ids: number) =>
  database
    .updateTable('reservations')
    .set({ state: slot(0) })
    .where(
      'id',
      'in',
      Array.from({ length: ids }, (_, index) => slot(index + 1)),
    )
    .where('state', '=', 'open')
    .returningAll(),
);

/**
 * Values: the total charged (BigInt), the lease's new state, its id, the total again; answers the lease's row when it
 * was open and held at least the total (LedgerRepository.chargeLease).
 */
export const chargeLeaseRow = compiledOnce((database, slot, _shape: 'one') =>
  database
    .updateTable('reservations')
    .set({ amount: moved('amount', '-', slot(0)), state: slot(1) })
    .where('id', '=', slot(2))
    .where('kind', '=', 'lease')
    .where('state', '=', 'open')
    .where('amount', '>=', slot(3))
    .returningAll(),
);

/** Values: charged USD, freed USD, charged DIEM, freed DIEM (BigInt), then id. */
export const chargeAccount = compiledOnce<'one', unknown>((database, slot) =>
  database
    .updateTable('accounts')
    .set({
      usd_balance: moved('usd_balance', '-', slot(0)),
      usd_reserved: moved('usd_reserved', '-', slot(1)),
      diem_balance: moved('diem_balance', '-', slot(2)),
      diem_reserved: moved('diem_reserved', '-', slot(3)),
    })
    .where('id', '=', slot(4)),
);

/** Values: charged USD, freed USD, charged DIEM, freed DIEM (BigInt), then key_id, period. */
export const chargeSpend = compiledOnce<'one', unknown>((database, slot) =>
  database
    .updateTable('key_spend')
    .set({
      usd_spent: moved('usd_spent', '+', slot(0)),
      usd_reserved: moved('usd_reserved', '-', slot(1)),
      diem_spent: moved('diem_spent', '+', slot(2)),
      diem_reserved: moved('diem_reserved', '-', slot(3)),
    })
    .where('key_id', '=', slot(4))
    .where('period', '=', slot(5)),
);

/** Values: `usageValues` of `shape` rows. */
export const insertUsage = compiledOnce<number, unknown>((database, slot, rows) =>
  database.insertInto('usage_records').values(slotRows(USAGE_COLUMNS, rows, slot)),
);

/** Values: id. */
export const accountById = compiledOnce((database, slot, _shape: 'one') =>
  database.selectFrom('accounts').selectAll().where('id', '=', slot(0)),
);
