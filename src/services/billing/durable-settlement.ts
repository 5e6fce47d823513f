import type { Store } from '../../storage/store.ts';

/** What a durable reservation (an async job's) keeps to be settled from any process. */
export interface DurableRecord {
  reservationId: string | null;
  requestId: string;
  accountId: string;
  keyId: string;
  modelId: string;
  modelType: string;
  createdAt: string;
}

/**
 * Charges a durable reservation `amount` at `now` (the job succeeded); false when it was already settled or released,
 * so a job finished twice (a worker taken over after a crash) is charged once. Free jobs (no reservation) are
 * recorded under `requestId`, once.
 */
export async function settleDurable(
  store: Store,
  reservation: DurableRecord,
  amount: number,
  now: Date,
): Promise<boolean> {
  const usage = {
    modelType: reservation.modelType,
    amount,
    promptTokens: 0,
    completionTokens: 0,
    cachedTokens: 0,
    status: 'completed',
    executionMs: now.getTime() - Date.parse(reservation.createdAt),
    createdAt: now.toISOString(),
  };
  if (reservation.reservationId !== null)
    return store.ledger.settle(reservation.reservationId, usage);
  try {
    await store.usage.insert({
      id: reservation.requestId,
      requestId: reservation.requestId,
      accountId: reservation.accountId,
      keyId: reservation.keyId,
      modelId: reservation.modelId,
      currency: 'USD',
      ...usage,
      amount: 0,
    });
    return true;
  } catch {
    return false;
  }
}
