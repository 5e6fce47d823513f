import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { compiledOnce, runDirectlyInTransactions } from './compiled-once.ts';
import type { Database } from './database.ts';
import { migrateToLatest } from './kysely-store.ts';

async function openDatabase(ids: string[]): Promise<Kysely<Database>> {
  const database = new Kysely<Database>({
    dialect: new SqliteDialect({ database: new BetterSqlite3(':memory:') }),
  });
  await migrateToLatest(database);
  for (const id of ids)
    await database
      .insertInto('accounts')
      .values({ id, name: id, created_at: '2026-01-01T00:00:00.000Z' })
      .execute();
  return database;
}

describe('compiledOnce', () => {
  it("binds each run its own values, keeps the query's constants, and builds once per shape", async () => {
    let builds = 0;
    const statement = compiledOnce((database, slot, count: number) => {
      builds += 1;
      return database
        .selectFrom('accounts')
        .select(['id', sql<string>`${slot(1)}`.as('echo')])
        .where(
          'id',
          'in',
          Array.from({ length: count }, (_, index) => slot(index + 2)),
        )
        .where('name', '!=', 'constant')
        .orderBy('id');
    });
    const database = await openDatabase(['a', 'b', 'c']);
    try {
      // Slot 0 unused: a value need not appear in the query.
      assert.deepEqual((await statement(database, 1, [null, 'x', 'b'])).rows, [
        { id: 'b', echo: 'x' },
      ]);
      assert.deepEqual((await statement(database, 2, [null, 'y', 'a', 'c'])).rows, [
        { id: 'a', echo: 'y' },
        { id: 'c', echo: 'y' },
      ]);
      assert.deepEqual((await statement(database, 1, [null, 'z', 'c'])).rows, [
        { id: 'c', echo: 'z' },
      ]);
      assert.equal(builds, 2);
    } finally {
      await database.destroy();
    }
  });

  it('binds a BigInt as an integer on SQLite, as the builder does', async () => {
    const statement = compiledOnce((database, slot, _shape: 'one') =>
      database
        .selectFrom('accounts')
        .select(sql<string>`typeof(${slot(0)})`.as('type'))
        .limit(1),
    );
    const database = await openDatabase(['a']);
    try {
      assert.deepEqual((await statement(database, 'one', [5n])).rows, [{ type: 'integer' }]);
      assert.deepEqual((await statement(database, 'one', [5])).rows, [{ type: 'real' }]);
    } finally {
      await database.destroy();
    }
  });

  it('runs inside a transaction through the registered runner, and outside one through Kysely', async () => {
    const statement = compiledOnce((database, slot, _shape: 'one') =>
      database.selectFrom('accounts').select('id').where('id', '=', slot(0)),
    );
    const database = await openDatabase(['a']);
    const connection = new BetterSqlite3(':memory:');
    try {
      const ran: string[] = [];
      // A runner answering from another database, so the test can tell which path a statement took.
      connection.exec("create table accounts (id text); insert into accounts values ('direct')");
      runDirectlyInTransactions(database, (text) => {
        ran.push(text);
        return { rows: connection.prepare(text.replace(/where .*/, '')).all() };
      });
      assert.deepEqual((await statement(database, 'one', ['a'])).rows, [{ id: 'a' }]);
      assert.deepEqual(ran, []);
      const inside = await database
        .transaction()
        .execute(async (transaction) => (await statement(transaction, 'one', ['a'])).rows);
      assert.deepEqual(inside, [{ id: 'direct' }]);
      assert.equal(ran.length, 1);
    } finally {
      connection.close();
      await database.destroy();
    }
  });
});
