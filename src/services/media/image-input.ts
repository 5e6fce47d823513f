import sharp, { type Metadata, type Sharp } from 'sharp';
import type { RawImage } from '../../engines/engine.ts';
import {
  imageDecodeLimits,
  imageHeaderOf,
  ImageRefusedError,
  untrustedImage,
  withImageSlot,
} from '../../engines/untrusted-image.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import type { UrlFetcher } from './url-fetcher.ts';

/** INVENTORY §1 rows 6–9: image inputs are under 25 MB. */
export const MAX_IMAGE_BYTES = 25 * 1024 * 1024;

export type ImageFormat = 'png' | 'jpeg' | 'webp';

export interface ImageLimits {
  /** The request field, named in errors. */
  field: string;
  /** Fewest pixels (width × height) accepted; fewer is 400 IMAGE_TOO_SMALL. */
  minPixels?: number;
  /** Most pixels accepted; more is 422 IMAGE_TOO_LARGE. */
  maxPixels?: number;
  /** Largest encoded size; more is 413 PAYLOAD_TOO_LARGE. Default 25 MB. */
  maxBytes?: number;
}

export interface DecodedImage {
  /** The encoded bytes as received. */
  bytes: Buffer;
  width: number;
  height: number;
  /** sharp's name for the container: png, jpeg, webp, gif, tiff, avif, … */
  format: string;
  hasAlpha: boolean;
}

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

function invalidImage(field: string, why: string): VeniceError {
  return new VeniceError('CORRUPTED_IMAGE', {
    extra: { details: { [field]: { _errors: [why] } } },
  });
}

/** The bytes of an image given as a data URL or bare base64 (whitespace allowed, URL-safe alphabet too). */
function decodeBase64(value: string, field: string): Buffer {
  const comma = value.startsWith('data:') ? value.indexOf(',') : -1;
  if (value.startsWith('data:') && (comma === -1 || !value.slice(0, comma).endsWith(';base64')))
    throw invalidImage(field, 'a data URL must be base64-encoded');
  const text = (comma === -1 ? value : value.slice(comma + 1)).replace(/\s+/g, '');
  if (text.length === 0 || !BASE64.test(text))
    throw invalidImage(field, 'not a base64-encoded image, a data URL or an http(s) URL');
  return Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
}

/**
 * Reads an image a client sent: file bytes (multipart), base64, a data URL, or an http(s) URL (fetched
 * through the UrlFetcher's rules). Checks that it decodes and its size against `limits`, with the codes
 * the spec names: 413 PAYLOAD_TOO_LARGE, 400 CORRUPTED_IMAGE, 400 IMAGE_TOO_SMALL, 422 IMAGE_TOO_LARGE.
 */
export async function readImageInput(
  value: string | Buffer,
  limits: ImageLimits,
  fetcher?: UrlFetcher,
  signal?: AbortSignal,
): Promise<DecodedImage> {
  const maxBytes = limits.maxBytes ?? MAX_IMAGE_BYTES;
  let bytes: Buffer;
  if (Buffer.isBuffer(value)) {
    bytes = value;
  } else if (/^https?:\/\//i.test(value)) {
    if (fetcher === undefined) throw invalidImage(limits.field, 'URLs are not accepted here');
    bytes = (
      await fetcher.fetch(value, {
        field: limits.field,
        maxBytes,
        accept: ['image/'],
        ...(signal === undefined ? {} : { signal }),
      })
    ).bytes;
  } else {
    // base64 is 4/3 of the bytes: refuse an oversized string before decoding it.
    if (value.length > Math.ceil(maxBytes / 3) * 4 + 1024)
      throw new VeniceError('PAYLOAD_TOO_LARGE');
    bytes = decodeBase64(value, limits.field);
  }
  if (bytes.length > maxBytes) throw new VeniceError('PAYLOAD_TOO_LARGE');
  if (bytes.length === 0) throw invalidImage(limits.field, 'the image is empty');
  return withImageSlot(() => decodeChecked(bytes, limits), signal);
}

