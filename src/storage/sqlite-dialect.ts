import { type DialectAdapter, SqliteAdapter, SqliteDialect } from 'kysely';

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

/** Kysely's SQLite dialect, its adapter TransactionalDdlSqliteAdapter. */
export class TransactionalDdlSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}
