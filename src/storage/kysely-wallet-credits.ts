import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database } from './database.ts';
import { entryId, toEntry, toPending, wholeNanos } from './kysely-wallet-rows.ts';
import { CreditRefusedError, MAX_NANOS } from './store.ts';
import type { WalletRepository } from './wallet-store.ts';
import type { WalletEntryTable } from './wallet-tables.ts';

/** Thrown inside a credit's transaction when its idempotency key was taken meanwhile: rolls the balance back. */
class AlreadyCredited extends Error {}

/**
 * The wallet ledger's credits (TOP_UP / REFUND, once per idempotency key) and the pending top-ups a credit settles
 * (issue #20): one query path for SQLite and PostgreSQL, amounts bound as BigInt.
 */
export function kyselyWalletCredits(
  database: Kysely<Database>,
): Pick<
  WalletRepository,
  | 'credit'
  | 'recordPendingTopUp'
  | 'pendingTopUp'
  | 'pendingTopUps'
  | 'dropPendingTopUp'
  | 'creditOf'
> {
  return {
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
  };
}
