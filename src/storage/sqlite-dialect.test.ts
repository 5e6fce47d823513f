import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, type Migration, Migrator, SqliteDialect, sql } from 'kysely';
import { RialtoSqliteDialect } from './sqlite-dialect.ts';

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

async function tablesAfterFailedMigration(
  dialect: (connection: BetterSqlite3.Database) => SqliteDialect,
) {
  const connection = new BetterSqlite3(':memory:');
  const database = new Kysely<unknown>({ dialect: dialect(connection) });
  const { error } = await new Migrator({
    db: database,
    provider: { getMigrations: async () => migrations },
  }).migrateToLatest();
  const names = (query: string) =>
    connection
      .prepare(query)
      .all()
      .map((row) => (row as { name: string }).name);
  const tables = names("select name from sqlite_master where type = 'table' order by name");
  const recorded = tables.includes('kysely_migration')
    ? names('select name from kysely_migration order by name')
    : [];
  connection.close();
  return { error, tables, recorded };
}

const folder = mkdtempSync(join(tmpdir(), 'rialto-sqlite-dialect-'));
after(() => rmSync(folder, { recursive: true, force: true }));

interface Counted {
  count: number;
}

/**
 * A transaction that reads, then writes (as a reservation does), on `dialect`, while another process's connection
 * (the CLI's; busy_timeout 0, since one thread cannot wait for itself) writes between its read and its write.
 */
async function readThenWriteBesideAnotherWriter(
  name: string,
  dialect: (connection: BetterSqlite3.Database) => SqliteDialect,
) {
  const path = join(folder, `${name}.db`);
  const connection = new BetterSqlite3(path);
  connection.pragma('journal_mode = WAL');
  connection.exec('create table entries (id integer)');
  const other = new BetterSqlite3(path);
  other.pragma('busy_timeout = 0');
  const database = new Kysely<{ entries: { id: number } }>({ dialect: dialect(connection) });
  let otherWrite = 'committed';
  const transaction = await database
    .transaction()
    .execute(async (trx) => {
      await trx
        .selectFrom('entries')
        .select((eb) => eb.fn.countAll().as('count'))
        .execute();
      try {
        other.exec('insert into entries values (1)');
      } catch (error) {
        otherWrite = (error as { code?: string }).code ?? String(error);
      }
      await trx.insertInto('entries').values({ id: 2 }).execute();
      return 'committed';
    })
    .catch((error: { code?: string }) => error.code ?? String(error));
  // The other writer, refused while the transaction held the lock, writes once it has committed.
  if (otherWrite !== 'committed') other.exec('insert into entries values (1)');
  const { count } = connection.prepare('select count(*) as count from entries').get() as Counted;
  other.close();
  await database.destroy();
  return { transaction, otherWrite, count };
}

describe('the SQLite dialect', () => {
  it('begins transactions IMMEDIATE: a read-then-write transaction holds the write lock, another process waits', async () => {
    const outcome = await readThenWriteBesideAnotherWriter(
      'immediate',
      (connection) => new RialtoSqliteDialect({ database: connection }),
    );
    // SQLITE_BUSY is what a writer with no busy_timeout gets; the CLI's 5 s busy_timeout waits instead.
    assert.deepEqual(outcome, { transaction: 'committed', otherWrite: 'SQLITE_BUSY', count: 2 });
  });

  it("(Kysely's own dialect begins DEFERRED: the other process's commit makes the transaction's write fail at once)", async () => {
    const outcome = await readThenWriteBesideAnotherWriter(
      'deferred',
      (connection) => new SqliteDialect({ database: connection }),
    );
    assert.deepEqual(outcome, {
      transaction: 'SQLITE_BUSY_SNAPSHOT',
      otherWrite: 'committed',
      count: 1,
    });
  });

  it('runs migrations in one transaction: one failing part-way leaves none of them, nor their records', async () => {
    const { error, tables, recorded } = await tablesAfterFailedMigration(
      (connection) => new RialtoSqliteDialect({ database: connection }),
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
