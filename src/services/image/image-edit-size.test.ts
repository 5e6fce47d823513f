import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { editCostOf } from './image-edit-pricing.ts';
import { longSideOf, outputRatio, outputSize } from './image-edit-size.ts';

const price = (usd: number) => ({ usd, diem: usd });
const FREE = price(0);

describe('edit output size', () => {
  it('tiers: 1K, 2K and 4K long sides; anything else is 1K', () => {
    assert.deepEqual(
      ['1K', '2K', '4K', '2k', 'HD'].map(longSideOf),
      [1024, 2048, 4096, 2048, 1024],
    );
  });

  it('sides are multiples of 16 with the tier as the long side, for wide and tall ratios', () => {
    assert.deepEqual(outputSize(16 / 9, 1024), { width: 1024, height: 576 });
    assert.deepEqual(outputSize(9 / 16, 2048), { width: 1152, height: 2048 });
    assert.deepEqual(outputSize(21 / 9, 1024), { width: 1024, height: 432 });
    assert.deepEqual(outputSize(1, 4096), { width: 4096, height: 4096 });
    assert.deepEqual(outputSize(100, 1024), { width: 1024, height: 16 });
  });

  it("ratio: the one asked for; auto keeps the input's, or takes the closest listed one; singleImageAspectRatio false keeps the input's", () => {
    const input = { width: 640, height: 480 };
    assert.equal(outputRatio(input, '16:9', undefined, false), 16 / 9);
    assert.equal(outputRatio(input, 'auto', undefined, false), 4 / 3);
    assert.equal(outputRatio(input, undefined, ['auto', '1:1', '3:2', '16:9'], false), 3 / 2);
    assert.equal(
      outputRatio({ width: 480, height: 900 }, 'auto', ['1:1', '9:16', '2:3'], false),
      9 / 16,
    );
    assert.equal(outputRatio(input, '16:9', ['16:9'], true), 4 / 3);
  });
});

describe('edit price', () => {
  const pricing = {
    input: FREE,
    output: FREE,
    inpaint: price(0.11),
    inputImages: { included: 1, additional: price(0.0035) },
  };

  it('inpaint plus the extra input images (INVENTORY §6.2: $0.11 + 2 × $0.0035 for 3 inputs)', () => {
    assert.deepEqual(editCostOf(pricing, '1K', 'high', 1), price(0.11));
    assert.deepEqual(editCostOf(pricing, '1K', 'high', 3), price(0.117));
    assert.deepEqual(
      editCostOf(
        { ...pricing, inputImages: { included: 0, additional: price(0.0023) } },
        '1K',
        'high',
        1,
      ),
      price(0.1123),
    );
  });

  it('quality[resolution][quality] over resolutions[resolution] over inpaint; no price is free', () => {
    const tiers = {
      ...pricing,
      resolutions: { '1K': price(0.34), '2K': price(0.52) },
      quality: { '2K': { low: price(0.03), medium: price(0.14), high: price(0.52) } },
    };
    assert.deepEqual(editCostOf(tiers, '2K', 'medium', 1), price(0.14));
    assert.deepEqual(editCostOf(tiers, '1K', 'medium', 1), price(0.34));
    assert.deepEqual(editCostOf(tiers, '4K', 'medium', 1), price(0.11));
    assert.deepEqual(editCostOf({ input: FREE, output: FREE }, '1K', 'high', 2), FREE);
  });
});
