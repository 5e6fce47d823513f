// The real esrgan-slim networks in this process: tiling with ESRGAN_TILE_PADDING reproduces the
// whole-image result exactly (no seams), which the receptive-field arithmetic in esrgan-model.ts promises.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { ESRGAN_TILE_PADDING, loadEsrganModel, tileUpscalerOf } from './esrgan-model.ts';
import { upscaleTiled, type RgbImage } from './tiled-upscale.ts';
import { wasmTensorflow } from '../media/wasm-tensorflow.ts';

const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="96" height="80">
  <defs><linearGradient id="g"><stop offset="0" stop-color="#f30"/><stop offset="1" stop-color="#03f"/></linearGradient></defs>
  <rect width="96" height="80" fill="url(#g)"/><circle cx="40" cy="40" r="25" fill="#ff0" stroke="#000" stroke-width="3"/>
  <text x="5" y="72" font-family="sans-serif" font-size="20">Rialto</text></svg>`;

async function testImage(): Promise<RgbImage> {
  const { data, info } = await sharp(Buffer.from(SVG))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

const differing = (a: Buffer, b: Buffer): number =>
  a.reduce((count, value, index) => count + (value === b[index] ? 0 : 1), 0);

describe('esrgan-slim on the wasm backend', () => {
  for (const scale of [2, 4] as const) {
    it(`x${scale}: tiles of 32 px padded by ${ESRGAN_TILE_PADDING} equal the untiled result; no tensors leak`, async () => {
      const tf = await wasmTensorflow();
      assert.equal(tf.getBackend(), 'wasm');
      const upscaler = tileUpscalerOf(tf, await loadEsrganModel(tf, scale));
      const image = await testImage();
      const tensorsBefore = tf.memory().numTensors;
      const whole = await upscaleTiled(image, { scale, tileSize: 1024, padding: 0 }, upscaler);
      const tiled = await upscaleTiled(
        image,
        { scale, tileSize: 32, padding: ESRGAN_TILE_PADDING },
        upscaler,
      );
      assert.equal(tf.memory().numTensors, tensorsBefore);
      assert.equal(whole.length, 96 * scale * 80 * scale * 3);
      assert.equal(differing(whole, tiled), 0);
      // The same tiles without context do show seams: the comparison above can fail.
      const unpadded = await upscaleTiled(image, { scale, tileSize: 32, padding: 0 }, upscaler);
      assert.ok(differing(whole, unpadded) > 1000);
      // The network upscales, it does not invent: the output shrunk back is close to the input.
      const { data: shrunk } = await sharp(whole, {
        raw: { width: 96 * scale, height: 80 * scale, channels: 3 },
      })
        .resize(96, 80, { kernel: 'cubic' })
        .raw()
        .toBuffer({ resolveWithObject: true });
      const meanError =
        shrunk.reduce((sum, value, index) => sum + Math.abs(value - image.data[index]!), 0) /
        shrunk.length;
      assert.ok(meanError < 6, `mean absolute error ${meanError}`);
    });
  }
});
