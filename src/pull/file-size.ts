import { stat } from 'node:fs/promises';

// Size of a file in bytes, or null when it does not exist (other errors, e.g. EACCES, propagate).
export async function fileSize(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
