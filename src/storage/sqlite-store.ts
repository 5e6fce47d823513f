import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, type SqliteDatabase, type SqliteStatement } from 'kysely';
import { type DirectRunner, runDirectlyInTransactions } from './compiled-once.ts';
import type { Database } from './database.ts';
import { KyselyStore, migrateToLatest } from './kysely-store.ts';
import { type LedgerCommits, SqliteDeferredLedger } from './ledger-commits.ts';
import { RialtoSqliteDialect } from './sqlite-dialect.ts';
import type { Store } from './store.ts';

/** Prepared statements kept per SQL text, at most this many (the queries are few; user input is never in the SQL). */
const STATEMENT_CACHE_SIZE = 256;

/** `connection`'s prepared statements, kept per SQL text: preparing (parsing and planning) costs more than running. */
function statementCache(connection: BetterSqlite3.Database): {
  prepare: (text: string) => BetterSqlite3.Statement;
  clear: () => void;
} {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare: (text) => {
      let statement = statements.get(text);
      if (statement === undefined) {
        statement = connection.prepare(text);
        if (statements.size >= STATEMENT_CACHE_SIZE)
          statements.delete(statements.keys().next().value!);
        statements.set(text, statement);
      }
      return statement;
    },
    clear: () => statements.clear(),
  };
}

/** The connection as Kysely's driver sees it, with `prepare` answered from the cache (Kysely prepares every query). */
function cachingStatements(
  connection: BetterSqlite3.Database,
  statements: ReturnType<typeof statementCache>,
): SqliteDatabase {
  return {
    close: () => {
      statements.clear();
      connection.close();
    },
    prepare: (text: string) => statements.prepare(text) as unknown as SqliteStatement,
  };
}

/** Runs a query as Kysely's SqliteDriver does (rows for a reader, else the changes), without its executor. */
const directRunner =
  (statements: ReturnType<typeof statementCache>): DirectRunner =>
  (text, parameters) => {
    const statement = statements.prepare(text);
    if (statement.reader) return { rows: statement.all(parameters) };
    const { changes } = statement.run(parameters);
    return { numAffectedRows: BigInt(changes), rows: [] };
  };

/**
 * Opens (creating if needed) the SQLite database at `path` (':memory:' for tests) and migrates it.
 * WAL mode lets readers run beside the single writer; busy_timeout covers a second process (the CLI).
 * `ledgerCommits` (ledger-commits.ts): durable unless asked; openStore asks as config.billing.ledgerCommits says.
 */
export async function openSqliteStore(
  path: string,
  ledgerCommits: LedgerCommits = 'durable',
): Promise<Store> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const connection = new BetterSqlite3(path);
  connection.pragma('journal_mode = WAL');
  // Set, not left to the default: better-sqlite3's SQLite turns a WAL database's unset level to NORMAL (no flush at
  // COMMIT) once the WAL opens. A commit waits for the disk; the ledger's, unless durable, do not (ledger-commits.ts).
  // Before the migrations too: they commit as one transaction (sqlite-dialect.ts), and that commit must reach the disk
  // before the server answers as the new schema.
  connection.pragma('synchronous = FULL');
  connection.pragma('busy_timeout = 5000');
  connection.pragma('foreign_keys = ON');
  // Deleted and overwritten rows (a finished job's prompt) are zeroed in the file, not left in free space.
  connection.pragma('secure_delete = ON');
  const statements = statementCache(connection);
  const database = new Kysely<Database>({
    dialect: new RialtoSqliteDialect({
      database: cachingStatements(connection, statements),
    }),
  });
  // The ledger's statements inside its transactions (a batch: a dozen statements) skip Kysely's executor.
  runDirectlyInTransactions(database, directRunner(statements));
  await migrateToLatest(database);
  if (ledgerCommits === 'durable' || path === ':memory:') return new KyselyStore(database);
  const deferred = new SqliteDeferredLedger(database, connection, `${path}-wal`);
  return new KyselyStore(database, 'sqlite', {
    ledgerTransaction: deferred.transaction,
    beforeClose: () => deferred.close(),
  });
}
