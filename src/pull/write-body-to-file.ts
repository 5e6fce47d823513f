import type { Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

export interface DownloadProgress {
  // Bytes of the file on disk so far, including a resumed prefix.
  receivedBytes: number;
  totalBytes: number | null;
  // Average over this session's transfer only (a resumed prefix is not counted as speed).
  bytesPerSecond: number;
}

export interface WriteBodyOptions {
  body: ReadableStream<Uint8Array>;
  path: string;
  // true: add to the bytes already in `path` (a 206 resume); false: start the file over.
  append: boolean;
  // Hash already fed with the bytes in `path` when appending; every new byte is added to it.
  hash: Hash;
  startBytes: number;
  totalBytes: number | null;
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
}

const PROGRESS_INTERVAL_MS = 100;
const FLUSH_BYTES = 1024 * 1024;

// Streams a response body into a file. Contract: whether it resolves or throws (abort, cut
// connection), every byte it received is on disk and in `hash`, so the file stays a valid prefix
// to resume from. Returns the file's size.
export async function writeBodyToFile(options: WriteBodyOptions): Promise<number> {
  // O_NOFOLLOW: a symbolic link put in place of the file after the pull checked for one is refused (ELOOP), not followed.
  const file = await open(
    options.path,
    constants.O_WRONLY |
      constants.O_CREAT |
      constants.O_NOFOLLOW |
      (options.append ? constants.O_APPEND : constants.O_TRUNC),
    0o644,
  );
  const reader = options.body.getReader();
  const startedAt = performance.now();
  let lastProgressAt = -Infinity;
  let received = options.startBytes;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const buffers = pending;
    pending = [];
    pendingBytes = 0;
    await file.writev(buffers);
  };
  const report = (force: boolean): void => {
    const now = performance.now();
    if (options.onProgress === undefined || (!force && now - lastProgressAt < PROGRESS_INTERVAL_MS))
      return;
    lastProgressAt = now;
    const seconds = (now - startedAt) / 1000;
    const bytesPerSecond = seconds > 0 ? (received - options.startBytes) / seconds : 0;
    options.onProgress({ receivedBytes: received, totalBytes: options.totalBytes, bytesPerSecond });
  };
  try {
    for (;;) {
      // Checked on every chunk: data the client already buffered would otherwise keep flowing
      // after an abort.
      options.signal?.throwIfAborted();
      const { done, value } = await reader.read();
      if (done) break;
      options.hash.update(value);
      pending.push(value);
      pendingBytes += value.length;
      received += value.length;
      if (pendingBytes >= FLUSH_BYTES) await flush();
      report(false);
    }
    await flush();
    report(true);
    return received;
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    await flush();
    throw error;
  } finally {
    await file.close();
  }
}
