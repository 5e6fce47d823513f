import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RateLimiter } from '../rate-limit/rate-limiter.ts';
import { RedisRateLimiter } from '../rate-limit/redis-rate-limiter.ts';
import type { Store } from '../storage/store.ts';
import { checkReadiness } from './readiness.ts';
import { ModelRegistry } from './model-registry.ts';

const store = { accounts: { find: async () => undefined } } as unknown as Store;
const registry = new ModelRegistry([]);

test('a limiter whose store does not answer its ping is not ready, with its error as the detail', async () => {
  const limiter = { ping: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')) } as unknown as RateLimiter;
  const readiness = await checkReadiness({ store, limiter, registry, serving: () => true });
  assert.equal(readiness.ready, false);
  assert.deepEqual(readiness.limiter, { healthy: false, detail: 'connect ECONNREFUSED 127.0.0.1:6379' });
  assert.equal(readiness.store.healthy, true);
});

test('a store that does not answer within the timeout is not ready; nor is a process shutting down', async () => {
  const hanging = { accounts: { find: () => new Promise(() => undefined) } } as unknown as Store;
  const readiness = await checkReadiness({ store: hanging, registry, serving: () => true }, 50);
  assert.equal(readiness.ready, false);
  assert.deepEqual(readiness.store, { healthy: false, detail: 'no answer within 50 ms' });
  assert.equal((await checkReadiness({ store, registry, serving: () => false })).ready, false);
  assert.equal((await checkReadiness({ store, registry, serving: () => true })).ready, true);
});

test('the Redis limiter is ready when Redis answers PING (REDIS_URL, default redis://127.0.0.1:6379)', async () => {
  const limiter = new RedisRateLimiter({ redis: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', prefix: 'rialto-test:readiness' });
  try {
    const readiness = await checkReadiness({ store, limiter, registry, serving: () => true });
    assert.deepEqual(readiness.limiter, { healthy: true, detail: 'answers' });
    assert.equal(readiness.ready, true);
  } finally {
    await limiter.close();
  }
});
