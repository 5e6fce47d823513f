import type { Kysely } from 'kysely';
import type { Database } from './database.ts';
import type { WalletRepository } from './wallet-store.ts';

/** Single-use nonces (SIWx messages, web3-key tokens), shared by every replica through the store. */
export function kyselyWalletNonces(
  database: Kysely<Database>,
): Pick<WalletRepository, 'claimNonce' | 'takeNonce'> {
  return {
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
