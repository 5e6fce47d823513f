import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database } from './database.ts';
import { entryId, toEntry, wholeNanos } from './kysely-wallet-rows.ts';
import type { WalletRepository } from './wallet-store.ts';
import type { WalletEntryTable } from './wallet-tables.ts';

/** Reservations renewed by one UPDATE (well under SQLite's and PostgreSQL's bound-parameter limits). */
const RENEW_CHUNK = 500;

/**
 * The wallet ledger's holds: a request's worst case reserved above a floor, settled once as a CHARGE or released,
 * renewed while it runs and released when its process died (lease ended). Each call is one transaction of
 * conditional updates, so concurrent holds on any number of processes cannot overspend a wallet.
 */
export function kyselyWalletHolds(
  database: Kysely<Database>,
): Pick<
  WalletRepository,
  'reserve' | 'settle' | 'release' | 'stateOf' | 'renew' | 'releaseExpired'
> {
  const releaseOne = (id: string): Promise<boolean> =>
    database.transaction().execute(async (transaction) => {
      const held = await transaction
        .updateTable('wallet_reservations')
        .set({ state: 'released' })
        .where('id', '=', id)
        .where('state', '=', 'open')
        .returning(['wallet', 'amount'])
        .executeTakeFirst();
      if (held === undefined) return false;
      await transaction
        .updateTable('wallets')
        .set({ reserved: sql`reserved - ${BigInt(held.amount)}` })
        .where('wallet', '=', held.wallet)
        .execute();
      return true;
    });

  return {
    reserve: (request) => {
      const amount = wholeNanos(request.amount, 'reservation amount');
      const floor = wholeNanos(request.floor, 'floor');
      return database.transaction().execute(async (transaction) => {
        const held = await transaction
          .updateTable('wallets')
          .set({ reserved: sql`reserved + ${amount}` })
          .where('wallet', '=', request.wallet)
          .where(sql`balance - reserved - ${amount}`, '>=', sql`${floor}`)
          .executeTakeFirst();
        if (Number(held.numUpdatedRows) !== 1) return false;
        await transaction
          .insertInto('wallet_reservations')
          .values({
            id: request.reservationId,
            wallet: request.wallet,
            amount: sql`${amount}`,
            state: 'open',
            request_id: request.requestId,
            model_id: request.modelId,
            created_at: request.createdAt,
            lease_until: request.leaseUntil,
          })
          .execute();
        return true;
      });
    },

    settle: (reservationId, actual, at) => {
      const used = wholeNanos(actual, 'charge');
      return database.transaction().execute(async (transaction) => {
        const held = await transaction
          .updateTable('wallet_reservations')
          .set({ state: 'settled' })
          .where('id', '=', reservationId)
          .where('state', '=', 'open')
          .returning(['wallet', 'amount', 'request_id', 'model_id'])
          .executeTakeFirst();
        if (held === undefined) return { applied: false, entry: null };
        const reserved = BigInt(held.amount);
        const charge = used < reserved ? used : reserved;
        const updated = await transaction
          .updateTable('wallets')
          .set({ balance: sql`balance - ${charge}`, reserved: sql`reserved - ${reserved}` })
          .where('wallet', '=', held.wallet)
          .returning('balance')
          .executeTakeFirstOrThrow();
        if (charge === 0n) return { applied: true, entry: null };
        const row: Selectable<WalletEntryTable> = {
          id: entryId(),
          wallet: held.wallet,
          type: 'CHARGE',
          amount: -Number(charge),
          balance_after: Number(updated.balance),
          idempotency_key: null,
          request_id: held.request_id,
          model_id: held.model_id,
          network: null,
          tx_hash: null,
          created_at: at,
        };
        await transaction
          .insertInto('wallet_entries')
          .values({
            ...row,
            amount: sql`${-charge}`,
            balance_after: sql`${BigInt(row.balance_after)}`,
          })
          .execute();
        return { applied: true, entry: toEntry(row) };
      });
    },

    release: releaseOne,

    stateOf: async (reservationId) => {
      const row = await database
        .selectFrom('wallet_reservations')
        .select('state')
        .where('id', '=', reservationId)
        .executeTakeFirst();
      return row === undefined ? undefined : (row.state as 'open' | 'settled' | 'released');
    },

    renew: async (reservationIds, leaseUntil) => {
      // A few statements for the whole pass (RENEW_CHUNK ids each), not one per reservation.
      for (let start = 0; start < reservationIds.length; start += RENEW_CHUNK)
        await database
          .updateTable('wallet_reservations')
          .set({ lease_until: leaseUntil })
          .where('id', 'in', reservationIds.slice(start, start + RENEW_CHUNK))
          .where('state', '=', 'open')
          .execute();
    },

    releaseExpired: async (now) => {
      let count = 0;
      for (;;) {
        const expired = await database
          .selectFrom('wallet_reservations')
          .select('id')
          .where('state', '=', 'open')
          .where('lease_until', '<', now)
          .limit(500)
          .execute();
        for (const { id } of expired) if (await releaseOne(id)) count += 1;
        if (expired.length < 500) return count;
      }
    },
  };
}
