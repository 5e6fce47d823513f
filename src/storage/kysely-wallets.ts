import { randomBytes } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database } from './database.ts';
import { CreditRefusedError, MAX_NANOS, type Nanos } from './store.ts';
import type { PendingTopUp, WalletEntry, WalletRepository } from './wallet-store.ts';
import type { WalletEntryTable, WalletPendingTopUpTable } from './wallet-tables.ts';

/** Thrown inside a credit's transaction when its idempotency key was taken meanwhile: rolls the balance back. */
class AlreadyCredited extends Error {}

/** ledger_ + time (base 36, sortable) + randomness: ids of one wallet sort by creation within the same createdAt. */
function entryId(): string {
  return `ledger_${Date.now().toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;
}

function toEntry(row: Selectable<WalletEntryTable>): WalletEntry {
  return {
    id: row.id,
    wallet: row.wallet,
    type: row.type,
    amount: Number(row.amount),
    balanceAfter: Number(row.balance_after),
    requestId: row.request_id,
    modelId: row.model_id,
    network: row.network,
    transaction: row.tx_hash,
    createdAt: row.created_at,
  };
}

function toPending(row: Selectable<WalletPendingTopUpTable>): PendingTopUp {
  return {
    paymentKey: row.payment_key,
    wallet: row.wallet,
    amount: Number(row.amount),
    network: row.network,
    asset: row.asset,
    payTo: row.pay_to,
    value: row.value,
    authorizer: row.authorizer,
    nonce: row.nonce,
    validBefore: row.valid_before,
    fromBlock: row.from_block,
    createdAt: row.created_at,
  };
}

function wholeNanos(amount: Nanos, what: string): bigint {
  if (!Number.isSafeInteger(amount) || amount < 0)
    throw new RangeError(`${what} ${amount} is not a whole, non-negative number of nanos`);
  return BigInt(amount);
}

/**
 * The wallet ledger, one query path for SQLite and PostgreSQL. Amounts are bound as BigInt (SQLite would bind a
 * JS number as REAL); each method is one transaction whose first write takes the wallet's row (PostgreSQL) or the
 * database's one writer (SQLite), so concurrent calls are decided one after another.
 */
export function kyselyWallets(database: Kysely<Database>): WalletRepository {
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
    balance: async (wallet) => {
      const row = await database
        .selectFrom('wallets')
        .select(['balance', 'reserved'])
        .where('wallet', '=', wallet)
        .executeTakeFirst();
      return { wallet, balance: Number(row?.balance ?? 0), reserved: Number(row?.reserved ?? 0) };
    },

    credit: async (credit) => {
      const amount = wholeNanos(credit.amount, 'credit amount');
      const earlier = async () => {
        await database
          .deleteFrom('wallet_pending_top_ups')
          .where('payment_key', '=', credit.idempotencyKey)
          .execute();
        const row = await database
          .selectFrom('wallet_entries')
          .selectAll()
          .where('idempotency_key', '=', credit.idempotencyKey)
          .executeTakeFirstOrThrow();
        return { credited: false, entry: toEntry(row) };
      };
      try {
        return await database.transaction().execute(async (transaction) => {
          const taken = await transaction
            .selectFrom('wallet_entries')
            .select('id')
            .where('idempotency_key', '=', credit.idempotencyKey)
            .executeTakeFirst();
          if (taken !== undefined) throw new AlreadyCredited();
          await transaction
            .insertInto('wallets')
            .values({ wallet: credit.wallet, created_at: credit.createdAt })
            .onConflict((conflict) => conflict.column('wallet').doNothing())
            .execute();
          const after = sql<number>`balance + ${amount}`;
          const updated = await transaction
            .updateTable('wallets')
            .set({ balance: after })
            .where('wallet', '=', credit.wallet)
            .where(after, '<=', sql<number>`${BigInt(MAX_NANOS)}`)
            .returning('balance')
            .executeTakeFirst();
          if (updated === undefined)
            throw new CreditRefusedError(
              'over-maximum',
              `the balance of ${credit.wallet} would pass ${MAX_NANOS} nanos`,
            );
          const row: Selectable<WalletEntryTable> = {
            id: entryId(),
            wallet: credit.wallet,
            type: credit.type,
            amount: credit.amount,
            balance_after: Number(updated.balance),
            idempotency_key: credit.idempotencyKey,
            request_id: credit.requestId ?? null,
            model_id: credit.modelId ?? null,
            network: credit.network ?? null,
            tx_hash: credit.transaction ?? null,
            created_at: credit.createdAt,
          };
          const inserted = await transaction
            .insertInto('wallet_entries')
            .values({
              ...row,
              amount: sql`${amount}`,
              balance_after: sql`${BigInt(row.balance_after)}`,
            })
            .onConflict((conflict) => conflict.column('idempotency_key').doNothing())
            .executeTakeFirst();
          if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== 1) throw new AlreadyCredited();
          // Credited: the payment is no longer pending, in the same transaction (a crash leaves both or neither).
          await transaction
            .deleteFrom('wallet_pending_top_ups')
            .where('payment_key', '=', credit.idempotencyKey)
            .execute();
          return { credited: true, entry: toEntry(row) };
        });
      } catch (error) {
        if (error instanceof AlreadyCredited) return earlier();
        throw error;
      }
    },

    recordPendingTopUp: async (pending) => {
      await database
        .insertInto('wallet_pending_top_ups')
        .values({
          payment_key: pending.paymentKey,
          wallet: pending.wallet,
          amount: sql`${wholeNanos(pending.amount, 'pending amount')}`,
          network: pending.network,
          asset: pending.asset,
          pay_to: pending.payTo,
          value: pending.value,
          authorizer: pending.authorizer,
          nonce: pending.nonce,
          valid_before: pending.validBefore,
          from_block: pending.fromBlock,
          created_at: pending.createdAt,
        })
        .onConflict((conflict) => conflict.column('payment_key').doNothing())
        .execute();
    },

    pendingTopUp: async (paymentKey) => {
      const row = await database
        .selectFrom('wallet_pending_top_ups')
        .selectAll()
        .where('payment_key', '=', paymentKey)
        .executeTakeFirst();
      return row === undefined ? undefined : toPending(row);
    },

    pendingTopUps: async (limit) =>
      (
        await database
          .selectFrom('wallet_pending_top_ups')
          .selectAll()
          .orderBy('created_at', 'asc')
          .orderBy('payment_key', 'asc')
          .limit(limit)
          .execute()
      ).map(toPending),

    dropPendingTopUp: async (paymentKey) => {
      await database
        .deleteFrom('wallet_pending_top_ups')
        .where('payment_key', '=', paymentKey)
        .execute();
    },

    creditOf: async (idempotencyKey) => {
      const row = await database
        .selectFrom('wallet_entries')
        .selectAll()
        .where('idempotency_key', '=', idempotencyKey)
        .executeTakeFirst();
      return row === undefined ? undefined : toEntry(row);
    },

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

    renew: async (reservationId, leaseUntil) => {
      await database
        .updateTable('wallet_reservations')
        .set({ lease_until: leaseUntil })
        .where('id', '=', reservationId)
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

    entries: async (wallet, page) =>
      (
        await database
          .selectFrom('wallet_entries')
          .selectAll()
          .where('wallet', '=', wallet)
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .limit(page.limit)
          .offset(page.offset)
          .execute()
      ).map(toEntry),

    exists: async (wallet) =>
      (await database
        .selectFrom('wallets')
        .select('wallet')
        .where('wallet', '=', wallet)
        .executeTakeFirst()) !== undefined,

    list: async (page) => {
      // Sums by type per wallet in one pass over the entries; bigint sums come back as strings from PostgreSQL.
      const totals = database
        .selectFrom('wallet_entries')
        .select([
          'wallet',
          sql<string>`sum(case when type = 'TOP_UP' then amount else 0 end)`.as('topped_up'),
          sql<string>`sum(case when type = 'CHARGE' then -amount else 0 end)`.as('charged'),
          sql<string>`sum(case when type = 'REFUND' then amount else 0 end)`.as('refunded'),
          sql<string>`count(*)`.as('entry_count'),
          sql<string>`max(created_at)`.as('last_entry_at'),
        ])
        .groupBy('wallet')
        .as('totals');
      const lastActivity = sql<string>`coalesce(totals.last_entry_at, wallets.created_at)`;
      const [rows, counted] = await Promise.all([
        database
          .selectFrom('wallets')
          .leftJoin(totals, 'totals.wallet', 'wallets.wallet')
          .select([
            'wallets.wallet',
            'wallets.balance',
            'wallets.reserved',
            'wallets.created_at',
            'totals.topped_up',
            'totals.charged',
            'totals.refunded',
            'totals.entry_count',
            lastActivity.as('last_activity_at'),
          ])
          .orderBy(lastActivity, 'desc')
          .orderBy('wallets.wallet', 'asc')
          .limit(page.limit)
          .offset(page.offset)
          .execute(),
        database
          .selectFrom('wallets')
          .select(sql<string>`count(*)`.as('total'))
          .executeTakeFirstOrThrow(),
      ]);
      return {
        total: Number(counted.total),
        data: rows.map((row) => ({
          wallet: row.wallet,
          balance: Number(row.balance),
          reserved: Number(row.reserved),
          toppedUp: Number(row.topped_up ?? 0),
          charged: Number(row.charged ?? 0),
          refunded: Number(row.refunded ?? 0),
          entries: Number(row.entry_count ?? 0),
          createdAt: row.created_at,
          lastActivityAt: row.last_activity_at,
        })),
      };
    },

    claimNonce: async (nonceKey, expiresAt, now) => {
      await database.deleteFrom('wallet_nonces').where('expires_at', '<', now).execute();
      const inserted = await database
        .insertInto('wallet_nonces')
        .values({ nonce_key: nonceKey, expires_at: expiresAt })
        .onConflict((conflict) => conflict.column('nonce_key').doNothing())
        .executeTakeFirst();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1;
    },
    takeNonce: async (nonceKey, now) => {
      const deleted = await database
        .deleteFrom('wallet_nonces')
        .where('nonce_key', '=', nonceKey)
        .where('expires_at', '>=', now)
        .executeTakeFirst();
      return Number(deleted.numDeletedRows) === 1;
    },
  };
}
