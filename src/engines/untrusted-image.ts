import sharp, { type Metadata, type Sharp, type SharpOptions } from 'sharp';
import { IMAGE_DEFAULTS } from '../config/media-limits-config.ts';
import { Semaphore } from './semaphore.ts';

/** The caps on decoding images from outside (a client's, or an engine's answer); config `mediaLimits.image`. */
export interface ImageDecodeLimits {
  /** Most pixels (width × height of the first page) decoded; the header of a larger image is read, never its pixels. */
  maxPixels: number;
  /**
   * sharp calls on such images at once, process-wide; the rest wait in arrival order. Each holds one of libuv's
   * 4 pool threads while it runs, which file, DNS and crypto calls also need: fewer than 4 keeps some for them.
   */
  concurrency: number;
  /** A decode or encode still running after this long is killed (libvips checks between tiles) and fails. */
  timeoutSeconds: number;
}

/**
 * The containers decoded. SVG is not among them: librsvg renders it, and a few hundred bytes of stacked filters
 * keep a thread busy for minutes (in one region, so sharp's timeout cannot stop it).
 */
export const RASTER_FORMATS: ReadonlySet<string> = new Set([
  'png',
  'jpeg',
  'webp',
  'gif',
  'tiff',
  'avif',
  'heif',
]);

let limits: ImageDecodeLimits = IMAGE_DEFAULTS;
let slots = new Semaphore(limits.concurrency);
const NEVER = new AbortController().signal;

/** Sets the caps for this process (sharp and libuv's pool are per process); holders of the old slots finish as they were. */
export function setImageDecodeLimits(next: ImageDecodeLimits): void {
  limits = next;
  slots = new Semaphore(next.concurrency);
}

export function imageDecodeLimits(): ImageDecodeLimits {
  return limits;
}

/** Why an image is refused before its pixels are decoded. */
export class ImageRefusedError extends Error {
  constructor(
    readonly reason: 'unreadable' | 'not_raster' | 'too_many_pixels',
    message: string,
  ) {
    super(message);
    this.name = 'ImageRefusedError';
  }
}

/**
 * sharp over bytes from outside: the pixel cap as limitInputPixels, the first page only, failOn 'error', and the
 * time limit. Call it inside withImageSlot.
 */
export function untrustedImage(bytes: Buffer, options: Pick<SharpOptions, 'failOn'> = {}): Sharp {
  return sharp(bytes, {
    failOn: 'error',
    limitInputPixels: limits.maxPixels,
    pages: 1,
    ...options,
  }).timeout({ seconds: limits.timeoutSeconds });
}

/**
 * The header (no pixels decoded): ImageRefusedError when sharp cannot read it, the container is not a raster
 * format, or the first page has more pixels than `maxPixels` or the cap. Call it inside withImageSlot.
 */
export async function imageHeaderOf(bytes: Buffer, maxPixels = Infinity): Promise<Metadata> {
  let metadata: Metadata;
  try {
    // The header only: sharp's own pixel limit (268 MP) would make a larger claim look unreadable, not too large.
    metadata = await sharp(bytes, {
      failOn: 'error',
      pages: 1,
      limitInputPixels: false,
    }).metadata();
  } catch {
    throw new ImageRefusedError('unreadable', 'the image could not be decoded');
  }
  if (!RASTER_FORMATS.has(metadata.format))
    throw new ImageRefusedError(
      'not_raster',
      `${metadata.format.toUpperCase()} images are not accepted; send PNG, JPEG, WebP, GIF, TIFF, AVIF or HEIF`,
    );
  const pixels = metadata.width * metadata.height;
  const most = Math.min(maxPixels, limits.maxPixels);
  if (pixels > most)
    throw new ImageRefusedError(
      'too_many_pixels',
      `The image is ${metadata.width}x${metadata.height} (${pixels} pixels); at most ${most} pixels are accepted`,
    );
  return metadata;
}

/** Runs `work` (sharp calls on outside images) in one of the process's decode slots; waiting ends if `signal` aborts. */
export async function withImageSlot<T>(
  work: () => Promise<T>,
  signal: AbortSignal = NEVER,
): Promise<T> {
  const release = await slots.acquire(signal);
  try {
    return await work();
  } finally {
    release();
  }
}
