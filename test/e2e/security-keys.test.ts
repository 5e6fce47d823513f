// Issue #10.4: API keys at rest and in comparison. The api_keys rows (read straight from the SQLite file, beside
// the running server) and the database files' raw bytes hold no key and no secret, only its SHA-256 and the last
// six characters Venice shows; and every authentication (a real key, a wrong secret, an unknown id, garbage)
// goes through one crypto.timingSafeEqual of two 32-byte digests, so timing tells a caller nothing.
import { after, before, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import crypto, { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { KeyService } from '../../src/services/key-service.ts';
import { openSqliteStore } from '../../src/storage/sqlite-store.ts';
import type { Store } from '../../src/storage/store.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { filesUnder } from '../support/secret-scan.ts';

const secretOf = (key: string): string => key.split('-').slice(2).join('-');

describe('keys at rest', () => {
  let rialto: TestRialto;
  let dataDirectory: string;
  const keys: string[] = [];

  before(async () => {
    dataDirectory = mkdtempSync(join(tmpdir(), 'rialto-security-keys-'));
    rialto = await startRialto({ dataDirectory }, { database: 'sqlite' });
    keys.push(rialto.inferenceKey, rialto.adminKey);
    // Keys made over the API too, one of them then changed and one revoked: every write path of the table.
    for (const description of ['api one', 'api two']) {
      const response = await fetch(`${rialto.baseURL}/api_keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${rialto.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ apiKeyType: 'INFERENCE', description }),
      });
      assert.equal(response.status, 200);
      keys.push(((await response.json()) as { data: { apiKey: string } }).data.apiKey);
    }
    const [, , first, second] = keys;
    const patch = await fetch(`${rialto.baseURL}/api_keys`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${rialto.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: first!.slice(3, 19), description: 'changed' }),
    });
    assert.equal(patch.status, 200);
    assert.equal(
      (
        await fetch(`${rialto.baseURL}/api_keys?id=${second!.slice(3, 19)}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${rialto.adminKey}` },
        })
      ).status,
      200,
    );
    // Each key used once (last_used_at is written).
    for (const key of keys.slice(0, 3))
      await fetch(`${rialto.baseURL}/api_keys/rate_limits`, {
        headers: { authorization: `Bearer ${key}` },
      });
  });
  after(async () => {
    await rialto.close();
    rmSync(dataDirectory, { recursive: true, force: true });
  });

  it("api_keys rows hold the secret's SHA-256 and its last six characters, never the key or the secret", () => {
    const database = new BetterSqlite3(join(dataDirectory, 'rialto.db'), {
      readonly: true,
      fileMustExist: true,
    });
    try {
      const rows = database.prepare('SELECT * FROM api_keys').all() as Record<string, unknown>[];
      assert.equal(rows.length, keys.length);
      for (const key of keys) {
        const secret = secretOf(key);
        const row = rows.find((candidate) => candidate.id === key.slice(3, 19));
        assert.ok(row !== undefined, 'each key has its row');
        assert.equal(row.secret_hash, createHash('sha256').update(secret).digest('hex'));
        assert.equal(row.last6, key.slice(-6));
        const values = Object.values(row).map(String).join('\u0000');
        assert.ok(!values.includes(key), 'no column holds the key');
        // Any 12 characters of the secret: more than last6, less than would be needed to recognise it.
        for (let start = 0; start + 12 <= secret.length; start += 1)
          assert.ok(
            !values.includes(secret.slice(start, start + 12)),
            'no column holds part of the secret',
          );
      }
    } finally {
      database.close();
    }
  });

  it('no byte of the data folder (database, WAL, shared memory) holds a key or a secret', () => {
    const files = filesUnder(dataDirectory);
    assert.ok(files.some((file) => file.path.endsWith('rialto.db')));
    for (const { path, bytes } of files) {
      for (const key of keys) {
        assert.ok(
          !bytes.includes(Buffer.from(secretOf(key).slice(0, 20))),
          `${path} holds a secret`,
        );
      }
    }
  });
});

describe('key comparison', () => {
  let directory: string;
  let store: Store;
  let service: KeyService;
  let calls: { left: number; right: number }[];

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'rialto-security-compare-'));
    store = await openSqliteStore(join(directory, 'keys.db'));
    service = new KeyService(store);
    // key-service.ts imports timingSafeEqual by name; syncBuiltinESMExports makes that binding see the mock.
    calls = [];
    const original = crypto.timingSafeEqual;
    mock.method(
      crypto,
      'timingSafeEqual',
      (left: NodeJS.ArrayBufferView, right: NodeJS.ArrayBufferView) => {
        calls.push({ left: left.byteLength, right: right.byteLength });
        return original(left, right);
      },
    );
    syncBuiltinESMExports();
  });
  after(async () => {
    mock.restoreAll();
    syncBuiltinESMExports();
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('every authentication, found key or not, compares two SHA-256 digests with timingSafeEqual, once', async () => {
    const { apiKey } = await service.create({ apiKeyType: 'INFERENCE', description: 'compared' });
    const wrongSecret = `${apiKey.slice(0, -1)}${apiKey.endsWith('A') ? 'B' : 'A'}`;
    const unknownId = `rk-${'0'.repeat(16)}-${secretOf(apiKey)}`;
    for (const [presented, accepted] of [
      [apiKey, true],
      [wrongSecret, false],
      [unknownId, false],
      ['garbage', false],
      ['', false],
    ] as const) {
      calls.length = 0;
      const outcome = await service.authenticate(presented).then(
        () => true,
        () => false,
      );
      assert.equal(outcome, accepted, presented);
      assert.deepEqual(
        calls,
        [{ left: 32, right: 32 }],
        `one constant-time comparison of 32-byte digests for ${presented === '' ? 'an empty key' : presented}`,
      );
    }
  });
});
