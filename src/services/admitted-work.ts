import type { Admission } from './billing/meter.ts';

/**
 * Runs `work` (fetching and decoding what the client sent) for a request already admitted but not yet reserved, its
 * price known only from what `work` reads; when it fails, the admission is cancelled: its rate-limit tokens go back
 * and nothing is recorded, as for a request refused before any work.
 */
export async function cancellingOnFailure<T>(
  admission: Admission,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    await admission.cancel();
    throw error;
  }
}
