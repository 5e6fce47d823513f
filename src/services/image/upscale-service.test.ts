import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { modelConfigSchema } from '../../config.ts';
import type { Engine } from '../../engines/engine.ts';
import type { ModelEntry } from '../model-registry.ts';
import { appliedScale, MAX_OUTPUT_PIXELS, upscaleCostOf } from './upscale-service.ts';

describe('appliedScale', () => {
  it('keeps 4 while 4× stays within 16,777,216 pixels, and lowers it to 2 beyond', () => {
    assert.equal(appliedScale(4, 1024 * 1024), 4);
    assert.equal(MAX_OUTPUT_PIXELS, 4096 * 4096);
    assert.equal(appliedScale(4, 1024 * 1024 + 1), 2);
    assert.equal(appliedScale(4, 2048 * 2048), 2);
    assert.equal(appliedScale(2, 2048 * 2048), 2);
    assert.equal(appliedScale(2, 256 * 256), 2);
  });
});

describe('upscaleCostOf', () => {
  const entryOf = (pricing: Record<string, unknown>): ModelEntry => ({
    config: modelConfigSchema.parse({
      id: 'upscaler',
      type: 'upscale',
      engine: { kind: 'esrgan' },
      pricing,
    }),
    engine: {} as Engine,
    engineModel: 'upscaler',
  });

  it('is the price of the factor applied', () => {
    const entry = entryOf({
      input: { usd: 0, diem: 0 },
      output: { usd: 0, diem: 0 },
      upscale: { '2x': { usd: 0.02, diem: 0.03 }, '4x': { usd: 0.08, diem: 0.09 } },
    });
    assert.deepEqual(upscaleCostOf(entry, 2), { usd: 0.02, diem: 0.03 });
    assert.deepEqual(upscaleCostOf(entry, 4), { usd: 0.08, diem: 0.09 });
  });

  it('is free when the model has no upscale prices', () => {
    assert.deepEqual(
      upscaleCostOf(entryOf({ input: { usd: 0, diem: 0 }, output: { usd: 0, diem: 0 } }), 4),
      { usd: 0, diem: 0 },
    );
  });
});
