// Unpacks a .tar.bz2 (the archives sherpa-onnx publishes) into a new folder, streaming: the archive is decoded as it
// is read (unbzip2-stream, then tar-stream), never held whole in memory. Contract: `destination` appears complete or
// not at all. Entries land in a hidden temp folder beside it (inside the models folder) that is renamed into place
// only when the whole archive was read and accepted; any refusal or error removes the temp folder.
// Refused, for the whole archive: an absolute path, a `..` segment, a backslash or NUL in a name; a symlink, a
// hardlink or any entry that is neither a file nor a folder; a duplicate file; more than `maxEntries` entries; more
// than `maxBytes` of file content (checked against each header before any of its bytes is written).
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract } from 'tar-stream';
import unbzip2 from 'unbzip2-stream';

/** Kokoro multi-lingual v1.0 unpacks to ~0.4 GB and ~1,000 files; Parakeet TDT 0.6B v3 int8 to ~0.7 GB. */
export const DEFAULT_MAX_UNPACKED_BYTES = 8 * 1024 ** 3;
export const DEFAULT_MAX_ENTRIES = 20_000;

export interface UnpackOptions {
  archive: string;
  /** The folder to create (it must not exist). */
  destination: string;
  maxBytes?: number;
  maxEntries?: number;
  signal?: AbortSignal;
}

export interface UnpackResult {
  folder: string;
  files: number;
  bytes: number;
  /** true when the archive's single top folder was taken as the destination (sherpa-onnx's archives have one). */
  strippedTopFolder: boolean;
}

export class UnsafeArchiveError extends Error {
  override name = 'UnsafeArchiveError';
}

/** The entry's path as relative segments; throws UnsafeArchiveError for any name that could leave the folder. */
export function safeEntrySegments(name: string): string[] {
  if (name.includes('\0')) throw new UnsafeArchiveError(`entry name with a NUL byte`);
  if (name.includes('\\'))
    throw new UnsafeArchiveError(`entry "${name}" has a backslash in its name`);
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name))
    throw new UnsafeArchiveError(`entry "${name}" has an absolute path`);
  const segments = name.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw new UnsafeArchiveError(`entry "${name}" climbs out with ".."`);
  return segments;
}

/** Counts the decoded bytes and stops the stream past `limit` (tar headers and padding included). */
class ByteLimit extends Transform {
  private seen = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) {
      done(new UnsafeArchiveError(`the archive decodes to more than ${this.limit} bytes: refused`));
      return;
    }
    done(null, chunk);
  }
}

export async function unpackTarBz2(options: UnpackOptions): Promise<UnpackResult> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_UNPACKED_BYTES;
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const destination = resolve(options.destination);
  const parent = dirname(destination);
  if (await stat(destination).catch(() => null))
    throw new Error(`${destination} already exists; remove it to unpack again`);
  const temporary = join(
    parent,
    `.${destination.slice(parent.length + 1)}.unpacking-${process.pid}-${Date.now()}`,
  );
  await mkdir(temporary);
  const root = temporary + sep;
  let files = 0;
  let entries = 0;
  let bytes = 0;
  try {
    const extract = tarExtract();
    // Headers are 512 bytes each, a pax header at most 4 MiB (tar-stream's own cap), file data padded to 512.
    const decodedLimit = maxBytes + maxEntries * 2048 + 64 * 1024 ** 2;
    const source = pipeline(
      createReadStream(options.archive),
      unbzip2(),
      new ByteLimit(decodedLimit),
      extract,
      ...(options.signal === undefined ? [] : [{ signal: options.signal }]),
    );
    // pipeline's promise settles when the extractor finishes; its rejection is awaited below.
    const piped = source.then(
      () => null,
      (error: unknown) => error,
    );
    try {
      for await (const entry of extract) {
        const header = entry.header;
        entries += 1;
        if (entries > maxEntries) {
          throw new UnsafeArchiveError(`the archive has more than ${maxEntries} entries: refused`);
        }
        const segments = safeEntrySegments(header.name);
        const target = resolve(temporary, ...segments);
        if (segments.length > 0 && !target.startsWith(root))
          throw new UnsafeArchiveError(`entry "${header.name}" resolves outside the folder`);
        if (header.type === 'directory') {
          if (segments.length > 0) await mkdir(target, { recursive: true });
          entry.resume();
          continue;
        }
        if (header.type !== 'file' && header.type !== 'contiguous-file') {
          throw new UnsafeArchiveError(
            `entry "${header.name}" is a ${header.type ?? 'special entry'}${
              header.linkname ? ` to "${header.linkname}"` : ''
            }: links and special files are refused`,
          );
        }
        if (segments.length === 0)
          throw new UnsafeArchiveError(`a file entry without a name ("${header.name}")`);
        const size = header.size ?? 0;
        if (bytes + size > maxBytes) {
          throw new UnsafeArchiveError(
            `the archive unpacks to more than ${maxBytes} bytes ("${header.name}" alone is ${size}): refused`,
          );
        }
        bytes += size;
        files += 1;
        await mkdir(dirname(target), { recursive: true });
        // wx: a second entry of the same name is refused rather than overwriting the first.
        await pipeline(entry, createWriteStream(target, { flags: 'wx', mode: 0o644 })).catch(
          (error: NodeJS.ErrnoException) => {
            if (error.code === 'EEXIST')
              throw new UnsafeArchiveError(`entry "${header.name}" appears twice: refused`);
            throw error;
          },
        );
      }
    } catch (error) {
      extract.destroy();
      await piped;
      throw error;
    }
    const failure = await piped;
    if (failure !== null) throw failure;
    if (entries === 0) throw new UnsafeArchiveError('the archive is empty');
    // sherpa-onnx's archives hold one folder named like the archive: that folder becomes the destination.
    const top = await readdir(temporary, { withFileTypes: true });
    const single = top.length === 1 && top[0]?.isDirectory() ? top[0] : undefined;
    if (single !== undefined) {
      await rename(join(temporary, single.name), destination);
      await rm(temporary, { recursive: true, force: true });
    } else {
      await rename(temporary, destination);
    }
    return { folder: destination, files, bytes, strippedTopFolder: single !== undefined };
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    if (error instanceof UnsafeArchiveError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Could not unpack ${options.archive}: ${reason}`, { cause: error });
  }
}
