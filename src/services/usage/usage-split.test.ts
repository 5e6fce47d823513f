import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { TextPricing } from '../../config.ts';
import type { UsageRecord } from '../../storage/store.ts';
import { splitUsage } from './usage-split.ts';

const record = (amount: number, promptTokens: number, completionTokens: number): UsageRecord => ({
  id: 'u1',
  requestId: 'r1',
  accountId: 'default',
  keyId: null,
  modelId: 'm',
  currency: 'USD',
  createdAt: '2026-12-06T00:00:00.000Z',
  modelType: 'text',
  amount,
  promptTokens,
  completionTokens,
  cachedTokens: 0,
  status: 'completed',
  executionMs: 1,
});
const pricing = (input: number, output: number) =>
  ({ input: { usd: input, diem: input }, output: { usd: output, diem: output } }) as TextPricing;

it('splits a charge in proportion to the list cost exactly, the parts adding up to it', () => {
  // 3571526100826 × (104687 × 0.7) / (104687 × 0.7 + 35152 × 0.9) = 2494570954586.4…: the float division said …587.
  const parts = splitUsage(record(3_571_526_100_826, 104_687, 35_152), pricing(0.7, 0.9));
  assert.deepEqual(
    parts.map((part) => [part.kind, part.amount]),
    [
      ['input', 2_494_570_954_586],
      ['output', 3_571_526_100_826 - 2_494_570_954_586],
    ],
  );
  // Half a nano rounds up; without pricing the charge follows the token counts.
  assert.deepEqual(
    splitUsage(record(3, 1, 1), pricing(1, 1)).map((part) => part.amount),
    [2, 1],
  );
  assert.deepEqual(
    splitUsage(record(10, 3, 1), undefined).map((part) => part.amount),
    [8, 2],
  );
});
