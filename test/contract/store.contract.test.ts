import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Kysely } from 'kysely';
import pg from 'pg';
import { openPostgresStore } from '../../src/storage/postgres-store.ts';
import { SchemaScopedPostgresDialect } from '../../src/storage/schema-scoped-postgres-dialect.ts';
import { openSqliteStore } from '../../src/storage/sqlite-store.ts';
import {
  dropSchema,
  postgresUnavailable,
  TEST_DATABASE_URL,
  uniqueSchemaName,
} from '../support/postgres-test-database.ts';
import { defineStoreContract } from './store-contract.ts';

// Every top-level await before the first suite: with --test-force-exit (scripts/run-tests.mjs) a suite defined after
// one never runs (test/suite-shape.test.ts).
const skip = await postgresUnavailable();

defineStoreContract('SQLite :memory:', async () => {
  const store = await openSqliteStore(':memory:');
  return { store, cleanup: () => store.close() };
});

defineStoreContract('SQLite file', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-store-'));
  const store = await openSqliteStore(join(directory, 'nested', 'rialto.db'));
  return {
    store,
    cleanup: async () => {
      await store.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
});

if (skip === false) {
  defineStoreContract('PostgreSQL', async () => {
    const schema = uniqueSchemaName();
    const store = await openPostgresStore(TEST_DATABASE_URL, { schema });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await dropSchema(schema);
      },
    };
  });
} else {
  it('Store contract: PostgreSQL', { skip }, () => {});
}

describe('PostgreSQL migrations', { skip }, () => {
  it('let several processes start at once on a fresh schema, and run once', async () => {
    const schema = uniqueSchemaName();
    try {
      const stores = await Promise.all(
        Array.from({ length: 4 }, () => openPostgresStore(TEST_DATABASE_URL, { schema })),
      );
      const [first, ...others] = stores;
      assert.ok(first !== undefined);
      await first.apiKeys.insert({
        id: 'k1',
        secretHash: 'h',
        last6: 'k1',
        apiKeyType: 'ADMIN',
        description: 'd',
        expiresAt: null,
      });
      for (const other of others) assert.equal((await other.apiKeys.findById('k1'))?.id, 'k1');
      await Promise.all(stores.map((store) => store.close()));
      const reopened = await openPostgresStore(TEST_DATABASE_URL, { schema });
      assert.equal((await reopened.apiKeys.listActive()).length, 1);
      await reopened.close();
    } finally {
      await dropSchema(schema);
    }
  });

  it('introspect for migrations while other schemas of the database are being dropped (another Rialto, another test)', async () => {
    // Kysely's own introspector read every schema's tables and failed with "schema … does not exist" when one was
    // dropped during its query (14 failures in this loop before): a migration racing another test's cleanup failed.
    const doomed = Array.from({ length: 20 }, () => uniqueSchemaName());
    await Promise.all(
      doomed.map(async (schema) =>
        (await openPostgresStore(TEST_DATABASE_URL, { schema })).close(),
      ),
    );
    const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 3 });
    const database = new Kysely<unknown>({ dialect: new SchemaScopedPostgresDialect({ pool }) });
    const failures: string[] = [];
    let dropping = true;
    const introspect = async (): Promise<void> => {
      while (dropping)
        await database.introspection
          .getTables({ withInternalKyselyTables: true })
          .catch((error: unknown) => failures.push(String(error)));
    };
    try {
      const loops = [introspect(), introspect(), introspect()];
      for (const schema of doomed) await dropSchema(schema);
      dropping = false;
      await Promise.all(loops);
    } finally {
      dropping = false;
      await database.destroy();
      await Promise.all(doomed.map((schema) => dropSchema(schema)));
    }
    assert.deepEqual(failures, []);
  });

  it('keep schemas of one database apart', async () => {
    const [left, right] = [uniqueSchemaName(), uniqueSchemaName()];
    try {
      const leftStore = await openPostgresStore(TEST_DATABASE_URL, { schema: left });
      const rightStore = await openPostgresStore(TEST_DATABASE_URL, { schema: right });
      await leftStore.apiKeys.insert({
        id: 'k1',
        secretHash: 'h',
        last6: 'k1',
        apiKeyType: 'ADMIN',
        description: 'd',
        expiresAt: null,
      });
      assert.equal(await rightStore.apiKeys.findById('k1'), undefined);
      await Promise.all([leftStore.close(), rightStore.close()]);
    } finally {
      await Promise.all([dropSchema(left), dropSchema(right)]);
    }
  });

  it('refuse a schema name that is not a plain identifier', async () => {
    await assert.rejects(
      openPostgresStore(TEST_DATABASE_URL, { schema: 'x; drop table api_keys' }),
      /schema name/,
    );
  });
});
