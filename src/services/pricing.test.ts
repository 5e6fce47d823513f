import { test } from 'node:test';
import assert from 'node:assert/strict';
import { priceOf } from './pricing.ts';

const pricing = {
  input: { usd: 6, diem: 6 },
  output: { usd: 20, diem: 20 },
  cache_input: { usd: 0.6, diem: 0.6 },
};

test('cached prompt tokens are billed at cache_input (docs/guides/features/prompt-caching.mdx example)', () => {
  // 5000 cached × $0.60/M + 500 × $6/M = $0.006
  assert.deepEqual(
    priceOf(pricing, { promptTokens: 5500, completionTokens: 0, cachedTokens: 5000 }),
    { usd: 0.006, diem: 0.006 },
  );
});

test('output tokens are billed at the output rate', () => {
  assert.deepEqual(priceOf(pricing, { promptTokens: 1_000_000, completionTokens: 1_000_000 }), {
    usd: 26,
    diem: 26,
  });
});

test('extended pricing applies to the whole request above the threshold', () => {
  const extended = {
    ...pricing,
    extended: {
      context_token_threshold: 100,
      input: { usd: 12, diem: 12 },
      output: { usd: 40, diem: 40 },
    },
  };
  assert.deepEqual(priceOf(extended, { promptTokens: 100, completionTokens: 0 }), {
    usd: 0.0006,
    diem: 0.0006,
  });
  assert.deepEqual(priceOf(extended, { promptTokens: 101, completionTokens: 1 }), {
    usd: 0.001252,
    diem: 0.001252,
  });
});
