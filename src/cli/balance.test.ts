import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_NANOS } from '../storage/store.ts';
import { parseBalanceAmount } from './balance.ts';

// Issue #15.10c: `rialto balance add 0x10` credited 16 and `1e-12` credited nothing.
describe('parseBalanceAmount', () => {
  it('reads plain decimal amounts exactly, in nanos', () => {
    for (const [text, nanos] of [
      ['10', 10_000_000_000],
      ['10.50', 10_500_000_000],
      ['0.1', 100_000_000],
      ['0.000000001', 1],
      ['007', 7_000_000_000],
      ['1.0000000000', 1_000_000_000],
      ['9007199.254740991', MAX_NANOS],
      ['0.3', 300_000_000],
    ] as const) {
      assert.equal(parseBalanceAmount(text), nanos, text);
    }
  });

  it('refuses hex, exponents, signs, spaces and anything else that is not a plain decimal', () => {
    for (const text of [
      '0x10',
      '0X10',
      '0b11',
      '0o7',
      '1e3',
      '1E3',
      '1e-12',
      '-5',
      '+5',
      ' 5',
      '5 ',
      '1_000',
      '1,5',
      '.5',
      '5.',
      'Infinity',
      'NaN',
      '',
      'lots',
      '١٢',
    ]) {
      assert.throws(() => parseBalanceAmount(text), /plain decimal amount/, JSON.stringify(text));
    }
  });

  it('refuses zero, amounts finer than one nano-unit and amounts past what a balance holds', () => {
    for (const text of ['0', '0.0', '0.000000000'])
      assert.throws(() => parseBalanceAmount(text), /above zero/, text);
    for (const text of ['0.0000000001', '1.0000000005'])
      assert.throws(
        () => parseBalanceAmount(text),
        /finer than the smallest unit, 0\.000000001/,
        text,
      );
    for (const text of ['9007199.254740992', '1000000000', '99999999999999999999999'])
      assert.throws(
        () => parseBalanceAmount(text),
        /more than a balance holds \(at most 9007199\.254740991\)/,
        text,
      );
    assert.throws(() => parseBalanceAmount(undefined), /needs an amount/);
  });
});
