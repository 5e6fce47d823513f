import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql, SqliteDialect } from 'kysely';
import {
  dropSchema,
  postgresUnavailable,
  TEST_DATABASE_URL,
  uniqueSchemaName,
} from '../../test/support/postgres-test-database.ts';
import { toNanos } from '../services/billing/money.ts';
import { KeyService } from '../services/key-service.ts';
import type { Database } from './database.ts';
import { SQLITE_WAL_SYNC_MS, SqliteDeferredLedger } from './ledger-commits.ts';
import { openPostgresStore } from './postgres-store.ts';
import { openSqliteStore } from './sqlite-store.ts';
import type { Store } from './store.ts';

// Before any hook or suite: with --test-force-exit a suite defined after a top-level await never runs.
const postgresSkip = await postgresUnavailable();
const directory = mkdtempSync(join(tmpdir(), 'rialto-ledger-commits-'));
after(() => rmSync(directory, { recursive: true, force: true }));

/** A SQLite file in WAL mode, its one connection, a Kysely over it and the deferred ledger on top. */
function sqliteFile(name: string) {
  const path = join(directory, name);
  const connection = new BetterSqlite3(path);
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = FULL');
  connection.exec('create table entries (id integer primary key, amount integer not null)');
  const database = new Kysely<Database>({ dialect: new SqliteDialect({ database: connection }) });
  const deferred = new SqliteDeferredLedger(database, connection, `${path}-wal`);
  return { path, connection, database, deferred };
}

/** Runs `test` on a fresh sqliteFile, then closes the deferred ledger and the database. */
async function withSqliteFile(
  name: string,
  test: (file: ReturnType<typeof sqliteFile>) => Promise<void>,
): Promise<void> {
  const file = sqliteFile(name);
  try {
    await test(file);
  } finally {
    await file.deferred.close();
    await file.database.destroy();
  }
}

/** One row written in a transaction of the deferred ledger's. */
const insertEntry = (deferred: SqliteDeferredLedger, amount: number) =>
  deferred.transaction((transaction) =>
    transaction
      .insertInto('entries' as never)
      .values({ amount } as never)
      .execute(),
  );

const syncLevel = async (database: Kysely<Database>): Promise<number> =>
  Number(
    (await sql<{ synchronous: number }>`pragma synchronous`.execute(database)).rows[0]?.synchronous,
  );

/** Reserves and settles one request of `usd` (of 1 USD credited) through the store's ledger; the balance after. */
async function chargeOnce(store: Store, usd: number): Promise<number> {
  const { record } = await new KeyService(store).create({
    apiKeyType: 'INFERENCE',
    description: 'deferred',
  });
  await store.accounts.credit('default', 'USD', toNanos(1));
  const now = new Date().toISOString();
  const outcome = await store.ledger.reserve({
    reservationId: 'reservation-deferred',
    accountId: 'default',
    keyId: record.id,
    period: 'LIFETIME',
    keyLimits: { USD: null, DIEM: null },
    amount: toNanos(usd),
    requestId: 'chatcmpl-deferred',
    modelId: 'paid',
    createdAt: now,
    leaseUntil: new Date(Date.now() + 60_000).toISOString(),
  });
  assert.deepEqual(outcome, { reserved: true, currency: 'USD' });
  const settled = await store.ledger.settle('reservation-deferred', {
    modelType: 'text',
    amount: toNanos(usd),
    promptTokens: 10,
    completionTokens: 5,
    cachedTokens: 0,
    status: 'completed',
    executionMs: 1,
    createdAt: now,
  });
  assert.equal(settled, true);
  return (await store.accounts.find('default'))!.usdBalance;
}

