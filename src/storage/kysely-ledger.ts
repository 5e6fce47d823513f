import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './database.ts';
import type { Currency, LedgerRepository, ReserveOutcome, ReserveRequest, UsageInput } from './store.ts';

const COLUMNS = {
  USD: { balance: 'usd_balance', reserved: 'usd_reserved', spent: 'usd_spent' },
  DIEM: { balance: 'diem_balance', reserved: 'diem_reserved', spent: 'diem_spent' },
} as const;

type Refusal = 'balance' | 'key';

/**
 * One currency's attempt, inside the caller's transaction: the account's free balance, then the key's free
 * limit, both conditional updates. A key refusal undoes the account hold in the same transaction, so a
 * refused attempt leaves nothing behind and the next currency can be tried without a new transaction.
 */
async function reserveIn(transaction: Transaction<Database>, request: ReserveRequest, currency: Currency): Promise<Refusal | undefined> {
  const { balance, reserved } = COLUMNS[currency];
  const account = await transaction.updateTable('accounts').set({ [reserved]: sql`${sql.ref(reserved)} + ${request.amount}` })
    .where('id', '=', request.accountId).where(sql`${sql.ref(balance)} - ${sql.ref(reserved)}`, '>=', request.amount).executeTakeFirst();
  if (Number(account.numUpdatedRows) === 0) return 'balance';

  await transaction.insertInto('key_spend').values({ key_id: request.keyId, period: request.period })
    .onConflict((conflict) => conflict.columns(['key_id', 'period']).doNothing()).execute();
  const limit = request.keyLimits[currency];
  let update = transaction.updateTable('key_spend').set({ [reserved]: sql`${sql.ref(reserved)} + ${request.amount}` })
    .where('key_id', '=', request.keyId).where('period', '=', request.period);
  if (limit !== null) update = update.where(sql`${limit} - ${sql.ref(COLUMNS[currency].spent)} - ${sql.ref(reserved)}`, '>=', request.amount);
  if (Number((await update.executeTakeFirst()).numUpdatedRows) === 0) {
    await transaction.updateTable('accounts').set({ [reserved]: sql`${sql.ref(reserved)} - ${request.amount}` }).where('id', '=', request.accountId).execute();
    return 'key';
  }

  await transaction.insertInto('reservations').values({
    id: request.reservationId, account_id: request.accountId, key_id: request.keyId, period: request.period, currency,
    amount: request.amount, state: 'open', request_id: request.requestId, model_id: request.modelId,
    created_at: request.createdAt, lease_until: request.leaseUntil,
  }).execute();
  return undefined;
}

/** Closes an open reservation: charges `charge` (≤ its amount), frees the rest, writes the usage record. */
async function close(database: Kysely<Database>, reservationId: string, state: 'settled' | 'released', usage: UsageInput): Promise<boolean> {
  return database.transaction().execute(async (transaction) => {
    // The state guard makes closing happen once, whichever process or retry gets here first.
    const claimed = await transaction.updateTable('reservations').set({ state }).where('id', '=', reservationId).where('state', '=', 'open').executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) return false;
    const reservation = await transaction.selectFrom('reservations').selectAll().where('id', '=', reservationId).executeTakeFirstOrThrow();
    const amount = Number(reservation.amount);
    const charge = Math.max(0, Math.min(usage.amount, amount));
    const { balance, reserved, spent } = COLUMNS[reservation.currency];
    await transaction.updateTable('accounts').set({ [balance]: sql`${sql.ref(balance)} - ${charge}`, [reserved]: sql`${sql.ref(reserved)} - ${amount}` })
      .where('id', '=', reservation.account_id).execute();
    await transaction.updateTable('key_spend').set({ [spent]: sql`${sql.ref(spent)} + ${charge}`, [reserved]: sql`${sql.ref(reserved)} - ${amount}` })
      .where('key_id', '=', reservation.key_id).where('period', '=', reservation.period).execute();
    await transaction.insertInto('usage_records').values({
      id: reservationId, request_id: reservation.request_id, account_id: reservation.account_id, key_id: reservation.key_id,
      model_id: reservation.model_id, model_type: usage.modelType, currency: reservation.currency, amount: charge,
      prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, cached_tokens: usage.cachedTokens,
      status: usage.status, execution_ms: usage.executionMs, created_at: usage.createdAt,
    }).execute();
    return true;
  });
}

export function kyselyLedger(database: Kysely<Database>): LedgerRepository {
  const release = (reservationId: string, status: string, at: string): Promise<boolean> =>
    close(database, reservationId, 'released', { modelType: 'unknown', amount: 0, promptTokens: 0, completionTokens: 0, cachedTokens: 0, status, executionMs: 0, createdAt: at });
  return {
    reserve: (request) => database.transaction().execute(async (transaction): Promise<ReserveOutcome> => {
      let keyRefused: Currency | undefined;
      for (const currency of ['DIEM', 'USD'] as const) {
        const refusal = await reserveIn(transaction, request, currency);
        if (refusal === undefined) return { reserved: true, currency };
        if (refusal === 'key') keyRefused = currency;
      }
      if (keyRefused === undefined) return { reserved: false, reason: 'INSUFFICIENT_BALANCE' };
      return { reserved: false, reason: keyRefused === 'USD' ? 'API_KEY_USD_SPEND_LIMIT_EXCEEDED' : 'API_KEY_DIEM_SPEND_LIMIT_EXCEEDED' };
    }),
    settle: (reservationId, usage) => close(database, reservationId, 'settled', usage),
    release,
    stateOf: async (reservationId) => {
      const row = await database.selectFrom('reservations').select('state').where('id', '=', reservationId).executeTakeFirst();
      return row?.state;
    },
    renew: async (reservationId, leaseUntil) => {
      await database.updateTable('reservations').set({ lease_until: leaseUntil }).where('id', '=', reservationId).where('state', '=', 'open').execute();
    },
    releaseExpired: async (now) => {
      const expired = await database.selectFrom('reservations').select('id').where('state', '=', 'open').where('lease_until', '<', now).execute();
      let released = 0;
      for (const { id } of expired) if (await release(id, 'lease_expired', now)) released += 1;
      return released;
    },
    keySpend: async (keyId, period) => {
      const row = await database.selectFrom('key_spend').selectAll().where('key_id', '=', keyId).where('period', '=', period).executeTakeFirst();
      return {
        usdSpent: Number(row?.usd_spent ?? 0), usdReserved: Number(row?.usd_reserved ?? 0),
        diemSpent: Number(row?.diem_spent ?? 0), diemReserved: Number(row?.diem_reserved ?? 0),
      };
    },
  };
}
