// checkReadiness against real parts: SQLite in memory, a RedisRateLimiter on the local Redis and on a port where
// nothing listens, and a PostgreSQL store whose accounts table another session holds locked (a store that does
// not answer, as during a long migration).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import pg from 'pg';
import { RedisRateLimiter } from '../rate-limit/redis-rate-limiter.ts';
import { openPostgresStore } from '../storage/postgres-store.ts';
import { openSqliteStore } from '../storage/sqlite-store.ts';
import type { Store } from '../storage/store.ts';
import {
  dropSchema,
  postgresUnavailable,
  TEST_DATABASE_URL,
  uniqueSchemaName,
} from '../../test/support/postgres-test-database.ts';
import { checkReadiness } from './readiness.ts';
import { ModelRegistry } from './model-registry.ts';

// Before the first suite: with --test-force-exit a suite defined after a top-level await never runs.
const postgresSkip = await postgresUnavailable();
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const registry = new ModelRegistry([]);

/** A port on 127.0.0.1 where nothing listens (it did a moment ago). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('checkReadiness', () => {
  let store: Store;

  before(async () => {
    store = await openSqliteStore(':memory:');
  });
  after(async () => {
    await store.close();
  });

  it('is ready when the store answers and the Redis limiter answers PING; not while shutting down', async (t) => {
    const limiter = new RedisRateLimiter({ redis: REDIS_URL, prefix: 'rialto-test:readiness' });
    t.after(() => limiter.close());
    const readiness = await checkReadiness({ store, limiter, registry, serving: () => true });
    assert.deepEqual(readiness, {
      ready: true,
      store: { healthy: true, detail: 'answers' },
      limiter: { healthy: true, detail: 'answers' },
      models: {},
    });
    assert.equal(
      (await checkReadiness({ store, limiter, registry, serving: () => false })).ready,
      false,
    );
  });

  it("a limiter whose Redis cannot be reached is not ready, with the client's error as the detail", async (t) => {
    const port = await deadPort();
    const limiter = new RedisRateLimiter({
      redis: `redis://127.0.0.1:${port}`,
      prefix: 'rialto-test:readiness',
    });
    t.after(() => limiter.close());
    const readiness = await checkReadiness({ store, limiter, registry, serving: () => true });
    assert.equal(readiness.ready, false);
    assert.equal(readiness.limiter.healthy, false);
    // ioredis's words for a connection it could not open (no queueing, no retry: the probe fails at once).
    assert.match(
      readiness.limiter.detail,
      /ECONNREFUSED|max retries per request|Connection is closed/,
    );
    assert.deepEqual(readiness.store, { healthy: true, detail: 'answers' });
  });

  it('a store that fails its query is not ready, with its error as the detail', async () => {
    const closed = await openSqliteStore(':memory:');
    await closed.close();
    const readiness = await checkReadiness({ store: closed, registry, serving: () => true });
    assert.equal(readiness.ready, false);
    assert.equal(readiness.store.healthy, false);
    assert.notEqual(readiness.store.detail, '');
  });
});

describe('checkReadiness on a PostgreSQL store that does not answer', {
  skip: postgresSkip,
}, () => {
  it('is not ready once the timeout passes, and says so; ready again once the store answers', async (t) => {
    const schema = uniqueSchemaName();
    const store = await openPostgresStore(TEST_DATABASE_URL, { schema });
    const locker = new pg.Client({ connectionString: TEST_DATABASE_URL });
    t.after(async () => {
      await locker.end().catch(() => undefined);
      await store.close();
      await dropSchema(schema);
    });
    await locker.connect();
    await locker.query('begin');
    await locker.query(`lock table "${schema}".accounts in access exclusive mode`);
    const readiness = await checkReadiness({ store, registry, serving: () => true }, 200);
    assert.equal(readiness.ready, false);
    assert.deepEqual(readiness.store, { healthy: false, detail: 'no answer within 200 ms' });
    await locker.query('rollback');
    assert.deepEqual((await checkReadiness({ store, registry, serving: () => true })).store, {
      healthy: true,
      detail: 'answers',
    });
  });
});
