import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { modelConfigSchema, type ImageConstraints } from '../../config.ts';
import {
  aspectRatioDimensions,
  openAiSizeDimensions,
  ratioOf,
  tierPixels,
} from './image-dimensions.ts';

const limitsOf = (constraints: Record<string, unknown>): ImageConstraints =>
  modelConfigSchema.parse({
    id: 'm',
    type: 'image',
    engine: { kind: 'automatic1111', endpoints: [{ url: 'http://127.0.0.1:1' }] },
    imageConstraints: constraints,
  }).imageConstraints;

describe('image dimensions', () => {
  it('tiers are the long side (1K = 1024); ratios read "w:h"; anything else is square', () => {
    assert.deepEqual(['1K', '2K', '4K', '0.5K', 'HD'].map(tierPixels), [
      1024,
      2048,
      4096,
      512,
      undefined,
    ]);
    assert.deepEqual(['16:9', '1:1', 'auto', '0:1'].map(ratioOf), [16 / 9, 1, 1, 1]);
  });

  it('aspect ratio × tier: the long side from the tier, the short side from the ratio, both multiples of the divisor', () => {
    const limits = limitsOf({
      aspectRatios: ['1:1', '16:9', '9:16', '21:9'],
      resolutions: ['1K', '2K', '4K'],
      defaultResolution: '1K',
      widthHeightDivisor: 16,
    });
    assert.deepEqual(aspectRatioDimensions(limits, '16:9', '2K'), {
      width: 2048,
      height: 1152,
      resolution: '2K',
    });
    assert.deepEqual(aspectRatioDimensions(limits, '9:16', undefined), {
      width: 576,
      height: 1024,
      resolution: '1K',
    });
    assert.deepEqual(aspectRatioDimensions(limits, '21:9', '4K'), {
      width: 4096,
      height: 1760,
      resolution: '4K',
    });
    // Ratios without tiers: the model's default size is the long side.
    assert.deepEqual(
      aspectRatioDimensions(limitsOf({ aspectRatios: ['1:1', '3:2'] }), '3:2', undefined),
      { width: 1024, height: 680 },
    );
  });

  it('OpenAI sizes on a pixel model keep their ratio within maxDimension; on an aspect model pick the nearest ratio', () => {
    const pixel = limitsOf({ maxDimension: 1024, widthHeightDivisor: 8 });
    assert.deepEqual(openAiSizeDimensions(pixel, 'auto'), { width: 1024, height: 1024 });
    assert.deepEqual(openAiSizeDimensions(pixel, '1792x1024'), { width: 1024, height: 584 });
    assert.deepEqual(openAiSizeDimensions(pixel, '256x256'), { width: 256, height: 256 });
    const aspect = limitsOf({ aspectRatios: ['1:1', '3:2', '2:3'], resolutions: ['1K'] });
    assert.deepEqual(openAiSizeDimensions(aspect, '1024x1536'), {
      width: 680,
      height: 1024,
      resolution: '1K',
    });
  });
});
