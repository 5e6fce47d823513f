import { it } from 'node:test';
import { openPostgresStore } from '../../src/storage/postgres-store.ts';
import { openSqliteStore } from '../../src/storage/sqlite-store.ts';
import type { Store } from '../../src/storage/store.ts';
import {
  dropSchema,
  postgresUnavailable,
  TEST_DATABASE_URL,
  uniqueSchemaName,
} from './postgres-test-database.ts';

/** A store opened for one test, and what removes it (closes it; drops its PostgreSQL schema). */
export interface OpenedStore {
  store: Store;
  cleanup: () => Promise<void>;
}

/** A fresh SQLite store in memory. */
export async function openMemoryStore(): Promise<OpenedStore> {
  const store = await openSqliteStore(':memory:');
  return { store, cleanup: () => store.close() };
}

/** A fresh PostgreSQL store in a schema of its own on the test database, dropped by cleanup. */
export async function openSchemaStore(): Promise<OpenedStore> {
  const schema = uniqueSchemaName();
  const store = await openPostgresStore(TEST_DATABASE_URL, { schema });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await dropSchema(schema);
    },
  };
}

/**
 * Defines `suite` once per store: SQLite in memory, then PostgreSQL (a skipped test saying why when nothing
 * listens at the test database's address; under CI a missing PostgreSQL fails instead). Both are defined after
 * the one await: with --test-force-exit (scripts/run-tests.mjs) a suite defined after an await that follows the
 * first suite is never run, the file's process ending when the first one does.
 */
export async function definePerStore(
  suite: string,
  define: (name: string, open: () => Promise<OpenedStore>) => void,
): Promise<void> {
  const skip = await postgresUnavailable();
  define('SQLite :memory:', openMemoryStore);
  if (skip === false) define('PostgreSQL', openSchemaStore);
  else it(`${suite}: PostgreSQL`, { skip }, () => {});
}
