// Two KeyServices on one store stand for two replicas. B's clock is frozen, so its cached records never expire
// by age: when B refuses a key A revoked, or applies a limit A set, the feed told it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { openSqliteStore } from '../storage/sqlite-store.ts';
import type { Store } from '../storage/store.ts';
import { KeyService } from './key-service.ts';
import { RedisKeyChangeFeed } from './redis-key-change-feed.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Retries `check` until it passes; the feed delivers within milliseconds, the bound only ends a broken run. */
async function eventually(check: () => Promise<void>, boundMs = 5000): Promise<void> {
  const end = Date.now() + boundMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > end) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

describe('RedisKeyChangeFeed with KeyService', () => {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-key-feed-'));
  const channel = `rialto-test:${randomBytes(4).toString('hex')}:key-changes`;
  const logger = pino({ level: 'silent' });
  const feeds = [new RedisKeyChangeFeed({ url: REDIS_URL, channel, logger }), new RedisKeyChangeFeed({ url: REDIS_URL, channel, logger })];
  let store: Store;
  let replicaA: KeyService;
  let replicaB: KeyService;

  before(async () => {
    store = await openSqliteStore(join(directory, 'keys.db'));
    replicaA = new KeyService(store);
    const frozen = new Date();
    replicaB = new KeyService(store, () => frozen);
    await replicaA.share(feeds[0]!);
    await replicaB.share(feeds[1]!);
  });

  after(async () => {
    await Promise.all(feeds.map((feed) => feed.close()));
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('a key revoked on one replica is refused by the other, whose cached record had not expired', async () => {
    const { apiKey, record } = await replicaA.create({ apiKeyType: 'INFERENCE', description: 'revoked elsewhere' });
    assert.equal((await replicaB.authenticate(apiKey)).id, record.id);
    assert.equal(await replicaA.revoke(record.id), true);
    await eventually(() => assert.rejects(replicaB.authenticate(apiKey), { code: 'AUTHENTICATION_FAILED' }));
  });

  it('a limit changed on one replica applies on the other', async () => {
    const { apiKey, record } = await replicaA.create({ apiKeyType: 'INFERENCE', description: 'limited elsewhere' });
    assert.equal((await replicaB.authenticate(apiKey)).consumptionLimits.usd, null);
    await replicaA.update(record.id, record.accountId, { consumptionLimits: { usd: 1234 } });
    await eventually(async () => assert.equal((await replicaB.authenticate(apiKey)).consumptionLimits.usd, 1234));
  });

  it('publishing after close is a no-op', async () => {
    const closed = new RedisKeyChangeFeed({ url: REDIS_URL, channel, logger });
    await closed.close();
    await closed.publish('0123456789abcdef');
  });
});
