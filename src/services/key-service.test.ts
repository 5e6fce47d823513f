import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { VeniceError } from '../errors/venice-error.ts';
import { openSqliteStore } from '../storage/sqlite-store.ts';
import type { Store } from '../storage/store.ts';
import { KeyService } from './key-service.ts';

const directory = mkdtempSync(join(tmpdir(), 'rialto-keys-test-'));
const databasePath = join(directory, 'keys.db');
let store: Store;
let clock = new Date('2026-03-01T12:00:00Z');
let keys: KeyService;

before(async () => {
  store = await openSqliteStore(databasePath);
  keys = new KeyService(store, { now: () => clock });
});

after(async () => {
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

async function expectRefused(presented: string): Promise<void> {
  await assert.rejects(keys.authenticate(presented), (error: unknown) => {
    assert.ok(error instanceof VeniceError);
    assert.equal(error.code, 'AUTHENTICATION_FAILED');
    assert.equal(error.status, 401);
    assert.deepEqual(error.toBody(), { error: 'Authentication failed' });
    return true;
  });
}

/** Changes one character of the secret part, keeping the key well-formed. */
function flipLast(key: string): string {
  return key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
}

describe('KeyService', () => {
  it('a created key authenticates and returns its record', async () => {
    const { apiKey, record } = await keys.create({ apiKeyType: 'INFERENCE', description: 'mine' });
    assert.match(apiKey, /^rk-[0-9a-f]{16}-[A-Za-z0-9_-]{43}$/);
    assert.equal(record.last6, apiKey.slice(-6));
    const found = await keys.authenticate(apiKey);
    assert.equal(found.id, record.id);
    assert.equal(found.apiKeyType, 'INFERENCE');
    assert.equal(found.description, 'mine');
  });

  it('two keys differ and each authenticates as itself', async () => {
    const first = await keys.create({ apiKeyType: 'ADMIN', description: 'a' });
    const second = await keys.create({ apiKeyType: 'INFERENCE', description: 'b' });
    assert.notEqual(first.apiKey, second.apiKey);
    assert.equal((await keys.authenticate(first.apiKey)).apiKeyType, 'ADMIN');
    assert.equal((await keys.authenticate(second.apiKey)).apiKeyType, 'INFERENCE');
  });

  it('a wrong secret for a real id is refused', async () => {
    const { apiKey } = await keys.create({ apiKeyType: 'INFERENCE', description: 'x' });
    await expectRefused(flipLast(apiKey));
    // The secret of one key under the id of another is refused too.
    const other = await keys.create({ apiKeyType: 'INFERENCE', description: 'y' });
    const swapped = `${apiKey.slice(0, 20)}${other.apiKey.slice(20)}`;
    assert.match(swapped, /^rk-[0-9a-f]{16}-[A-Za-z0-9_-]{43}$/);
    await expectRefused(swapped);
  });

  it('malformed and unknown keys are refused', async () => {
    const { apiKey } = await keys.create({ apiKeyType: 'INFERENCE', description: 'x' });
    for (const presented of [
      '',
      'nope',
      apiKey.slice(0, -1),
      `${apiKey}x`,
      apiKey.toUpperCase(),
      ` ${apiKey}`,
      `rk-${'0'.repeat(16)}-${'A'.repeat(43)}`,
    ]) {
      await expectRefused(presented);
    }
  });

  it('a revoked key is refused', async () => {
    const { apiKey, record } = await keys.create({ apiKeyType: 'INFERENCE', description: 'x' });
    assert.equal(await keys.revoke(record.id), true);
    assert.equal(await keys.revoke(record.id), false, 'already revoked');
    await expectRefused(apiKey);
    assert.ok(
      !(await keys.list()).some((key) => key.id === record.id),
      'revoked keys are not listed',
    );
  });

  it('an expired key is refused from its expiry on', async () => {
    const { apiKey } = await keys.create({
      apiKeyType: 'INFERENCE',
      description: 'x',
      expiresAt: '2026-03-02T00:00:00.000Z',
    });
    assert.ok(await keys.authenticate(apiKey));
    const saved = clock;
    try {
      clock = new Date('2026-03-02T00:00:00Z');
      await expectRefused(apiKey);
    } finally {
      clock = saved;
    }
  });

  it('the database holds no secret', async () => {
    const { apiKey, record } = await keys.create({
      apiKeyType: 'INFERENCE',
      description: 'stored',
    });
    const secret = apiKey.slice(20);
    const database = new BetterSqlite3(databasePath, { readonly: true });
    try {
      const row = database.prepare('SELECT * FROM api_keys WHERE id = ?').get(record.id) as
        | Record<string, unknown>
        | undefined;
      assert.ok(row !== undefined);
      const stored = JSON.stringify(row);
      assert.ok(!stored.includes(secret), 'the secret is not stored');
      assert.ok(!stored.includes(apiKey), 'the key is not stored');
      assert.ok(!stored.includes(Buffer.from(secret).toString('hex')), 'nor its hex');
      assert.match(String(row.secret_hash), /^[0-9a-f]{64}$/, 'only a sha256 of it');
      assert.equal(row.last6, apiKey.slice(-6));
    } finally {
      database.close();
    }
  });
});
