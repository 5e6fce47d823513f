import assert from 'node:assert/strict';
import { it } from 'node:test';
import { baseUnits, nanosOf } from './top-up-amounts.ts';

it("converts USD to a token's base units exactly, the minimum rounded up and the maximum down", () => {
  // USDC (6 decimals): Venice's amounts, unchanged.
  assert.equal(baseUnits(5, 6, 'up'), 5_000_000n);
  assert.equal(baseUnits(10_000, 6), 10_000_000_000n);
  // An 18-decimal token: Math.round(usd * 1e6) kept only micro-dollars (1e-7 → 0: any amount passed the minimum).
  assert.equal(baseUnits(0.0000001, 18, 'up'), 100_000_000_000n);
  assert.equal(baseUnits(5.123456789, 18), 5_123_456_789_000_000_000n);
  // A 2-decimal token: $5.555 is 556 cents as a minimum (555 would let $5.55 through), 555 as a maximum.
  assert.equal(baseUnits(5.555, 2, 'up'), 556n);
  assert.equal(baseUnits(5.555, 2, 'down'), 555n);
  // Above 2^22 dollars the product of doubles lands a unit off; the decimal's digits do not.
  assert.equal(baseUnits(4274676.351455325, 9), 4_274_676_351_455_325n);
});

it("converts a token's base units to nano-USD, flooring past nine decimals", () => {
  assert.equal(nanosOf(7_000_000n, 6), 7e9);
  assert.equal(nanosOf(1n, 18), 0);
  assert.equal(nanosOf(5_123_456_789_999_999_999n, 18), 5_123_456_789);
  assert.equal(nanosOf(556n, 2), 5_560_000_000);
});
