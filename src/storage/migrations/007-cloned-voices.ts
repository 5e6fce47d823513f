import type { Kysely } from 'kysely';

// Cloned voices (POST /audio/voices, issue #19): the vv_ handle, its owner, its model and the engine's name for
// the voice. The sample itself is not here: it is kept by the engine (a Chatterbox server's voice library) and
// deleted there with the row.
export async function up(database: Kysely<unknown>): Promise<void> {
  await database.schema
    .createTable('cloned_voices')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('account_id', 'text', (column) => column.notNull())
    .addColumn('model_id', 'text', (column) => column.notNull())
    .addColumn('upstream_voice', 'text', (column) => column.notNull())
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('expires_at', 'text', (column) => column.notNull())
    .execute();
  await database.schema
    .createIndex('cloned_voices_by_expiry')
    .on('cloned_voices')
    .columns(['expires_at'])
    .execute();
}

export async function down(database: Kysely<unknown>): Promise<void> {
  await database.schema.dropTable('cloned_voices').execute();
}
