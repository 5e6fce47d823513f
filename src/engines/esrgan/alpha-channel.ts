import sharp from 'sharp';
import type { RawImage } from '../engine.ts';
import type { RgbImage } from './tiled-upscale.ts';

/** The colour of an image (3 bytes a pixel) and, for RGBA, its alpha (1 byte a pixel). */
export function splitAlpha(image: RawImage): { rgb: RgbImage; alpha?: Buffer } {
  const { width, height } = image;
  if (image.channels === 3) return { rgb: { data: image.data, width, height } };
  const pixels = width * height;
  const rgb = Buffer.alloc(pixels * 3);
  const alpha = Buffer.alloc(pixels);
  for (let pixel = 0; pixel < pixels; pixel += 1) {
    rgb[pixel * 3] = image.data[pixel * 4]!;
    rgb[pixel * 3 + 1] = image.data[pixel * 4 + 1]!;
    rgb[pixel * 3 + 2] = image.data[pixel * 4 + 2]!;
    alpha[pixel] = image.data[pixel * 4 + 3]!;
  }
  return { rgb: { data: rgb, width, height }, alpha };
}

/**
 * Scales an alpha channel to width × height with a Lanczos filter: ESRGAN was trained on colour only, and
 * an alpha mask is smooth enough for classic resampling (libvips, off the event loop).
 */
export async function resizeAlpha(
  alpha: Buffer,
  from: { width: number; height: number },
  to: { width: number; height: number },
): Promise<Buffer> {
  const { data, info } = await sharp(alpha, {
    raw: { width: from.width, height: from.height, channels: 1 },
  })
    .resize(to.width, to.height, { kernel: 'lanczos3', fit: 'fill' })
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 1 || data.length !== to.width * to.height)
    throw new Error(`alpha resize gave ${info.channels} channel(s), ${data.length} bytes`);
  return data;
}

/** RGBA pixels from RGB and alpha of the same size. */
export function joinAlpha(rgb: Buffer, alpha: Buffer): Buffer {
  const pixels = alpha.length;
  const rgba = Buffer.alloc(pixels * 4);
  for (let pixel = 0; pixel < pixels; pixel += 1) {
    rgba[pixel * 4] = rgb[pixel * 3]!;
    rgba[pixel * 4 + 1] = rgb[pixel * 3 + 1]!;
    rgba[pixel * 4 + 2] = rgb[pixel * 3 + 2]!;
    rgba[pixel * 4 + 3] = alpha[pixel]!;
  }
  return rgba;
}
