import { execFileSync } from 'node:child_process';
import {
  closeSync,
  fstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statfsSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A folder whose disk a test can fill and free again, for a process writing in it. Where the test may mount, a
 * small tmpfs filled with a ballast file (writes fail with ENOSPC); elsewhere, the process's file size limit
 * (RLIMIT_FSIZE, set with prlimit) lowered to the size of its files (writes past them fail with EFBIG; Node ignores
 * SIGXFSZ).
 */
export interface FillableDisk {
  directory: string;
  mechanism: 'tmpfs' | 'rlimit';
  /** No write that needs more space succeeds from now on (`pid`: the process writing). */
  fill(pid: number): void;
  free(pid: number): void;
  close(): void;
}

const BALLAST = '.ballast';

function tryMount(directory: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', directory], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

/** Writes zeros to `path` until the disk is full. */
function writeUntilFull(path: string): void {
  const descriptor = openSync(path, 'w');
  try {
    for (const size of [1 << 20, 1 << 12, 1]) {
      const block = Buffer.alloc(size);
      try {
        for (;;) writeSync(descriptor, block);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    // biome-ignore lint/correctness/noUnsafeFinally: an empty file means the disk was full before the fill, whatever the write said.
    if (fstatSync(descriptor).size === 0) throw new Error('the disk was already full');
    closeSync(descriptor);
  }
}

/** `RIALTO_TEST_DISK=rlimit` uses the file size limit even where a tmpfs could be mounted. */
export function fillableDisk(size = '32m'): FillableDisk {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-disk-'));
  const mounted = process.env.RIALTO_TEST_DISK !== 'rlimit' && tryMount(directory, size);
  const largestFile = (): number =>
    Math.max(
      4096,
      ...readdirSync(directory, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => statSync(join(entry.parentPath, entry.name)).size),
    );
  return {
    directory,
    mechanism: mounted ? 'tmpfs' : 'rlimit',
    fill(pid) {
      if (mounted) writeUntilFull(join(directory, BALLAST));
      else execFileSync('prlimit', ['--pid', String(pid), `--fsize=${largestFile()}:`]);
      if (mounted && statfsSync(directory).bavail !== 0)
        throw new Error('the tmpfs still has room');
    },
    free(pid) {
      if (mounted) unlinkSync(join(directory, BALLAST));
      else execFileSync('prlimit', ['--pid', String(pid), '--fsize=unlimited:']);
    },
    close() {
      if (mounted) execFileSync('umount', ['-l', directory]);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
