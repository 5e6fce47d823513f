import pg from 'pg';
import { Kysely, sql } from 'kysely';
import type { Database } from './database.ts';
import { KyselyStore, migrateToLatest } from './kysely-store.ts';
import { type LedgerCommits, postgresDeferredLedger } from './ledger-commits.ts';
import { SchemaScopedPostgresDialect } from './schema-scoped-postgres-dialect.ts';
import type { Store } from './store.ts';

export interface PostgresStoreOptions {
  /** Every connection's search_path; created if missing. Default: the server's search_path (usually public). */
  schema?: string;
  /** How the ledger's transactions commit (ledger-commits.ts); durable by default. */
  ledgerCommits?: LedgerCommits;
}

/** A plain identifier, so it needs no quoting in `-c search_path=` nor in DDL. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The same JS values as better-sqlite3 returns: pg gives BIGINT (count(*), bigint columns) and NUMERIC as strings.
 * A BIGINT beyond 2^53 reads as the nearest JS number, as better-sqlite3 reads it: writes keep every money column
 * within MAX_NANOS (store.ts), and a row set past it by hand must still read, or one such account would fail every
 * listing and the credit that could repair it. Scoped to this pool, not pg's global parsers.
 */
function sqliteLikeTypes(): pg.TypeOverrides {
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, Number);
  types.setTypeParser(pg.types.builtins.NUMERIC, Number);
  return types;
}

async function createSchema(database: Kysely<Database>, schema: string): Promise<void> {
  try {
    await database.schema.createSchema(schema).ifNotExists().execute();
  } catch (error) {
    // Two processes starting at once: `if not exists` can still fail with a unique violation in pg_namespace.
    const { rows } = await sql<{
      found: boolean;
    }>`select exists (select 1 from pg_namespace where nspname = ${schema}) as found`.execute(
      database,
    );
    if (rows[0]?.found !== true) throw error;
  }
}

/**
 * Opens a pool of 10 connections to `url` (postgres:// or postgresql://) and migrates the schema; idle connections
 * do not keep the process alive, so a CLI command exits once it has closed the store.
 * Safe when several Rialto processes start at once: Kysely's Migrator holds a PostgreSQL advisory lock while it
 * migrates, and the migration tables are looked up in this schema only (see schema-scoped-postgres-dialect.ts).
 * Rejects (and closes the pool) when the server is unreachable or a migration fails.
 */
export async function openPostgresStore(
  url: string,
  options: PostgresStoreOptions = {},
): Promise<Store> {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema))
    throw new Error(
      `PostgreSQL schema name ${JSON.stringify(schema)}: use lowercase letters, digits and _`,
    );
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 10_000,
    allowExitOnIdle: true,
    application_name: 'rialto',
    types: sqliteLikeTypes(),
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // An idle connection dropped by the server: pg discards it and the next query opens another (or fails there).
  pool.on('error', () => {});
  // A connection dropped while checked out (a transaction between two queries when the server restarts) emits
  // 'error' on its client, which pg-pool leaves unhandled then: the process would crash. The next query on it
  // fails instead, and the pool discards it when it is released.
  pool.on('connect', (client) => client.on('error', () => {}));
  const database = new Kysely<Database>({ dialect: new SchemaScopedPostgresDialect({ pool }) });
  try {
    if (schema !== undefined) await createSchema(database, schema);
    await migrateToLatest(database);
  } catch (error) {
    await database.destroy();
    throw error;
  }
  return new KyselyStore(
    database,
    'postgres',
    options.ledgerCommits === 'deferred'
      ? { ledgerTransaction: postgresDeferredLedger(database) }
      : {},
  );
}
