import {
  CompiledQuery,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  SqliteAdapter,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';

/**
 * Kysely's SQLite adapter, saying what SQLite does: its DDL is transactional (CREATE, ALTER and DROP roll back with
 * the transaction). Kysely's own adapter says not, so its Migrator ran each SQLite migration statement by statement,
 * each its own commit: a crash or a failing statement part-way kept the first statements and no record of the
 * migration, and the next start ran it again over them. With this the Migrator runs the pending migrations and
 * their records in one transaction, as it does on PostgreSQL: all of them or none.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

const BEGIN_IMMEDIATE = CompiledQuery.raw('begin immediate');

/**
 * Kysely's SQLite driver, its transactions begun IMMEDIATE (the write lock taken at BEGIN) and not DEFERRED. The
 * store's transactions read, then write (a reservation reads the balance first). Begun DEFERRED, such a transaction
 * holds a snapshot; when another process (the `rialto` CLI adding a balance or a key while the server runs) commits
 * before its first write, SQLite refuses the write at once with SQLITE_BUSY_SNAPSHOT, busy_timeout or not, and the
 * request failed. Begun IMMEDIATE, the second writer waits its busy_timeout for the first instead. Within one process
 * nothing changes: its transactions already run one at a time on the store's one connection.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(BEGIN_IMMEDIATE);
  }
}

/** Kysely's SQLite dialect, with TransactionalDdlSqliteAdapter and ImmediateSqliteDriver. */
export class RialtoSqliteDialect extends SqliteDialect {
  constructor(private readonly dialectConfig: SqliteDialectConfig) {
    super(dialectConfig);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.dialectConfig);
  }
}
