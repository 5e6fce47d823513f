import type { Kysely } from 'kysely';

// Private-model delivery (swagger: /video/queue 200 `download_url`): the sha256 of a job's download token, and
// when its link was revoked (DELETE on the link).
export async function up(database: Kysely<unknown>): Promise<void> {
  await database.schema.alterTable('jobs').addColumn('download_token_hash', 'text').execute();
  await database.schema.alterTable('jobs').addColumn('download_revoked_at', 'text').execute();
  await database.schema
    .createIndex('jobs_download_token')
    .unique()
    .on('jobs')
    .column('download_token_hash')
    .execute();
}
