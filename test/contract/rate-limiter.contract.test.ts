// Runs the rate limiter contract on memory and on Redis (REDIS_URL, default redis://127.0.0.1:6379).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { MemoryRateLimiter } from '../../src/rate-limit/memory-rate-limiter.ts';
import { RedisRateLimiter } from '../../src/rate-limit/redis-rate-limiter.ts';
import { defineRateLimiterContract } from './rate-limiter-contract.ts';

const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const prefix = `rialto-test:${randomUUID()}`;

defineRateLimiterContract('memory', (options) => new MemoryRateLimiter(options));
defineRateLimiterContract(
  'redis',
  (options) => new RedisRateLimiter({ ...options, redis: redisUrl, prefix }),
);

describe('RedisRateLimiter across replicas', () => {
  it('two instances on two connections sharing a prefix admit exactly N together', async () => {
    const options = { redis: redisUrl, prefix, limits: { M: { requestsPerMinute: 20 } } } as const;
    const replicas = [new RedisRateLimiter(options), new RedisRateLimiter(options)];
    try {
      const base = {
        keyId: `key-${randomUUID()}`,
        limitClass: 'M',
        modelId: 'zai-org-glm-5',
        tokens: 1,
      } as const;
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, index) => replicas[index % 2]?.admit(base)),
      );
      assert.equal(results.filter((result) => result?.admitted === true).length, 20);
      const breaches = await replicas[0]?.recentBreaches(base.keyId);
      assert.equal(breaches?.length, 30, 'refusals from both replicas land in one log');
    } finally {
      await Promise.all(replicas.map((replica) => replica.close()));
    }
  });
});

after(async () => {
  const client = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await client.quit();
  }
});
