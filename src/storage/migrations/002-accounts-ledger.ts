import type { Kysely } from 'kysely';

// Money columns hold integer nano-units (1e-9 USD or DIEM): sums and conditional updates stay exact.
export async function up(database: Kysely<unknown>): Promise<void> {
  await database.schema
    .createTable('accounts')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('usd_balance', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('usd_reserved', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('diem_balance', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('diem_reserved', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('diem_epoch_allocation', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (column) => column.notNull())
    .execute();

  await database.schema
    .alterTable('api_keys')
    .addColumn('account_id', 'text', (column) => column.notNull().defaultTo('default'))
    .execute();
  await database.schema.alterTable('api_keys').addColumn('limit_usd', 'bigint').execute();
  await database.schema.alterTable('api_keys').addColumn('limit_diem', 'bigint').execute();
  await database.schema.alterTable('api_keys').addColumn('limit_vcu', 'bigint').execute();
  await database.schema
    .alterTable('api_keys')
    .addColumn('limit_period', 'text', (column) => column.notNull().defaultTo('EPOCH'))
    .execute();
  await database.schema
    .alterTable('api_keys')
    .addColumn('model_privacy', 'text', (column) => column.notNull().defaultTo('ALL'))
    .execute();

  // What a key spent (and holds reserved) in one limit period; `period` is its start (ISO), or 'LIFETIME'.
  await database.schema
    .createTable('key_spend')
    .addColumn('key_id', 'text', (column) => column.notNull())
    .addColumn('period', 'text', (column) => column.notNull())
    .addColumn('usd_spent', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('usd_reserved', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('diem_spent', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('diem_reserved', 'bigint', (column) => column.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('key_spend_pk', ['key_id', 'period'])
    .execute();

  await database.schema
    .createTable('reservations')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('account_id', 'text', (column) => column.notNull())
    .addColumn('key_id', 'text', (column) => column.notNull())
    .addColumn('period', 'text', (column) => column.notNull())
    .addColumn('currency', 'text', (column) => column.notNull())
    .addColumn('amount', 'bigint', (column) => column.notNull())
    .addColumn('state', 'text', (column) => column.notNull())
    .addColumn('request_id', 'text', (column) => column.notNull())
    .addColumn('model_id', 'text', (column) => column.notNull())
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('lease_until', 'text', (column) => column.notNull())
    .execute();
  await database.schema
    .createIndex('reservations_open')
    .on('reservations')
    .columns(['state', 'lease_until'])
    .execute();

  await database.schema
    .createTable('usage_records')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('request_id', 'text', (column) => column.notNull())
    .addColumn('account_id', 'text', (column) => column.notNull())
    .addColumn('key_id', 'text')
    .addColumn('model_id', 'text', (column) => column.notNull())
    .addColumn('model_type', 'text', (column) => column.notNull())
    .addColumn('currency', 'text', (column) => column.notNull())
    .addColumn('amount', 'bigint', (column) => column.notNull())
    .addColumn('prompt_tokens', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('completion_tokens', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('cached_tokens', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('execution_ms', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (column) => column.notNull())
    .execute();
  await database.schema
    .createIndex('usage_records_account_time')
    .on('usage_records')
    .columns(['account_id', 'created_at', 'id'])
    .execute();
  await database.schema
    .createIndex('usage_records_key_time')
    .on('usage_records')
    .columns(['key_id', 'created_at'])
    .execute();
}

export async function down(database: Kysely<unknown>): Promise<void> {
  for (const table of ['usage_records', 'reservations', 'key_spend', 'accounts'])
    await database.schema.dropTable(table).execute();
}
