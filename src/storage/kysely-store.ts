import { Migrator, type Kysely, type MigrationProvider, type Selectable } from 'kysely';
import type { ApiKeyTable, Database } from './database.ts';
import type { ApiKeyRecord, ApiKeyRepository, Store } from './store.ts';
import { migrations } from './migrations/index.ts';

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Applies every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(database: Kysely<Database>): Promise<void> {
  const { error, results } = await new Migrator({ db: database, provider }).migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${(error as Error).message}`, { cause: error });
  }
}

function toRecord(row: Selectable<ApiKeyTable>): ApiKeyRecord {
  return {
    id: row.id, secretHash: row.secret_hash, last6: row.last6, apiKeyType: row.api_key_type, description: row.description,
    createdAt: row.created_at, expiresAt: row.expires_at, revokedAt: row.revoked_at, lastUsedAt: row.last_used_at,
  };
}

/** The queries, written once for every dialect. */
export class KyselyStore implements Store {
  readonly apiKeys: ApiKeyRepository;

  constructor(private readonly database: Kysely<Database>) {
    this.apiKeys = {
      insert: async (record) => {
        await database.insertInto('api_keys').values({
          id: record.id, secret_hash: record.secretHash, last6: record.last6, api_key_type: record.apiKeyType,
          description: record.description, created_at: record.createdAt ?? new Date().toISOString(), expires_at: record.expiresAt,
          revoked_at: null, last_used_at: null,
        }).execute();
      },
      findById: async (id) => {
        const row = await database.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
        return row === undefined ? undefined : toRecord(row);
      },
      listActive: async () => {
        const rows = await database.selectFrom('api_keys').selectAll().where('revoked_at', 'is', null).orderBy('created_at').orderBy('id').execute();
        return rows.map(toRecord);
      },
      revoke: async (id, at) => {
        const result = await database.updateTable('api_keys').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
        return Number(result.numUpdatedRows) > 0;
      },
      touch: async (id, at) => {
        const minuteAgo = new Date(Date.parse(at) - 60_000).toISOString();
        await database.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id)
          .where((where) => where.or([where('last_used_at', 'is', null), where('last_used_at', '<', minuteAgo)])).execute();
      },
    };
  }

  async close(): Promise<void> {
    await this.database.destroy();
  }
}
