import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Readable as ReadableStream } from 'node:stream';

/**
 * Where finished jobs' media are kept until the client has them. Local disk by default; an S3-compatible
 * store implements the same three calls (put a stream, open it, delete it).
 */
export interface MediaStorage {
  /** Stores the body under `key` (replacing any earlier one, atomically); its size in bytes. */
  put(key: string, body: AsyncIterable<Uint8Array>): Promise<number>;
  /** The stored media, or undefined when there is none. */
  open(key: string): Promise<{ stream: Readable; bytes: number } | undefined>;
  /** Deletes it; no error when it is already gone. */
  delete(key: string): Promise<void>;
}

const KEY = /^[A-Za-z0-9._-]+$/;

/** Files under one folder, written to a temporary name and renamed, so a reader never sees half a file. */
export class LocalDiskMediaStorage implements MediaStorage {
  constructor(private readonly directory: string) {}

  private pathOf(key: string): string {
    if (!KEY.test(key) || key.startsWith('.'))
      throw new Error(`invalid media key ${JSON.stringify(key)}`);
    return join(this.directory, key);
  }

  async put(key: string, body: AsyncIterable<Uint8Array>): Promise<number> {
    const path = this.pathOf(key);
    await mkdir(this.directory, { recursive: true });
    const partial = `${path}.${process.pid}.${Date.now()}.partial`;
    try {
      await pipeline(ReadableStream.from(body), createWriteStream(partial));
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return (await stat(path)).size;
  }

  async open(key: string): Promise<{ stream: Readable; bytes: number } | undefined> {
    const path = this.pathOf(key);
    try {
      const { size } = await stat(path);
      return { stream: createReadStream(path), bytes: size };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }
}
