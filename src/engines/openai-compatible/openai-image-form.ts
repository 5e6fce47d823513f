import { randomBytes } from 'node:crypto';
import type { UpstreamBody } from '../upstream/upstream-answer.ts';

/** A text field, or a file part. */
export type FormValue = string | { filename: string; contentType: string; bytes: Buffer };

/**
 * A multipart/form-data body (RFC 7578), as /images/edits takes it. Field names are Rialto's own
 * constants; values are sent as they are, and the random boundary cannot occur in a text value by chance.
 */
export function multipartForm(fields: readonly (readonly [string, FormValue])[]): UpstreamBody {
  const boundary = `rialto-${randomBytes(16).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const [name, value] of fields) {
    const disposition =
      typeof value === 'string'
        ? `form-data; name="${name}"`
        : `form-data; name="${name}"; filename="${value.filename}"\r\nContent-Type: ${value.contentType}`;
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n\r\n`),
      typeof value === 'string' ? Buffer.from(value) : value.bytes,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(chunks),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

/** The container of an encoded image by its magic bytes: PNG, JPEG or WebP (what OpenAI's /images/edits takes). */
export function imageFileOf(
  bytes: Buffer,
  index: number,
): { filename: string; contentType: string; bytes: Buffer } {
  if (bytes.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff])))
    return { filename: `image-${index}.jpg`, contentType: 'image/jpeg', bytes };
  if (
    bytes.subarray(0, 4).toString('latin1') === 'RIFF' &&
    bytes.subarray(8, 12).toString('latin1') === 'WEBP'
  )
    return { filename: `image-${index}.webp`, contentType: 'image/webp', bytes };
  return { filename: `image-${index}.png`, contentType: 'image/png', bytes };
}
