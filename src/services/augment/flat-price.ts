import { randomUUID } from 'node:crypto';
import type { Billing } from '../billing/meter.ts';
import type { Cost } from '../pricing.ts';

/**
 * Runs `work` as one request of a flat-priced /augment endpoint (docs: $0.01 a request on Venice; the operator's
 * `augment.pricing` here): the price is reserved first (402 when it cannot be), charged when `work` succeeds,
 * and released when it throws or the client leaves. `name` is what the usage records show as the model.
 */
export async function withFlatPrice<T>(
  billing: Billing,
  name: string,
  price: Cost,
  signal: AbortSignal,
  work: () => Promise<T>,
): Promise<T> {
  const settlement = await billing.reserve({
    modelId: name,
    modelType: 'augment',
    requestId: `${name}-${randomUUID()}`,
    limitClass: 'S',
    tokens: 0,
    worstCase: price,
    privacy: 'private',
  });
  let result: T;
  try {
    result = await work();
  } catch (error) {
    await settlement.release(signal.aborted ? 'client_disconnected' : 'failed');
    throw error;
  }
  await settlement.settle({ promptTokens: 0, completionTokens: 0 }, price, 'completed');
  return result;
}
