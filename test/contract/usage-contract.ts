import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Currency, UsageRecord } from '../../src/storage/store.ts';
import type { WithStore } from './store-contract.ts';

function usageRecord(
  id: string,
  createdAt: string,
  overrides: Partial<UsageRecord> = {},
): UsageRecord {
  return {
    id,
    requestId: `request-${id}`,
    accountId: 'a1',
    keyId: 'k1',
    modelId: 'model',
    modelType: 'text',
    currency: 'USD',
    amount: 1_000,
    promptTokens: 10,
    completionTokens: 20,
    cachedTokens: 3,
    status: 'ok',
    executionMs: 42,
    createdAt,
    ...overrides,
  };
}

const at = (second: number): string => new Date(Date.UTC(2026, 2, 1, 0, 0, second)).toISOString();

/** store.ts UsageRepository: every method and its query options. */
export function usageContract(withStore: WithStore): void {
  describe('usage.insert / list', () => {
    it('round-trips a record, a null keyId and amounts past 2^32 included', () =>
      withStore(async (store) => {
        const records = [
          usageRecord('u1', at(1), { amount: 123_456_789_012 }),
          usageRecord('u2', at(2), { keyId: null, currency: 'DIEM' }),
        ];
        for (const record of records) await store.usage.insert(record);
        assert.deepStrictEqual(await store.usage.list({ accountId: 'a1', limit: 10 }), records);
      }));

    it('lists one account in (createdAt, id) order, filtered by currency and [from, to), after a cursor, up to limit', () =>
      withStore(async (store) => {
        const inserted = [
          usageRecord('b', at(1)),
          usageRecord('a', at(1)),
          usageRecord('c', at(2), { currency: 'DIEM' }),
          usageRecord('d', at(3)),
          usageRecord('e', at(4)),
          usageRecord('other', at(2), { accountId: 'a2' }),
        ];
        for (const record of inserted) await store.usage.insert(record);
        const ids = async (
          query: Omit<Parameters<typeof store.usage.list>[0], 'accountId'>,
        ): Promise<string[]> =>
          (await store.usage.list({ accountId: 'a1', ...query })).map((record) => record.id);
        assert.deepEqual(await ids({ limit: 100 }), ['a', 'b', 'c', 'd', 'e']);
        assert.deepEqual(await ids({ limit: 2 }), ['a', 'b']);
        assert.deepEqual(await ids({ limit: 100, currency: 'USD' }), ['a', 'b', 'd', 'e']);
        assert.deepEqual(await ids({ limit: 100, from: at(2), to: at(4) }), ['c', 'd']);
        assert.deepEqual(await ids({ limit: 100, after: { createdAt: at(1), id: 'a' } }), [
          'b',
          'c',
          'd',
          'e',
        ]);
        assert.deepEqual(await ids({ limit: 100, after: { createdAt: at(4), id: 'e' } }), []);
        assert.deepEqual(await store.usage.list({ accountId: 'nobody', limit: 10 }), []);
      }));
  });

  describe('usage.keyTotals', () => {
    it('sums one key per currency from `from` on, zeros when nothing', () =>
      withStore(async (store) => {
        const zero: Record<Currency, number> = { USD: 0, DIEM: 0 };
        assert.deepStrictEqual(await store.usage.keyTotals('k1', at(0)), zero);
        await store.usage.insert(usageRecord('early', at(0), { amount: 1 }));
        await store.usage.insert(usageRecord('u1', at(1), { amount: 123_456_789_012 }));
        await store.usage.insert(usageRecord('u2', at(2), { amount: 5 }));
        await store.usage.insert(usageRecord('u3', at(3), { amount: 11, currency: 'DIEM' }));
        await store.usage.insert(usageRecord('u4', at(3), { amount: 1_000, keyId: 'k2' }));
        assert.deepStrictEqual(await store.usage.keyTotals('k1', at(1)), {
          USD: 123_456_789_017,
          DIEM: 11,
        });
      }));
  });
}
