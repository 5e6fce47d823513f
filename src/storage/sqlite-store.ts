import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './database.ts';
import { KyselyStore, migrateToLatest } from './kysely-store.ts';
import type { Store } from './store.ts';

/**
 * Opens (creating if needed) the SQLite database at `path` (':memory:' for tests) and migrates it.
 * WAL mode lets readers run beside the single writer; busy_timeout covers a second process (the CLI).
 */
export async function openSqliteStore(path: string): Promise<Store> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const connection = new BetterSqlite3(path);
  connection.pragma('journal_mode = WAL');
  connection.pragma('busy_timeout = 5000');
  connection.pragma('foreign_keys = ON');
  const database = new Kysely<Database>({ dialect: new SqliteDialect({ database: connection }) });
  await migrateToLatest(database);
  return new KyselyStore(database);
}
