import sharp from 'sharp';
import type { RawImage } from '../engine.ts';

type Triple = readonly [number, number, number];

/**
 * The model's input: the image resized to size × size (aspect ratio not kept, Lanczos, as rembg does),
 * as planar float32 RGB [1,3,S,S] normalized per channel to (x/255 - mean) / std. An alpha channel is dropped.
 */
export async function imageToTensor(
  image: RawImage,
  size: number,
  mean: Triple,
  std: Triple,
): Promise<Float32Array> {
  const { data } = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: image.channels },
  })
    .removeAlpha()
    .resize(size, size, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const plane = size * size;
  const tensor = new Float32Array(3 * plane);
  for (let channel = 0; channel < 3; channel += 1) {
    const offset = channel * plane;
    const shift = mean[channel]!;
    const scale = std[channel]!;
    for (let pixel = 0; pixel < plane; pixel += 1)
      tensor[offset + pixel] = (data[pixel * 3 + channel]! / 255 - shift) / scale;
  }
  return tensor;
}

/**
 * The model's first output (one channel of outputWidth × outputHeight, any range) as an 8-bit mask of
 * width × height: min-max normalized to 0..1 as rembg does (a flat output, which has no range, is only
 * clamped to 0..1), scaled to 0..255, resized with Lanczos.
 */
export async function tensorToMask(
  output: Float32Array,
  outputWidth: number,
  outputHeight: number,
  width: number,
  height: number,
): Promise<Buffer> {
  let low = Infinity;
  let high = -Infinity;
  for (const value of output) {
    if (value < low) low = value;
    if (value > high) high = value;
  }
  const range = high - low;
  const flat = !(range > 1e-6);
  const small = Buffer.alloc(outputWidth * outputHeight);
  for (let pixel = 0; pixel < small.length; pixel += 1) {
    const value = output[pixel]!;
    const unit = flat
      ? Math.min(1, Math.max(0, Number.isNaN(value) ? 0 : value))
      : (value - low) / range;
    small[pixel] = Math.round(unit * 255);
  }
  if (outputWidth === width && outputHeight === height) return small;
  const { data, info } = await sharp(small, {
    raw: { width: outputWidth, height: outputHeight, channels: 1 },
  })
    .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 1 || data.length !== width * height)
    throw new Error(`mask resize gave ${info.width}x${info.height}x${info.channels}`);
  return data;
}
