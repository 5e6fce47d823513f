import type { Kysely } from 'kysely';

// The x402 wallet ledger (INVENTORY A.1): a balance per wallet in integer nano-USD, its entries (TOP_UP, CHARGE,
// REFUND), the reservations inference holds against it, and the SIWx nonces already used. A wallet is its
// chain-namespaced address: 'eip155:' + lowercase hex, or 'solana:' + base58.
export async function up(database: Kysely<unknown>): Promise<void> {
  await database.schema
    .createTable('wallets')
    .addColumn('wallet', 'text', (column) => column.primaryKey())
    .addColumn('balance', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('reserved', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (column) => column.notNull())
    .execute();

  // `idempotency_key` is unique: a payment's id (or a refund's) credits at most once, whatever the retries.
  await database.schema
    .createTable('wallet_entries')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('wallet', 'text', (column) => column.notNull())
    .addColumn('type', 'text', (column) => column.notNull())
    .addColumn('amount', 'bigint', (column) => column.notNull())
    .addColumn('balance_after', 'bigint', (column) => column.notNull())
    .addColumn('idempotency_key', 'text', (column) => column.unique())
    .addColumn('request_id', 'text')
    .addColumn('model_id', 'text')
    .addColumn('network', 'text')
    .addColumn('tx_hash', 'text')
    .addColumn('created_at', 'text', (column) => column.notNull())
    .execute();
  await database.schema
    .createIndex('wallet_entries_wallet_time')
    .on('wallet_entries')
    .columns(['wallet', 'created_at', 'id'])
    .execute();

  await database.schema
    .createTable('wallet_reservations')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('wallet', 'text', (column) => column.notNull())
    .addColumn('amount', 'bigint', (column) => column.notNull())
    .addColumn('state', 'text', (column) => column.notNull())
    .addColumn('request_id', 'text', (column) => column.notNull())
    .addColumn('model_id', 'text', (column) => column.notNull())
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('lease_until', 'text', (column) => column.notNull())
    .execute();
  await database.schema
    .createIndex('wallet_reservations_open')
    .on('wallet_reservations')
    .columns(['state', 'lease_until'])
    .execute();

  // A SIWx nonce is single-use while its message is valid; rows past `expires_at` may be pruned.
  await database.schema
    .createTable('wallet_nonces')
    .addColumn('nonce_key', 'text', (column) => column.primaryKey())
    .addColumn('expires_at', 'text', (column) => column.notNull())
    .execute();
  await database.schema
    .createIndex('wallet_nonces_expiry')
    .on('wallet_nonces')
    .column('expires_at')
    .execute();
}

export async function down(database: Kysely<unknown>): Promise<void> {
  for (const table of ['wallet_nonces', 'wallet_reservations', 'wallet_entries', 'wallets'])
    await database.schema.dropTable(table).execute();
}