describe('deferred ledger commits on SQLite', () => {
  it('run the ledger transaction under synchronous = NORMAL and every other one under the connection’s own level', () =>
    withSqliteFile('levels.db', async ({ database, deferred }) => {
      assert.equal(await syncLevel(database), 2, 'FULL, as the store sets it');
      const inside = await deferred.transaction(async (transaction) => {
        await transaction
          .insertInto('entries' as never)
          .values({ amount: 1 } as never)
          .execute();
        return syncLevel(transaction as never);
      });
      assert.equal(inside, 1, 'NORMAL inside the ledger transaction');
      assert.equal(await syncLevel(database), 2, 'FULL again after it');
    }));

  it('hold the connection for the whole transaction: a write that comes meanwhile waits and commits at FULL', () =>
    withSqliteFile('hold.db', async ({ database, deferred }) => {
      let proceed!: () => void;
      const gate = new Promise<void>((resolve) => {
        proceed = resolve;
      });
      const order: string[] = [];
      const ledger = deferred.transaction(async (transaction) => {
        await gate;
        await transaction
          .insertInto('entries' as never)
          .values({ amount: 1 } as never)
          .execute();
        order.push('ledger');
      });
      const other = (async () => {
        const level = await syncLevel(database);
        order.push(`other at ${level}`);
      })();
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(order, [], 'the other query waits for the ledger transaction');
      proceed();
      await Promise.all([ledger, other]);
      assert.deepEqual(order, ['ledger', 'other at 2']);
    }));

  it('roll back a failed transaction and restore the level', () =>
    withSqliteFile('failure.db', async ({ database, deferred }) => {
      await assert.rejects(
        deferred.transaction(async (transaction) => {
          await transaction
            .insertInto('entries' as never)
            .values({ amount: 1 } as never)
            .execute();
          throw new Error('refused');
        }),
        /refused/,
      );
      assert.equal(await syncLevel(database), 2);
      const { rows } = await sql<{ n: number }>`select count(*) as n from entries`.execute(
        database,
      );
      assert.equal(rows[0]?.n, 0);
    }));

  it('flush the WAL file once for the commits of a window, and again on close after a later one', async () => {
    const { database, deferred } = sqliteFile('flush.db');
    try {
      await insertEntry(deferred, 0);
      // The flush is a timer's, set as the commit ended: not yet when the commit's caller goes on.
      assert.equal(deferred.flushes, 0, 'not on the commit’s path');
      await insertEntry(deferred, 1);
      await insertEntry(deferred, 2);
      const deadline = Date.now() + 20 * SQLITE_WAL_SYNC_MS;
      while (deferred.flushes === 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(deferred.flushes, 1, 'one flush for the three commits');
      await new Promise((resolve) => setTimeout(resolve, 2 * SQLITE_WAL_SYNC_MS));
      assert.equal(deferred.flushes, 1, 'nothing more to flush');
      await insertEntry(deferred, 9);
      await deferred.close();
      assert.equal(deferred.flushes, 2, 'the close flushed the last commit');
    } finally {
      await database.destroy();
    }
  });

  it('are visible at once to another connection, and the books stay exact through the store', async () => {
    const path = join(directory, 'store.db');
    const store = await openSqliteStore(path, 'deferred');
    try {
      const balance = await chargeOnce(store, 0.25);
      assert.equal(balance, toNanos(0.75));
      const reader = new BetterSqlite3(path, { readonly: true });
      try {
        const row = reader
          .prepare('select usd_balance, usd_reserved from accounts where id = ?')
          .get('default') as { usd_balance: number; usd_reserved: number };
        assert.deepEqual([row.usd_balance, row.usd_reserved], [toNanos(0.75), 0]);
      } finally {
        reader.close();
      }
    } finally {
      await store.close();
    }
  });
});

describe('deferred ledger commits on PostgreSQL', { skip: postgresSkip }, () => {
  it('turn synchronous_commit off for the ledger’s transactions only, the books exact', async () => {
    const schema = uniqueSchemaName();
    const url = new URL(TEST_DATABASE_URL);
    const store = await openPostgresStore(url.toString(), { schema, ledgerCommits: 'deferred' });
    try {
      assert.equal(await chargeOnce(store, 0.25), toNanos(0.75));
      // The same transactions as the ledger's, seen from inside and after.
      const { postgresDeferredLedger } = await import('./ledger-commits.ts');
      const database = (store as unknown as { database: Kysely<Database> }).database;
      const inside = await postgresDeferredLedger(database)(async (transaction) =>
        String(
          (await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(transaction))
            .rows[0]?.synchronous_commit,
        ),
      );
      assert.equal(inside, 'off');
      const outside = await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(
        database,
      );
      assert.equal(outside.rows[0]?.synchronous_commit, 'on');
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });
});
