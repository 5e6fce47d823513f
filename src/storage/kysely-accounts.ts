import { sql, type Kysely, type Selectable } from 'kysely';
import type { AccountTable, Database } from './database.ts';
import type { AccountRecord, AccountRepository } from './store.ts';

export function toAccount(row: Selectable<AccountTable>): AccountRecord {
  return {
    id: row.id, name: row.name, usdBalance: Number(row.usd_balance), usdReserved: Number(row.usd_reserved), diemBalance: Number(row.diem_balance),
    diemReserved: Number(row.diem_reserved), diemEpochAllocation: Number(row.diem_epoch_allocation), createdAt: row.created_at,
  };
}

export function kyselyAccounts(database: Kysely<Database>): AccountRepository {
  const find = async (id: string): Promise<AccountRecord | undefined> => {
    const row = await database.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toAccount(row);
  };
  return {
    find,
    list: async () => (await database.selectFrom('accounts').selectAll().orderBy('created_at').orderBy('id').execute()).map(toAccount),
    ensure: async (id, name, at) => {
      await database.insertInto('accounts').values({ id, name, created_at: at }).onConflict((conflict) => conflict.column('id').doNothing()).execute();
      return (await find(id))!;
    },
    credit: async (id, currency, amount) => {
      const balance = currency === 'USD' ? 'usd_balance' : 'diem_balance';
      const reserved = currency === 'USD' ? 'usd_reserved' : 'diem_reserved';
      // A debit may not take the balance below what open reservations hold.
      const result = await database.updateTable('accounts').set({ [balance]: sql`${sql.ref(balance)} + ${amount}` })
        .where('id', '=', id).where(sql`${sql.ref(balance)} + ${amount}`, '>=', sql.ref(reserved)).executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) throw new Error(`account ${id} is unknown, or the debit exceeds its free balance`);
      return (await find(id))!;
    },
  };
}
