import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseConfig } from '../config.ts';
import {
  dropSchema,
  postgresUnavailable,
  TEST_DATABASE_URL,
  uniqueSchemaName,
} from '../../test/support/postgres-test-database.ts';
import { openStore } from './open-store.ts';

// Before any hook or suite: with --test-force-exit a suite defined after a top-level await never runs.
const postgresSkip = await postgresUnavailable();
const dataDirectory = mkdtempSync(join(tmpdir(), 'rialto-open-store-'));
after(() => rmSync(dataDirectory, { recursive: true, force: true }));

const configWith = (url?: string) =>
  parseConfig({ dataDirectory, ...(url === undefined ? {} : { database: { url } }) });

describe('openStore', () => {
  it('opens SQLite at <dataDirectory>/rialto.db when no database URL is set', async () => {
    const store = await openStore(configWith());
    await store.close();
    assert.ok(existsSync(join(dataDirectory, 'rialto.db')));
  });

  it('refuses another scheme, or no URL at all, without echoing the URL (it may hold a password)', async () => {
    await assert.rejects(openStore(configWith('mysql://user:s3cret@host/db')), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(
        error.message,
        /scheme mysql:\/\/ is not supported: use postgres:\/\/ or postgresql:\/\//,
      );
      assert.doesNotMatch(error.message, /s3cret/);
      return true;
    });
    await assert.rejects(openStore(configWith('s3cret')), /DATABASE_URL is not a URL/);
  });

  it('opens PostgreSQL for postgres:// and postgresql://, in the ?schema= given', {
    skip: postgresSkip,
  }, async () => {
    const schema = uniqueSchemaName();
    try {
      for (const scheme of ['postgres:', 'postgresql:']) {
        const url = new URL(TEST_DATABASE_URL);
        url.protocol = scheme;
        url.searchParams.set('schema', schema);
        const store = await openStore(configWith(url.toString()));
        await store.apiKeys.insert({
          id: scheme,
          secretHash: 'h',
          last6: 'k',
          apiKeyType: 'ADMIN',
          description: 'd',
          expiresAt: null,
        });
        await store.close();
      }
      const store = await openStore(configWith(`${TEST_DATABASE_URL}?schema=${schema}`));
      assert.deepEqual((await store.apiKeys.listActive()).map((key) => key.id).sort(), [
        'postgres:',
        'postgresql:',
      ]);
      await store.close();
    } finally {
      await dropSchema(schema);
    }
  });
});
