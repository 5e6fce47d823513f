import type { Kysely } from 'kysely';

// Async generation jobs (video, music): the durable record every worker reads and writes.
export async function up(database: Kysely<unknown>): Promise<void> {
  await database.schema
    .createTable('jobs')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('kind', 'text', (column) => column.notNull())
    .addColumn('model_id', 'text', (column) => column.notNull())
    .addColumn('account_id', 'text', (column) => column.notNull())
    .addColumn('key_id', 'text', (column) => column.notNull())
    .addColumn('request', 'text', (column) => column.notNull())
    .addColumn('state', 'text', (column) => column.notNull())
    .addColumn('progress', 'real')
    .addColumn('engine_job_id', 'text')
    .addColumn('result_key', 'text')
    .addColumn('result_content_type', 'text')
    .addColumn('result_bytes', 'bigint')
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('refunded', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('attempts', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('reservation_id', 'text')
    .addColumn('quote', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('delete_on_delivery', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('started_at', 'text')
    .addColumn('completed_at', 'text')
    .addColumn('updated_at', 'text', (column) => column.notNull())
    .addColumn('deadline_at', 'text', (column) => column.notNull())
    .addColumn('next_run_at', 'text', (column) => column.notNull())
    .addColumn('claimed_by', 'text')
    .addColumn('claim_until', 'text')
    .execute();
  await database.schema
    .createIndex('jobs_runnable')
    .on('jobs')
    .columns(['state', 'next_run_at'])
    .execute();
}
