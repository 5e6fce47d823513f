// Shared by the job lifecycle suites (jobs-video, jobs-music): HTTP calls, bounded polling, and the ledger's
// view of one job.
import assert from 'node:assert/strict';
import type { TestRialto } from '../support/start-rialto.ts';
import type { UsageRecord } from '../../src/storage/store.ts';

/** The upper bound of every wait in these suites: generous, so a loaded machine never fails them. */
const BOUND_MS = 60_000;
const PAUSE_MS = 25;

export const ZERO = { usd: 0, diem: 0 };
export const price = (usd: number): { usd: number; diem: number } => ({ usd, diem: usd });

export async function post(
  rialto: TestRialto,
  path: string,
  body: unknown,
  key: string | null = rialto.inferenceKey,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${rialto.baseURL}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: {
      'content-type': 'application/json',
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      ...headers,
    },
  });
}

/** Polls `condition` until it gives a value (not undefined), within the bound. */
export async function until<T>(what: string, condition: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + BOUND_MS;
  for (;;) {
    const value = await condition();
    if (value !== undefined) return value;
    if (Date.now() > end) assert.fail(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  }
}

/** Retrieves until the answer is no longer the PROCESSING status (media, or an error); that answer. */
export async function retrieveUntilDone(
  rialto: TestRialto,
  path: string,
  body: Record<string, unknown>,
  key?: string,
): Promise<Response> {
  return until(`${path} to finish`, async () => {
    const response = await post(rialto, path, body, key);
    if (
      response.status === 200 &&
      (response.headers.get('content-type') ?? '').startsWith('application/json')
    ) {
      const status = (await response.json()) as { status: string };
      assert.equal(status.status, 'PROCESSING');
      return undefined;
    }
    return response;
  });
}

/** The usage records of one job (its queue_id is the request id of its reservation). */
export async function recordsOf(
  rialto: TestRialto,
  queueId: string,
  accountId = 'default',
): Promise<UsageRecord[]> {
  return (await rialto.store.usage.list({ accountId, limit: 10_000 })).filter(
    (record) => record.requestId === queueId,
  );
}

export async function usdBalance(
  rialto: TestRialto,
  accountId = 'default',
): Promise<{ balance: number; reserved: number }> {
  const account = (await rialto.store.accounts.find(accountId))!;
  return { balance: account.usdBalance, reserved: account.usdReserved };
}
