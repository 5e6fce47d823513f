import { request, type Dispatcher } from 'undici';
import type { EngineCall } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { ranOutOfTime } from '../upstream/network-error.ts';

/** The request's failure to get an answer: its timeout ran out (the answer's headers or body), or no answer came. */
function unanswered(error: unknown, label: string): EngineError {
  const timedOut = ranOutOfTime(error);
  return new EngineError(
    timedOut ? 'timeout' : 'offline',
    `${label} ${timedOut ? 'did not answer in time' : `cannot be reached: ${(error as Error).message}`}`,
    { cause: error },
  );
}

/**
 * GET a search API's JSON: 429 is MODEL_OVERLOADED's failure, 5xx and no answer the engine being offline, a
 * timeout (before the headers or while the body comes) a timeout; any other non-200 fails the request (a wrong
 * key, a SearxNG without JSON output).
 */
export async function getSearchJson(
  url: URL,
  headers: Record<string, string>,
  timeoutMs: number,
  call: EngineCall,
  label: string,
): Promise<unknown> {
  let response: Dispatcher.ResponseData;
  let text: string;
  try {
    response = await request(url, {
      method: 'GET',
      headers: { accept: 'application/json', ...headers },
      signal: AbortSignal.any([call.signal, AbortSignal.timeout(timeoutMs)]),
    });
    text = await response.body.text();
  } catch (error) {
    if (call.signal.aborted) throw error;
    throw unanswered(error, label);
  }
  if (response.statusCode === 429)
    throw new EngineError('overloaded', `${label} refused the search: too many requests`, {
      status: 429,
    });
  if (response.statusCode >= 500)
    throw new EngineError('offline', `${label} answered ${response.statusCode}`, {
      status: response.statusCode,
    });
  if (response.statusCode !== 200)
    throw new EngineError(
      'failed',
      `${label} answered ${response.statusCode}: ${text.slice(0, 200)}`,
      { status: response.statusCode, retryable: false },
    );
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new EngineError('failed', `${label} answered something that is not JSON`, {
      retryable: false,
    });
  }
}

export const stringOr = (value: unknown, fallback = ''): string =>
  typeof value === 'string' ? value : fallback;
