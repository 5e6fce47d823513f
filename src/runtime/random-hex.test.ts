import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomHex } from './random-hex.ts';

test('randomHex gives the hex of as many bytes as asked, never the same twice across refills', () => {
  const seen = new Set<string>();
  // 1,000 × 16 bytes: the 4 KB pool is refilled three times on the way.
  for (let count = 0; count < 1_000; count += 1) {
    const hex = randomHex(16);
    assert.match(hex, /^[0-9a-f]{32}$/);
    assert.equal(seen.has(hex), false);
    seen.add(hex);
  }
  assert.match(randomHex(12), /^[0-9a-f]{24}$/);
  assert.match(randomHex(4096), /^[0-9a-f]{8192}$/);
  assert.throws(() => randomHex(4097), RangeError);
});

test('randomHex bytes are spread over all values (no zeroed or reused pool slice)', () => {
  const counts = new Array<number>(16).fill(0);
  for (let count = 0; count < 2_000; count += 1)
    for (const digit of randomHex(16)) counts[Number.parseInt(digit, 16)]! += 1;
  // 64,000 digits: about 4,000 each; a pool handed out twice or zeroed would skew this far past 3,500–4,500.
  for (const count of counts) assert.ok(count > 3_500 && count < 4_500, `digit count ${count}`);
});
