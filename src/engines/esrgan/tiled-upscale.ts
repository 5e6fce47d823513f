import { planTiles } from './tile-plan.ts';

/** RGB pixels, 3 bytes a pixel, row by row. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Upscales one tile: RGB values 0..255 as floats, row by row (HWC), `width` × `height` in, `scale` times
 * wider and taller out in the same layout. Values outside 0..255 are allowed (they are clipped).
 */
export type TileUpscaler = (
  pixels: Float32Array,
  width: number,
  height: number,
) => Float32Array | Promise<Float32Array>;

export interface TiledUpscaleOptions {
  scale: number;
  /** Core tile edge in input pixels. */
  tileSize: number;
  /** Context around each tile in input pixels (see planTiles). */
  padding: number;
  /** Runs before each tile; throws to stop the upscale (cancellation). */
  beforeTile?: () => void;
}

/** Copies a region of `image` into a float tile (what the model reads). */
function cutTile(
  image: RgbImage,
  region: { x: number; y: number; width: number; height: number },
): Float32Array {
  const tile = new Float32Array(region.width * region.height * 3);
  for (let row = 0; row < region.height; row += 1) {
    const start = ((region.y + row) * image.width + region.x) * 3;
    tile.set(image.data.subarray(start, start + region.width * 3), row * region.width * 3);
  }
  return tile;
}

/**
 * Upscales `image` tile by tile (planTiles) and assembles the result: each tile's upscaled core is
 * clipped to 0..255, rounded, and written at its place; the padding the model saw is dropped. Memory
 * stays at one tile's worth besides the input and output, whatever the image's size.
 */
export async function upscaleTiled(
  image: RgbImage,
  options: TiledUpscaleOptions,
  upscaleTile: TileUpscaler,
): Promise<Buffer> {
  const { scale } = options;
  const outputWidth = image.width * scale;
  // A clamped array clips to 0..255 and rounds on every write.
  const output = new Uint8ClampedArray(outputWidth * image.height * scale * 3);
  for (const { core, padded } of planTiles(
    image.width,
    image.height,
    options.tileSize,
    options.padding,
  )) {
    options.beforeTile?.();
    const result = await upscaleTile(cutTile(image, padded), padded.width, padded.height);
    const resultWidth = padded.width * scale;
    if (result.length !== resultWidth * padded.height * scale * 3) {
      throw new Error(
        `tile upscaler returned ${result.length} values for a ${padded.width}x${padded.height} tile at scale ${scale}`,
      );
    }
    const offsetX = (core.x - padded.x) * scale;
    const offsetY = (core.y - padded.y) * scale;
    const rowLength = core.width * scale * 3;
    for (let row = 0; row < core.height * scale; row += 1) {
      const from = ((offsetY + row) * resultWidth + offsetX) * 3;
      output.set(
        result.subarray(from, from + rowLength),
        ((core.y * scale + row) * outputWidth + core.x * scale) * 3,
      );
    }
  }
  return Buffer.from(output.buffer, output.byteOffset, output.byteLength);
}
