// A multipart/form-data body written out byte for byte (RFC 7578), so that the fuzzer can cut it short, send it
// under the wrong boundary, or send it from a raw socket.
import { FuzzFile } from './swagger-arbitraries.ts';

/** The form's bytes: each value (or each item of an array) one part; files as file parts. */
export function multipartBytes(fields: Record<string, unknown>, boundary: string): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      const file = item instanceof FuzzFile ? item : undefined;
      const disposition = `form-data; name="${name.replace(/["\r\n]/g, '_')}"${file === undefined ? '' : `; filename="${file.filename}"`}`;
      const head = `--${boundary}\r\nContent-Disposition: ${disposition}\r\n${file === undefined ? '' : `Content-Type: ${file.contentType}\r\n`}\r\n`;
      parts.push(
        Buffer.from(head),
        file === undefined ? Buffer.from(String(item)) : Buffer.from(file.bytes),
        Buffer.from('\r\n'),
      );
    }
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(parts);
}
