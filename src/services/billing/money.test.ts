import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_NANOS } from '../../storage/store.ts';
import { balanceRemainingHeader } from '../wallets/wallet-service.ts';
import { decimalOf, fixedOf, fromNanos, toNanos } from './money.ts';

// References written on the digits alone (no division, no double): what each conversion must print or read.
function digitsOf(nanos: number): { sign: string; whole: string; fraction: string } {
  const text = String(Math.abs(nanos)).padStart(10, '0');
  return {
    sign: nanos < 0 ? '-' : '',
    whole: text.slice(0, -9).replace(/^0+(?=\d)/, ''),
    fraction: text.slice(-9),
  };
}

function referenceDecimal(nanos: number): string {
  const { sign, whole, fraction } = digitsOf(nanos);
  const trimmed = fraction.replace(/0+$/, '');
  return trimmed === '' ? `${sign}${whole}` : `${sign}${whole}.${trimmed}`;
}

/** The nanos a decimal string names (at most nine decimals), by its digits. */
function referenceNanos(text: string): number {
  const [, sign, whole, fraction = ''] = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text) ?? [];
  assert.ok(whole !== undefined && fraction.length <= 9, text);
  const digits = `${whole}${fraction.padEnd(9, '0')}`.replace(/^0+(?=\d)/, '');
  return Number(`${sign}${digits}`);
}

const MAX_WHOLE = Math.floor(MAX_NANOS / 1e9);

/** Nanos in the stored range, biased to the boundaries: k·1e9 − 1, k·1e9, k·1e9 + 1, halves, the ends. */
const storedNanos = fc.oneof(
  fc.integer({ min: 0, max: MAX_NANOS }),
  fc
    .tuple(
      fc.integer({ min: 1, max: MAX_WHOLE }),
      fc.constantFrom(-1, 0, 1, -500, 500, -500_000_000, 499_999_999),
    )
    .map(([whole, offset]) => Math.min(MAX_NANOS, whole * 1e9 + offset)),
  fc.constantFrom(
    0,
    1,
    999_999_999,
    1e9,
    MAX_NANOS,
    MAX_NANOS - 1,
    2 ** 22 * 1e9,
    2 ** 23 * 1e9 - 1,
  ),
);
const signedNanos = fc
  .tuple(storedNanos, fc.boolean())
  .map(([nanos, negative]) => (negative ? -nanos : nanos));

describe('money: nanos ↔ decimal, exact over the stored range', () => {
  it('decimalOf prints every stored value exactly, negatives included', () => {
    assert.equal(decimalOf(MAX_NANOS), '9007199.254740991');
    assert.equal(decimalOf(1), '0.000000001');
    assert.equal(decimalOf(-1), '-0.000000001');
    assert.equal(decimalOf(-1_500_000_000), '-1.5');
    fc.assert(
      fc.property(signedNanos, (nanos) => decimalOf(nanos) === referenceDecimal(nanos)),
      { numRuns: 20_000 },
    );
    // Every whole unit's neighbours (k·1e9 − 1 is where a float division would reach k): a sampled sweep.
    for (let whole = 1; whole <= MAX_WHOLE; whole += 997)
      for (const nanos of [whole * 1e9 - 1, whole * 1e9, whole * 1e9 + 1])
        assert.equal(decimalOf(nanos), referenceDecimal(nanos));
    assert.throws(() => decimalOf(0.5), RangeError);
  });

  it('toNanos reads a nano decimal as its own nanos, above 2^22 units too', () => {
    // Math.round(4274676.351455325 * 1e9) is 4274676351455326: a nano too many.
    assert.equal(toNanos(4274676.351455325), 4274676351455325);
    assert.equal(toNanos(-4274676.351455325), -4274676351455325);
    assert.equal(toNanos(8388607.999999999), 8_388_607_999_999_999);
    // Above 2^23 units two nano values share a double: the one it prints as (9007199.25474099) is read.
    assert.equal(toNanos(9007199.254740991), 9_007_199_254_740_990);
    fc.assert(
      fc.property(signedNanos, (nanos) => {
        const amount = fromNanos(nanos);
        // The decimal the number prints as is what a caller wrote; below 2^23 units it is the nanos' own.
        // (1e-7 and smaller print with an exponent; toFixed(9) is exact that far under one unit.)
        const printed = String(amount);
        const expected = referenceNanos(printed.includes('e') ? amount.toFixed(9) : printed);
        if (Math.abs(nanos) < 2 ** 23 * 1e9 && expected !== nanos) return false;
        return toNanos(amount) === expected;
      }),
      { numRuns: 20_000 },
    );
    // Finer than a nano (a computed price): the nearest nano, as before.
    assert.equal(toNanos(0.0000123456789), 12346);
    assert.equal(toNanos(1e-12), 0);
  });

  it('fixedOf rounds on the integer, half away from zero, at any number of decimals', () => {
    // (6577056522858500 / 1e9).toFixed(6) is "6577056.522858": the double lies under the half.
    assert.equal(fixedOf(6_577_056_522_858_500, 6), '6577056.522859');
    assert.equal(balanceRemainingHeader(6_577_056_522_858_500), '6577056.522859');
    assert.equal(balanceRemainingHeader(4_230_000_000), '4.230000');
    assert.equal(fixedOf(-500, 6), '-0.000001');
    assert.equal(fixedOf(-499, 6), '0.000000');
    assert.equal(fixedOf(MAX_NANOS, 0), '9007199');
    assert.equal(fixedOf(MAX_NANOS, 9), '9007199.254740991');
    fc.assert(
      fc.property(signedNanos, fc.integer({ min: 0, max: 9 }), (nanos, digits) => {
        const { sign, whole, fraction } = digitsOf(nanos);
        // Reference: keep `digits` decimals, add one in the last place when the first dropped digit is 5 or more.
        const kept = BigInt(`${whole}${fraction.slice(0, digits)}`);
        const units = (fraction[digits] ?? '0') >= '5' ? kept + 1n : kept;
        const text = String(units).padStart(digits + 1, '0');
        const body = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
        return fixedOf(nanos, digits) === (units === 0n ? body : `${sign}${body}`);
      }),
      { numRuns: 20_000 },
    );
  });
});
