// The end-to-end suites run twice (scripts/run-tests.mjs): on SQLite, then with RIALTO_TEST_STORE=postgres. This
// checks that a server started for a test keeps its records in the store that names, and on PostgreSQL in a
// schema of its own, so the two passes (or two files of one pass) never share rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { TEST_DATABASE_URL } from '../support/postgres-test-database.ts';

const wanted = process.env.RIALTO_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

async function postgresKeyIds(schema: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<{ id: string }>(`select id from "${schema}".api_keys`)).rows.map(
      (row) => row.id,
    );
  } finally {
    await client.end();
  }
}

function schemaOf(rialto: TestRialto): string | null {
  const url = rialto.config.database.url;
  return url === undefined ? null : new URL(url).searchParams.get('schema');
}

test(`a test server keeps its keys in the store RIALTO_TEST_STORE names (${wanted}), apart from every other`, async (t) => {
  const servers = [await startRialto({}), await startRialto({})];
  t.after(() => Promise.all(servers.map((server) => server.close())));
  const created = await Promise.all(
    servers.map(
      async (server) =>
        (await server.keys.create({ apiKeyType: 'INFERENCE', description: 'where am I' })).record
          .id,
    ),
  );
  for (const [index, server] of servers.entries()) {
    const sqliteFile = join(server.config.dataDirectory, 'rialto.db');
    if (wanted === 'postgres') {
      const schema = schemaOf(server);
      assert.ok(
        schema !== null && /^rialto_test_/.test(schema),
        `a throwaway schema, not ${String(schema)}`,
      );
      assert.ok(
        (await postgresKeyIds(schema)).includes(created[index]!),
        "the key is in the server's PostgreSQL schema",
      );
      assert.equal(existsSync(sqliteFile), false, 'no SQLite database was opened');
    } else {
      assert.equal(server.config.database.url, undefined);
      const database = new Database(sqliteFile, { readonly: true, fileMustExist: true });
      try {
        const ids = (database.prepare('select id from api_keys').all() as { id: string }[]).map(
          (row) => row.id,
        );
        assert.ok(ids.includes(created[index]!), "the key is in the server's SQLite file");
      } finally {
        database.close();
      }
    }
  }
  if (wanted === 'postgres') {
    assert.notEqual(schemaOf(servers[0]!), schemaOf(servers[1]!));
    assert.equal(
      (await postgresKeyIds(schemaOf(servers[0]!)!)).includes(created[1]!),
      false,
      "one server never sees the other's keys",
    );
  } else {
    assert.notEqual(servers[0]!.config.dataDirectory, servers[1]!.config.dataDirectory);
  }
});
