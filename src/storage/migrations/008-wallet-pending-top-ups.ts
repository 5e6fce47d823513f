import type { Kysely } from 'kysely';

// x402 top-ups between settlement and credit (issue #20): a row is written, once per payment key, after the payment
// verified and before it is settled, and deleted in the credit's own transaction. A row left by a process that died
// in between is reconciled from the chain (services/wallets/top-up-service.ts): the token's
// authorizationState(authorizer, nonce) and its AuthorizationUsed / Transfer logs decide whether to credit once or
// drop it (unused and expired).
export async function up(database: Kysely<unknown>): Promise<void> {
  await database.schema
    .createTable('wallet_pending_top_ups')
    .addColumn('payment_key', 'text', (column) => column.primaryKey())
    .addColumn('wallet', 'text', (column) => column.notNull())
    .addColumn('amount', 'bigint', (column) => column.notNull())
    .addColumn('network', 'text', (column) => column.notNull())
    .addColumn('asset', 'text', (column) => column.notNull())
    .addColumn('pay_to', 'text', (column) => column.notNull())
    .addColumn('value', 'text', (column) => column.notNull())
    .addColumn('authorizer', 'text', (column) => column.notNull())
    .addColumn('nonce', 'text', (column) => column.notNull())
    .addColumn('valid_before', 'text', (column) => column.notNull())
    .addColumn('from_block', 'text', (column) => column.notNull())
    .addColumn('created_at', 'text', (column) => column.notNull())
    .execute();
}

export async function down(database: Kysely<unknown>): Promise<void> {
  await database.schema.dropTable('wallet_pending_top_ups').execute();
}