/** Reads the header, checks the size (no pixel is decoded before), then decodes every pixel once to find damage. */
async function decodeChecked(bytes: Buffer, limits: ImageLimits): Promise<DecodedImage> {
  let metadata: Metadata;
  try {
    metadata = await imageHeaderOf(bytes, limits.maxPixels);
  } catch (error) {
    if (!(error instanceof ImageRefusedError)) throw error;
    if (error.reason === 'too_many_pixels')
      throw new VeniceError('IMAGE_TOO_LARGE', {
        extra: { details: { [limits.field]: { _errors: [error.message] } } },
      });
    throw invalidImage(limits.field, error.message);
  }
  const { width, height, format } = metadata;
  if (width === 0 || height === 0) throw invalidImage(limits.field, 'the image has no dimensions');
  const pixels = width * height;
  if (limits.minPixels !== undefined && pixels < limits.minPixels) {
    throw new VeniceError('IMAGE_TOO_SMALL', {
      extra: {
        details: {
          [limits.field]: {
            _errors: [
              `The image is ${width}x${height} (${pixels} pixels); at least ${limits.minPixels} pixels are required`,
            ],
          },
        },
      },
    });
  }
  // The header can be whole while the pixels are cut short: shrinking reads every pixel (not the JPEG or WebP
  // shrink-on-load, which skips detail) into a 64-pixel thumbnail, under the decode time limit.
  try {
    await untrustedImage(bytes)
      .resize({ width: 64, height: 64, fit: 'inside', fastShrinkOnLoad: false })
      .raw()
      .toBuffer();
  } catch (error) {
    const timedOut = error instanceof Error && error.message.startsWith('timeout');
    throw invalidImage(
      limits.field,
      timedOut
        ? `decoding the image took longer than ${imageDecodeLimits().timeoutSeconds} s`
        : 'the image is truncated or its data is corrupt',
    );
  }
  return { bytes, width, height, format, hasAlpha: metadata.hasAlpha };
}

/** Decodes to raw pixels (EXIF orientation applied), RGB or RGBA. A decode failure is CORRUPTED_IMAGE. */
export async function toRawImage(
  image: Buffer,
  options: { channels: 3 | 4; field?: string },
): Promise<RawImage> {
  try {
    return await withImageSlot(async () => {
      let pipeline = untrustedImage(image).rotate();
      pipeline = options.channels === 4 ? pipeline.ensureAlpha() : pipeline.removeAlpha();
      const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.height, channels: options.channels };
    });
  } catch {
    throw invalidImage(options.field ?? 'image', 'the image could not be decoded');
  }
}

/** Encodes raw pixels (PNG keeps an alpha channel; JPEG flattens it). */
export async function encodeRawImage(image: RawImage, format: ImageFormat): Promise<Buffer> {
  const pipeline = sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: image.channels },
  }).timeout({ seconds: imageDecodeLimits().timeoutSeconds });
  return withImageSlot(() => encodeWith(pipeline, format));
}

/**
 * Re-encodes a raster image (an engine's answer, or a client's image already read) into `format`, resized to
 * width × height when given (cover, centred). Rejects with ImageRefusedError or sharp's error.
 */
export async function convertImage(
  image: Buffer,
  format: ImageFormat,
  size?: { width: number; height: number },
): Promise<Buffer> {
  return withImageSlot(async () => {
    await imageHeaderOf(image);
    let pipeline = untrustedImage(image, { failOn: 'warning' }).rotate();
    if (size !== undefined) pipeline = pipeline.resize(size.width, size.height, { fit: 'cover' });
    return encodeWith(pipeline, format);
  });
}

function encodeWith(pipeline: Sharp, format: ImageFormat): Promise<Buffer> {
  switch (format) {
    case 'png':
      return pipeline.png().toBuffer();
    case 'jpeg':
      return pipeline.flatten({ background: '#ffffff' }).jpeg({ quality: 90 }).toBuffer();
    case 'webp':
      return pipeline.webp({ quality: 90 }).toBuffer();
  }
}

export const IMAGE_CONTENT_TYPES: Record<ImageFormat, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};
