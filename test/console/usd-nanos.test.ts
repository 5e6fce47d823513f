// The console's exact money format (console/src/format.ts usdNanos): integer nano-USD to dollars through BigInt, so
// amounts that a float would blur (past 2^53 / 1e9 precision, or 0.1 + 0.2) show every significant nano.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { usdNanos } from '../../console/src/format.ts';

// The format follows the runtime's locale: the expectations read its grouping and decimal marks.
const group = new Intl.NumberFormat().formatToParts(1000).find((part) => part.type === 'group');
const en = group?.value === ',' && new Intl.NumberFormat().format(1.5) === '1.5';

describe('usdNanos', { skip: en ? false : 'the runtime locale is not English' }, () => {
  it('shows at least two decimals and every significant nano, without float drift', () => {
    assert.equal(usdNanos(0), '$0.00');
    assert.equal(usdNanos(5_000_000_000), '$5.00');
    assert.equal(usdNanos(1_500_000_000), '$1.50');
    assert.equal(usdNanos(1), '$0.000000001');
    assert.equal(usdNanos(300_000_000), '$0.30');
    assert.equal(usdNanos(4_876_543_212), '$4.876543212');
    // As a double, 9007198999999999 / 1e9 is 9007198.999999998: the exact figure keeps its last nano.
    assert.equal(usdNanos(9_007_198_999_999_999), '$9,007,198.999999999');
    assert.equal(usdNanos(9_007_199_254_740_991), '$9,007,199.254740991');
  });

  it('puts a minus before a negative amount (a CHARGE)', () => {
    assert.equal(usdNanos(-123_456_789), '-$0.123456789');
    assert.equal(usdNanos(-1), '-$0.000000001');
    assert.equal(usdNanos(-2_000_000_000), '-$2.00');
  });
});
