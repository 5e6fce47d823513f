// Issue #15.6: money columns hold exact integers on both stores, and a row whose amount was set past MAX_NANOS by
// hand (an older Rialto, or SQL) still reads — as the nearest JS number — instead of failing every read of its
// account and every account listing, and can be repaired with a debit.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openPostgresStore } from '../../src/storage/postgres-store.ts';
import { openSqliteStore } from '../../src/storage/sqlite-store.ts';
import { MAX_NANOS, type Store } from '../../src/storage/store.ts';

/** Runs a statement that returns no rows; answers no rows, as `sql` does for selects. */
function runStatement(raw: Database.Database, text: string): Record<string, unknown>[] {
  raw.prepare(text).run();
  return [];
}
import {
  dropSchema,
  postgresUnavailable,
  TEST_DATABASE_URL,
  uniqueSchemaName,
} from '../support/postgres-test-database.ts';

// Before the first suite: with --test-force-exit a suite defined after a top-level await never runs.
const postgresSkip = await postgresUnavailable();
const AT = '2026-03-01T12:00:00.000Z';
const HAND_WRITTEN = '1000000000000000000';

/** A store, a way to run SQL on its database beside it, and its cleanup. */
interface Opened {
  store: Store;
  sql: (text: string) => Promise<Record<string, unknown>[]>;
  cleanup: () => Promise<void>;
}

async function reachesBalancePastTheBound(opened: Opened): Promise<void> {
  const { store, sql } = opened;
  await store.accounts.ensure('big', 'big', AT);
  await store.accounts.ensure('small', 'small', AT);
  await store.accounts.credit('small', 'USD', 5);
  await sql(`update accounts set usd_balance = ${HAND_WRITTEN} where id = 'big'`);
  assert.equal((await store.accounts.find('big'))?.usdBalance, Number(HAND_WRITTEN));
  assert.deepEqual(
    (await store.accounts.list()).map((account) => [account.id, account.usdBalance]),
    [
      ['big', 1e18],
      ['small', 5],
    ],
  );
  // No credit adds to it; a debit may bring it down.
  await assert.rejects(store.accounts.credit('big', 'USD', 1), /would pass/);
  assert.ok(
    (await store.accounts.credit('big', 'USD', -MAX_NANOS)).usdBalance < Number(HAND_WRITTEN),
  );
}

async function keepsIntegers(opened: Opened): Promise<void> {
  const { store, sql } = opened;
  await store.accounts.ensure('a1', 'a1', AT);
  await store.accounts.credit('a1', 'USD', MAX_NANOS - 3);
  await store.accounts.credit('a1', 'USD', 3);
  await store.accounts.credit('a1', 'DIEM', 7);
  await store.accounts.credit('a1', 'DIEM', -2);
  await assert.rejects(store.accounts.credit('a1', 'USD', 1e18));
  const [row] = await sql(`select usd_balance, diem_balance from accounts where id = 'a1'`);
  assert.deepEqual(row, { usd_balance: MAX_NANOS, diem_balance: 5 });
}

function describeStore(
  name: string,
  open: () => Promise<Opened>,
  typeOf: string,
  skip: string | false = false,
): void {
  describe(`stored amounts: ${name}`, { skip }, () => {
    const withOpened = async (body: (opened: Opened) => Promise<void>): Promise<void> => {
      const opened = await open();
      try {
        await body(opened);
      } finally {
        await opened.cleanup();
      }
    };
    it('a balance set past MAX_NANOS by hand still reads, lists and takes a debit', () =>
      withOpened(reachesBalancePastTheBound));
    it('credits up to MAX_NANOS leave exact integers in the columns', () =>
      withOpened(async (opened) => {
        await keepsIntegers(opened);
        const [types] = await opened.sql(
          `select ${typeOf}(usd_balance) as usd, ${typeOf}(diem_balance) as diem from accounts where id = 'a1'`,
        );
        assert.deepEqual(
          types,
          typeOf === 'typeof'
            ? { usd: 'integer', diem: 'integer' }
            : { usd: 'bigint', diem: 'bigint' },
        );
      }));
  });
}

describeStore(
  'SQLite',
  async () => {
    const directory = mkdtempSync(join(tmpdir(), 'rialto-amounts-'));
    const path = join(directory, 'rialto.db');
    const store = await openSqliteStore(path);
    const raw = new Database(path);
    return {
      store,
      sql: async (text) =>
        /^\s*select/i.test(text)
          ? (raw.prepare(text).all() as Record<string, unknown>[])
          : runStatement(raw, text),
      cleanup: async () => {
        raw.close();
        await store.close();
        rmSync(directory, { recursive: true, force: true });
      },
    };
  },
  'typeof',
);

describeStore(
  'PostgreSQL',
  async () => {
    const schema = uniqueSchemaName();
    const store = await openPostgresStore(TEST_DATABASE_URL, { schema });
    const client = new pg.Client({
      connectionString: TEST_DATABASE_URL,
      options: `-c search_path=${schema}`,
    });
    await client.connect();
    return {
      store,
      sql: async (text) => {
        const { rows } = await client.query(text);
        // int8 arrives as text from a plain client: compare it as a number.
        return rows.map((row: Record<string, unknown>) =>
          Object.fromEntries(
            Object.entries(row).map(([key, value]) => [
              key,
              typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value,
            ]),
          ),
        );
      },
      cleanup: async () => {
        await client.end();
        await store.close();
        await dropSchema(schema);
      },
    };
  },
  'pg_typeof',
  postgresSkip,
);
