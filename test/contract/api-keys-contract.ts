import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApiKeyRecord, Store } from '../../src/storage/store.ts';
import type { WithStore } from './store-contract.ts';

type NewApiKey = Parameters<Store['apiKeys']['insert']>[0];

function newApiKey(id: string, overrides: Partial<NewApiKey> = {}): NewApiKey {
  return {
    id,
    secretHash: `hash-of-${id}`,
    last6: id.slice(-6),
    apiKeyType: 'INFERENCE',
    description: `key ${id}`,
    createdAt: '2026-03-01T12:00:00.000Z',
    expiresAt: null,
    ...overrides,
  };
}

/** What findById returns right after inserting `record`: the documented defaults filled in. */
function stored(record: NewApiKey): ApiKeyRecord {
  return {
    accountId: 'default',
    consumptionLimits: { usd: null, diem: null, vcu: null },
    limitPeriod: 'EPOCH',
    modelPrivacy: 'ALL',
    ...record,
    createdAt: record.createdAt ?? '',
    revokedAt: null,
    lastUsedAt: null,
  };
}

function minutesAfter(iso: string, minutes: number): string {
  return new Date(Date.parse(iso) + minutes * 60_000).toISOString();
}

/** store.ts ApiKeyRepository: every method, its edge cases and its races. */
export function apiKeysContract(withStore: WithStore): void {
  describe('apiKeys.insert / findById', () => {
    it('round-trips every field; timestamps come back as the same ISO strings', () =>
      withStore(async (store) => {
        const record = newApiKey('k1', {
          apiKeyType: 'ADMIN',
          description: 'O\'Brien\'s "key" ✓ — ; drop table api_keys; --',
          createdAt: '2026-03-01T12:34:56.789Z',
          expiresAt: '2027-01-02T03:04:05.006Z',
        });
        await store.apiKeys.insert(record);
        assert.deepStrictEqual(await store.apiKeys.findById('k1'), stored(record));
      }));

    it('round-trips the account, limits (integer nanos past 2^32), period and privacy', () =>
      withStore(async (store) => {
        const record = newApiKey('k1', {
          accountId: 'acct-1',
          consumptionLimits: { usd: 123_456_789_012_345, diem: 0, vcu: null },
          limitPeriod: 'MONTH',
          modelPrivacy: 'PRIVATE_ONLY',
        });
        await store.apiKeys.insert(record);
        assert.deepStrictEqual(await store.apiKeys.findById('k1'), stored(record));
      }));

    it('stamps createdAt with the current time as an ISO string when none is given', () =>
      withStore(async (store) => {
        const { createdAt: _omitted, ...record } = newApiKey('k1');
        const before = new Date().toISOString();
        await store.apiKeys.insert(record);
        const after = new Date().toISOString();
        const createdAt = (await store.apiKeys.findById('k1'))?.createdAt;
        assert.ok(
          typeof createdAt === 'string' && createdAt >= before && createdAt <= after,
          `${createdAt} not in [${before}, ${after}]`,
        );
        assert.equal(new Date(createdAt).toISOString(), createdAt);
      }));

    it('rejects a duplicate id and keeps the first record', () =>
      withStore(async (store) => {
        await store.apiKeys.insert(newApiKey('k1', { description: 'first' }));
        await assert.rejects(store.apiKeys.insert(newApiKey('k1', { description: 'second' })));
        assert.equal((await store.apiKeys.findById('k1'))?.description, 'first');
      }));

    it('finds nothing for an unknown id, and finds a revoked key with its revokedAt', () =>
      withStore(async (store) => {
        assert.equal(await store.apiKeys.findById('missing'), undefined);
        await store.apiKeys.insert(newApiKey('k1'));
        await store.apiKeys.revoke('k1', '2026-03-02T00:00:00.000Z');
        assert.equal((await store.apiKeys.findById('k1'))?.revokedAt, '2026-03-02T00:00:00.000Z');
      }));

    it('lands 200 concurrent inserts with distinct ids', () =>
      withStore(async (store) => {
        const ids = Array.from({ length: 200 }, (_, index) => `k${String(index).padStart(3, '0')}`);
        await Promise.all(ids.map((id) => store.apiKeys.insert(newApiKey(id))));
        assert.deepEqual(
          (await store.apiKeys.listActive()).map((key) => key.id),
          ids,
        );
      }));
  });

  describe('apiKeys.listActive', () => {
    it('is empty on a fresh store', () =>
      withStore(async (store) => {
        assert.deepEqual(await store.apiKeys.listActive(), []);
      }));

    it('lists keys oldest first (ties by id), leaving out revoked keys but not expired ones', () =>
      withStore(async (store) => {
        await store.apiKeys.insert(newApiKey('c', { createdAt: '2026-03-03T00:00:00.000Z' }));
        await store.apiKeys.insert(newApiKey('b', { createdAt: '2026-03-01T00:00:00.000Z' }));
        await store.apiKeys.insert(newApiKey('a', { createdAt: '2026-03-01T00:00:00.000Z' }));
        await store.apiKeys.insert(
          newApiKey('expired', {
            createdAt: '2026-03-02T00:00:00.000Z',
            expiresAt: '2026-03-02T00:00:01.000Z',
          }),
        );
        await store.apiKeys.insert(newApiKey('revoked', { createdAt: '2026-02-01T00:00:00.000Z' }));
        await store.apiKeys.revoke('revoked', '2026-03-04T00:00:00.000Z');
        const active = await store.apiKeys.listActive();
        assert.deepEqual(
          active.map((key) => key.id),
          ['a', 'b', 'expired', 'c'],
        );
        assert.deepStrictEqual(
          active[0],
          stored(newApiKey('a', { createdAt: '2026-03-01T00:00:00.000Z' })),
        );
      }));

    it('lists only the keys of the given account', () =>
      withStore(async (store) => {
        await store.apiKeys.insert(newApiKey('mine-1', { accountId: 'acct-1' }));
        await store.apiKeys.insert(newApiKey('theirs', { accountId: 'acct-2' }));
        await store.apiKeys.insert(
          newApiKey('mine-2', { accountId: 'acct-1', createdAt: '2026-03-02T00:00:00.000Z' }),
        );
        await store.apiKeys.insert(newApiKey('default'));
        assert.deepEqual(
          (await store.apiKeys.listActive('acct-1')).map((key) => key.id),
          ['mine-1', 'mine-2'],
        );
        assert.deepEqual(
          (await store.apiKeys.listActive('default')).map((key) => key.id),
          ['default'],
        );
        assert.deepEqual(await store.apiKeys.listActive('nobody'), []);
      }));
  });

  describe('apiKeys.update', () => {
    it('changes only the fields in the patch and returns the updated record', () =>
      withStore(async (store) => {
        const record = newApiKey('k1', { expiresAt: '2027-01-01T00:00:00.000Z' });
        await store.apiKeys.insert(record);
        const patched = await store.apiKeys.update('k1', {
          description: 'renamed',
          consumptionLimits: { usd: 5_000_000_000, diem: null, vcu: 7 },
        });
        const expected = stored({
          ...record,
          description: 'renamed',
          consumptionLimits: { usd: 5_000_000_000, diem: null, vcu: 7 },
        });
        assert.deepStrictEqual(patched, expected);
        assert.deepStrictEqual(await store.apiKeys.findById('k1'), expected);
        const all = await store.apiKeys.update('k1', {
          expiresAt: null,
          limitPeriod: 'LIFETIME',
          modelPrivacy: 'PRIVATE_TEXT',
        });
        assert.deepStrictEqual(all, {
          ...expected,
          expiresAt: null,
          limitPeriod: 'LIFETIME',
          modelPrivacy: 'PRIVATE_TEXT',
        });
      }));

    it('returns the record unchanged for an empty patch', () =>
      withStore(async (store) => {
        await store.apiKeys.insert(newApiKey('k1'));
        assert.deepStrictEqual(await store.apiKeys.update('k1', {}), stored(newApiKey('k1')));
      }));

    it('returns undefined, changing nothing, for an unknown or revoked key', () =>
      withStore(async (store) => {
        assert.equal(await store.apiKeys.update('missing', { description: 'x' }), undefined);
        await store.apiKeys.insert(newApiKey('k1'));
        await store.apiKeys.revoke('k1', '2026-03-02T00:00:00.000Z');
        assert.equal(await store.apiKeys.update('k1', { description: 'x' }), undefined);
        assert.equal((await store.apiKeys.findById('k1'))?.description, 'key k1');
      }));
  });

  describe('apiKeys.revoke', () => {
    it('returns true once, then false; the first revokedAt stays', () =>
      withStore(async (store) => {
        await store.apiKeys.insert(newApiKey('k1'));
        assert.equal(await store.apiKeys.revoke('k1', '2026-03-02T00:00:00.000Z'), true);
        assert.equal(await store.apiKeys.revoke('k1', '2026-03-03T00:00:00.000Z'), false);
        assert.equal((await store.apiKeys.findById('k1'))?.revokedAt, '2026-03-02T00:00:00.000Z');
      }));

    it('returns false for an unknown id and leaves other keys alone', () =>
      withStore(async (store) => {
        await store.apiKeys.insert(newApiKey('k1'));
        assert.equal(await store.apiKeys.revoke('missing', '2026-03-02T00:00:00.000Z'), false);
        assert.equal((await store.apiKeys.findById('k1'))?.revokedAt, null);
      }));

    it('returns true to exactly one of 50 concurrent revokes of the same key', () =>
      withStore(async (store) => {
        await store.apiKeys.insert(newApiKey('k1'));
        const at = (index: number): string =>
          new Date(Date.UTC(2026, 2, 2, 0, 0, index)).toISOString();
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, index) => store.apiKeys.revoke('k1', at(index))),
        );
        assert.equal(results.filter(Boolean).length, 1);
        assert.equal((await store.apiKeys.findById('k1'))?.revokedAt, at(results.indexOf(true)));
      }));
  });

  describe('apiKeys.touch', () => {
    const first = '2026-03-01T13:00:00.000Z';

    it('records the first use', () =>
      withStore(async (store) => {
        await store.apiKeys.insert(newApiKey('k1'));
        await store.apiKeys.touch('k1', first);
        assert.equal((await store.apiKeys.findById('k1'))?.lastUsedAt, first);
      }));

    it('writes at most once a minute: a use within the minute is not recorded, one after it is', () =>
      withStore(async (store) => {
        await store.apiKeys.insert(newApiKey('k1'));
        await store.apiKeys.touch('k1', first);
        await store.apiKeys.touch('k1', minutesAfter(first, 0.5));
        await store.apiKeys.touch('k1', minutesAfter(first, 59 / 60));
        assert.equal((await store.apiKeys.findById('k1'))?.lastUsedAt, first);
        await store.apiKeys.touch('k1', minutesAfter(first, 61 / 60));
        assert.equal(
          (await store.apiKeys.findById('k1'))?.lastUsedAt,
          minutesAfter(first, 61 / 60),
        );
      }));

    it('touches only the given key, and ignores an unknown id', () =>
      withStore(async (store) => {
        await store.apiKeys.insert(newApiKey('k1'));
        await store.apiKeys.insert(newApiKey('k2'));
        await store.apiKeys.touch('k1', first);
        await store.apiKeys.touch('missing', first);
        assert.equal((await store.apiKeys.findById('k2'))?.lastUsedAt, null);
        assert.equal(await store.apiKeys.findById('missing'), undefined);
      }));
  });
}
