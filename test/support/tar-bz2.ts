// Builds .tar.bz2 archives for the pull tests: tar-stream packs the entries (any name, links and all, as a
// hostile archive would have them) and Debian's bzip2 binary compresses them, as sherpa-onnx's releases are made.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pack as tarPack } from 'tar-stream';

export interface ArchiveEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  data?: Buffer | string;
  linkname?: string;
}

export async function tarBz2(entries: readonly ArchiveEntry[]): Promise<Buffer> {
  const pack = tarPack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk) => chunks.push(chunk as Buffer));
  const ended = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    if (type === 'file') {
      pack.entry({ name: entry.name, type }, Buffer.from(entry.data ?? ''));
    } else {
      pack.entry({
        name: entry.name,
        type,
        ...(entry.linkname === undefined ? {} : { linkname: entry.linkname }),
      });
    }
  }
  pack.finalize();
  await ended;
  return execFileSync('bzip2', ['-c', '-9'], {
    input: Buffer.concat(chunks),
    maxBuffer: 1 << 30,
  });
}

/** A folder's files (links followed, as real files) as entries under `prefix/`, folders first. */
export function folderEntries(folder: string, prefix: string): ArchiveEntry[] {
  const entries: ArchiveEntry[] = [{ name: `${prefix}/`, type: 'directory' }];
  for (const name of readdirSync(folder).sort()) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) entries.push(...folderEntries(path, `${prefix}/${name}`));
    else entries.push({ name: `${prefix}/${name}`, data: readFileSync(path) });
  }
  return entries;
}
