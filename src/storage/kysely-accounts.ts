import { sql, type Kysely, type Selectable } from 'kysely';
import type { AccountTable, Database } from './database.ts';
import { accountById } from './ledger-statements.ts';
import {
  CreditRefusedError,
  MAX_NANOS,
  type AccountRecord,
  type AccountRepository,
  type Currency,
} from './store.ts';

function overMaximum(currency: Currency): CreditRefusedError {
  return new CreditRefusedError(
    'over-maximum',
    `the ${currency} balance would pass ${MAX_NANOS} nanos, the most the store holds exactly`,
  );
}

export function toAccount(row: Selectable<AccountTable>): AccountRecord {
  return {
    id: row.id,
    name: row.name,
    usdBalance: Number(row.usd_balance),
    usdReserved: Number(row.usd_reserved),
    diemBalance: Number(row.diem_balance),
    diemReserved: Number(row.diem_reserved),
    diemEpochAllocation: Number(row.diem_epoch_allocation),
    createdAt: row.created_at,
  };
}

export function kyselyAccounts(database: Kysely<Database>): AccountRepository {
  const find = async (id: string): Promise<AccountRecord | undefined> => {
    const [row] = (await accountById(database, 'one', [id])).rows;
    return row === undefined ? undefined : toAccount(row);
  };
  return {
    find,
    list: async () =>
      (
        await database
          .selectFrom('accounts')
          .selectAll()
          .orderBy('created_at')
          .orderBy('id')
          .execute()
      ).map(toAccount),
    ensure: async (id, name, at) => {
      await database
        .insertInto('accounts')
        .values({ id, name, created_at: at })
        .onConflict((conflict) => conflict.column('id').doNothing())
        .execute();
      return (await find(id))!;
    },
    credit: async (id, currency, amount) => {
      if (!Number.isInteger(amount))
        throw new RangeError(`credit amount ${amount} is not a whole number of nanos`);
      if (amount > MAX_NANOS) throw overMaximum(currency);
      const balance = currency === 'USD' ? 'usd_balance' : 'diem_balance';
      const reserved = currency === 'USD' ? 'usd_reserved' : 'diem_reserved';
      // Bound as a BigInt: SQLite then adds integers (it binds a JS number as REAL); PostgreSQL reads it as int8.
      const after = sql`${sql.ref(balance)} + ${BigInt(amount)}`;
      // A debit may not take the balance below what open reservations hold; a credit may not take it past MAX_NANOS.
      let update = database
        .updateTable('accounts')
        .set({ [balance]: after })
        .where('id', '=', id)
        .where(after, '>=', sql.ref(reserved));
      if (amount > 0) update = update.where(after, '<=', sql`${BigInt(MAX_NANOS)}`);
      if (Number((await update.executeTakeFirst()).numUpdatedRows) === 1) return (await find(id))!;
      // Nothing changed: say why (read after the failed update, for the message only).
      const current = await find(id);
      if (current === undefined)
        throw new CreditRefusedError('unknown-account', `account ${id} is unknown`);
      if (amount < 0)
        throw new CreditRefusedError(
          'below-reserved',
          `the debit exceeds the free ${currency} balance of account ${id}`,
        );
      throw overMaximum(currency);
    },
  };
}
