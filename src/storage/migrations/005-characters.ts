import type { Kysely } from 'kysely';

// Characters (INVENTORY §8): the spec's Character fields, the persona no endpoint shows, the discovery flags of
// GET /characters (isPro, public), rating counters kept beside the reviews, and tags/categories as rows to filter on.
export async function up(database: Kysely<unknown>): Promise<void> {
  await database.schema
    .createTable('characters')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('slug', 'text', (column) => column.notNull().unique())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('description', 'text')
    .addColumn('author', 'text', (column) => column.notNull())
    .addColumn('adult', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('featured', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('web_enabled', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('pro', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('public', 'integer', (column) => column.notNull().defaultTo(1))
    .addColumn('model_id', 'text', (column) => column.notNull())
    .addColumn('share_url', 'text')
    .addColumn('photo_url', 'text')
    .addColumn('system_prompt', 'text', (column) => column.notNull())
    .addColumn('imports', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('rating_count', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('rating_sum', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('updated_at', 'text', (column) => column.notNull())
    .execute();

  // kind 'tag' (shown, filtered, searched) or 'category' (filtered only); position keeps the operator's order.
  await database.schema
    .createTable('character_labels')
    .addColumn('character_id', 'text', (column) => column.notNull())
    .addColumn('kind', 'text', (column) => column.notNull())
    .addColumn('position', 'integer', (column) => column.notNull())
    .addColumn('term', 'text', (column) => column.notNull())
    .addPrimaryKeyConstraint('character_labels_pk', ['character_id', 'kind', 'position'])
    .execute();

  await database.schema
    .createTable('character_reviews')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('character_id', 'text', (column) => column.notNull())
    .addColumn('account_id', 'text')
    .addColumn('username', 'text', (column) => column.notNull())
    .addColumn('rating', 'integer', (column) => column.notNull())
    .addColumn('message', 'text')
    .addColumn('locale', 'text')
    .addColumn('user_avatar_url', 'text')
    .addColumn('created_at', 'text', (column) => column.notNull())
    .execute();
  await database.schema
    .createIndex('character_reviews_by_character')
    .on('character_reviews')
    .columns(['character_id', 'created_at', 'id'])
    .execute();
}

export async function down(database: Kysely<unknown>): Promise<void> {
  for (const table of ['character_reviews', 'character_labels', 'characters'])
    await database.schema.dropTable(table).execute();
}
