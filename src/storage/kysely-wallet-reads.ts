import { type Kysely, sql } from 'kysely';
import type { Database } from './database.ts';
import { toEntry } from './kysely-wallet-rows.ts';
import type { WalletRepository } from './wallet-store.ts';

/** The wallet ledger's reads: a balance, a wallet's entries, whether it exists, every wallet with its totals. */
export function kyselyWalletReads(
  database: Kysely<Database>,
): Pick<WalletRepository, 'balance' | 'entries' | 'exists' | 'list'> {
  return {
    balance: async (wallet) => {
      const row = await database
        .selectFrom('wallets')
        .select(['balance', 'reserved'])
        .where('wallet', '=', wallet)
        .executeTakeFirst();
      return { wallet, balance: Number(row?.balance ?? 0), reserved: Number(row?.reserved ?? 0) };
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
  };
}
