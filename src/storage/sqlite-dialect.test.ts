import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, type Migration, Migrator, SqliteDialect, sql } from 'kysely';
import { TransactionalDdlSqliteDialect } from './sqlite-dialect.ts';

/** Two migrations, the second failing after its first statement. */
const migrations: Record<string, Migration> = {
  '001-first': {
    up: async (database) => {
      await database.schema.createTable('first').addColumn('id', 'integer').execute();
    },
  },
  '002-fails-part-way': {
    up: async (database) => {
      await database.schema.createTable('second').addColumn('id', 'integer').execute();
      await sql`insert into no_such_table values (1)`.execute(database);
    },
  },
};

function tablesAfterFailedMigration(
  dialect: (connection: BetterSqlite3.Database) => SqliteDialect,
) {
  const connection = new BetterSqlite3(':memory:');
  const database = new Kysely<unknown>({ dialect: dialect(connection) });
  return new Migrator({
    db: database,
    provider: { getMigrations: async () => migrations },
  })
    .migrateToLatest()
    .then(({ error }) => {
      const tables = connection
        .prepare("select name from sqlite_master where type = 'table' order by name")
        .all()
        .map((row) => (row as { name: string }).name);
      const recorded = tables.includes('kysely_migration')
        ? connection
            .prepare('select name from kysely_migration order by name')
            .all()
            .map((row) => (row as { name: string }).name)
        : [];
      connection.close();
      return { error, tables, recorded };
    });
}

describe('the SQLite dialect', () => {
  it('runs migrations in one transaction: one failing part-way leaves none of them, nor their records', async () => {
    const { error, tables, recorded } = await tablesAfterFailedMigration(
      (connection) => new TransactionalDdlSqliteDialect({ database: connection }),
    );
    assert.match(String(error), /no such table: no_such_table/);
    assert.ok(!tables.includes('first'), tables.join());
    assert.ok(!tables.includes('second'), tables.join());
    assert.deepEqual(recorded, []);
  });

  it("(Kysely's own SQLite dialect keeps the statements that ran before the failure, and the earlier migration)", async () => {
    const { error, tables, recorded } = await tablesAfterFailedMigration(
      (connection) => new SqliteDialect({ database: connection }),
    );
    assert.match(String(error), /no such table: no_such_table/);
    assert.ok(tables.includes('second'), tables.join());
    assert.deepEqual(recorded, ['001-first']);
  });
});
