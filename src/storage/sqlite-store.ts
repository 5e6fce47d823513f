import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
import type { Database } from './database.ts';
import { KyselyStore, migrateToLatest } from './kysely-store.ts';
import type { Store } from './store.ts';

/** Prepared statements kept per SQL text, at most this many (the queries are few; user input is never in the SQL). */
const STATEMENT_CACHE_SIZE = 256;

/**
 * The connection as Kysely's driver sees it, with `prepare` answered from a cache: Kysely prepares every query it
 * runs, and better-sqlite3's prepare (parsing and planning the SQL) costs more than running the small queries here.
 */
function cachingStatements(connection: BetterSqlite3.Database): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => {
      statements.clear();
      connection.close();
    },
    prepare: (text: string) => {
      let statement = statements.get(text);
      if (statement === undefined) {
        statement = connection.prepare(text);
        if (statements.size >= STATEMENT_CACHE_SIZE)
          statements.delete(statements.keys().next().value!);
        statements.set(text, statement);
      }
      return statement as unknown as SqliteStatement;
    },
  };
}

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
  // Deleted and overwritten rows (a finished job's prompt) are zeroed in the file, not left in free space.
  connection.pragma('secure_delete = ON');
  const database = new Kysely<Database>({
    dialect: new SqliteDialect({ database: cachingStatements(connection) }),
  });
  await migrateToLatest(database);
  return new KyselyStore(database);
}
