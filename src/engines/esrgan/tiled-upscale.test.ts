import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { upscaleTiled, type RgbImage, type TileUpscaler } from './tiled-upscale.ts';

/** A deterministic RGB test pattern. */
function pattern(width: number, height: number): RgbImage {
  const data = Buffer.alloc(width * height * 3);
  for (let index = 0; index < data.length; index += 1)
    data[index] = (index * 37 + ((index / 3) | 0) * 11) % 256;
  return { data, width, height };
}

/**
 * A small convolutional "upscaler": a 3×3 box blur (zeros outside the tile, as a network's 'same' padding
 * sees) then nearest-neighbour enlargement, with an offset that pushes some values past 255. Its receptive
 * field reaches one pixel, so tiles padded by one must join without seams and tiles padded by none must not.
 */
const blurThenEnlarge =
  (scale: number): TileUpscaler =>
  (pixels, width, height) => {
    const output = new Float32Array(width * scale * height * scale * 3);
    for (let y = 0; y < height; y += 1) {
      for (let x = 0; x < width; x += 1) {
        for (let channel = 0; channel < 3; channel += 1) {
          let sum = 0;
          for (let dy = -1; dy <= 1; dy += 1) {
            for (let dx = -1; dx <= 1; dx += 1) {
              const row = y + dy;
              const column = x + dx;
              if (row >= 0 && row < height && column >= 0 && column < width)
                sum += pixels[(row * width + column) * 3 + channel]!;
            }
          }
          const value = (sum / 9) * 1.3 - 20;
          for (let sy = 0; sy < scale; sy += 1)
            for (let sx = 0; sx < scale; sx += 1)
              output[((y * scale + sy) * width * scale + x * scale + sx) * 3 + channel] = value;
        }
      }
    }
    return output;
  };

const differing = (a: Buffer, b: Buffer): number =>
  a.reduce((count, value, index) => count + (value === b[index] ? 0 : 1), 0);

describe('upscaleTiled', () => {
  const image = pattern(50, 37);

  for (const scale of [2, 4]) {
    it(`x${scale}: tiles padded by the receptive field give exactly the whole-image result; unpadded tiles show seams`, async () => {
      const whole = await upscaleTiled(
        image,
        { scale, tileSize: 1000, padding: 0 },
        blurThenEnlarge(scale),
      );
      assert.equal(whole.length, 50 * scale * 37 * scale * 3);
      const tiled = await upscaleTiled(
        image,
        { scale, tileSize: 16, padding: 1 },
        blurThenEnlarge(scale),
      );
      assert.equal(differing(whole, tiled), 0);
      const seams = await upscaleTiled(
        image,
        { scale, tileSize: 16, padding: 0 },
        blurThenEnlarge(scale),
      );
      assert.ok(differing(whole, seams) > 0);
    });
  }

  it('clips to 0..255 and rounds', async () => {
    const flat = { data: Buffer.from([0, 100, 255, 0, 100, 255]), width: 2, height: 1 };
    const result = await upscaleTiled(flat, { scale: 2, tileSize: 8, padding: 0 }, () =>
      Float32Array.from({ length: 24 }, (_, index) => [-5, 100.6, 300][index % 3]!),
    );
    assert.deepEqual(
      [...result],
      Array.from({ length: 24 }, (_, index) => [0, 101, 255][index % 3]),
    );
  });

  it('stops before a tile when beforeTile throws, and refuses a tile of the wrong size', async () => {
    let tiles = 0;
    const stopAfterTwo = (): void => {
      if (tiles === 2) throw new Error('stop');
    };
    const counting: TileUpscaler = (pixels, width, height) => {
      tiles += 1;
      return blurThenEnlarge(2)(pixels, width, height);
    };
    await assert.rejects(
      upscaleTiled(
        image,
        { scale: 2, tileSize: 16, padding: 1, beforeTile: stopAfterTwo },
        counting,
      ),
      /stop/,
    );
    assert.equal(tiles, 2);
    await assert.rejects(
      upscaleTiled(image, { scale: 2, tileSize: 16, padding: 1 }, () => new Float32Array(3)),
      /returned 3 values/,
    );
  });
});
