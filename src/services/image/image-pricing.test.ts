import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { modelConfigSchema } from '../../config.ts';
import { imageCostOf } from './image-pricing.ts';

const price = (usd: number) => ({ usd, diem: usd });
const modelWith = (pricing: Record<string, unknown>, constraints: Record<string, unknown> = {}) =>
  modelConfigSchema.parse({
    id: 'm',
    type: 'image',
    engine: { kind: 'automatic1111', endpoints: [{ url: 'http://127.0.0.1:1' }] },
    pricing: { input: price(0), output: price(0), ...pricing },
    imageConstraints: constraints,
  });

describe('image pricing', () => {
  it('generation × images; free without a price', () => {
    assert.deepEqual(imageCostOf(modelWith({ generation: price(0.01) }), {}, 3), price(0.03));
    assert.deepEqual(imageCostOf(modelWith({}), {}, 4), price(0));
  });

  it('resolutions: the tier asked for, else the default tier; a tier missing from the table costs the dearest', () => {
    const model = modelWith(
      { generation: price(1), resolutions: { '1K': price(0.02), '2K': price(0.05) } },
      { resolutions: ['1K', '2K', '4K'], defaultResolution: '2K' },
    );
    assert.deepEqual(imageCostOf(model, { resolution: '1K' }, 2), price(0.04));
    assert.deepEqual(imageCostOf(model, {}, 1), price(0.05));
    assert.deepEqual(imageCostOf(model, { resolution: '4K' }, 1), price(0.05));
  });

  it('quality: quality[resolution][quality], the default quality (else high) when none is asked for', () => {
    const row = (low: number, medium: number, high: number) => ({
      low: price(low),
      medium: price(medium),
      high: price(high),
    });
    const model = modelWith(
      { quality: { '1K': row(0.01, 0.04, 0.17), '2K': row(0.02, 0.08, 0.3) } },
      { resolutions: ['1K', '2K'], defaultResolution: '1K' },
    );
    assert.deepEqual(imageCostOf(model, { resolution: '2K', quality: 'low' }, 1), price(0.02));
    assert.deepEqual(imageCostOf(model, {}, 2), price(0.34));
    assert.deepEqual(
      imageCostOf(
        modelWith({ quality: { '1K': row(0.01, 0.04, 0.17) } }, { defaultQuality: 'medium' }),
        {},
        1,
      ),
      price(0.04),
    );
  });
});
