import type { Kysely } from 'kysely';
import type { Database } from './database.ts';
import { kyselyWalletCredits } from './kysely-wallet-credits.ts';
import { kyselyWalletHolds } from './kysely-wallet-holds.ts';
import { kyselyWalletNonces } from './kysely-wallet-nonces.ts';
import { kyselyWalletReads } from './kysely-wallet-reads.ts';
import type { WalletRepository } from './wallet-store.ts';

/**
 * The wallet ledger, one query path for SQLite and PostgreSQL. Amounts are bound as BigInt (SQLite would bind a
 * JS number as REAL); each method is one transaction whose first write takes the wallet's row (PostgreSQL) or the
 * database's one writer (SQLite), so concurrent calls are decided one after another.
 */
export function kyselyWallets(database: Kysely<Database>): WalletRepository {
  return {
    ...kyselyWalletReads(database),
    ...kyselyWalletCredits(database),
    ...kyselyWalletHolds(database),
    ...kyselyWalletNonces(database),
  };
}
