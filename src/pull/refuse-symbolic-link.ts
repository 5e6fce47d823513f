import { lstat } from 'node:fs/promises';

// A pull writes regular files of the models folder only: a symbolic link there (to the file or to its
// `.partial`) could send the bytes anywhere, so it is refused rather than followed or replaced.
export async function refuseSymbolicLink(path: string): Promise<void> {
  let link: boolean;
  try {
    link = (await lstat(path)).isSymbolicLink();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (link)
    throw new Error(
      `Refusing to write through the symbolic link ${path}: remove it, then pull again`,
    );
}
