import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

// Feeds a file into a sha256 hash as a stream (model files are far too big to read whole).
// Returns the hash still open, so a resumed download can keep appending to it.
export async function hashFile(
  path: string,
  signal?: AbortSignal,
): Promise<{ hash: Hash; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = signal === undefined ? createReadStream(path) : createReadStream(path, { signal });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { hash, bytes };
}
