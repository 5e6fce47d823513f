import type { Dispatcher } from 'undici';
import type { EngineCall } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { networkError } from './network-error.ts';
import { readAnswer, type UpstreamBody } from './upstream-answer.ts';
import type { UpstreamEndpoint, UpstreamPool } from './upstream-pool.ts';

/** One call of an upstream's API, the same on whichever endpoint answers it (vercel/ai's postToApi). */
export interface UpstreamExchange<T> {
  /** The engine kind, named with the endpoint in `call.servedBy`. */
  kind: string;
  method?: 'GET' | 'POST' | 'DELETE';
  /** Below the endpoint's base path. */
  path: string;
  body?: UpstreamBody;
  accept: string;
  /**
   * Not to keep the connection for another request (undici's `reset`): for an answer after which the server closes
   * it anyway, where a request sent on it before its FIN arrives would fail with "other side closed".
   */
  closeConnection?: boolean;
  /** A failing answer (a status outside 2xx, its body as readAnswer gives it) in engine terms; `retryable` moves on. */
  failure: (status: number, body: unknown, label: string) => EngineError;
  /**
   * What a 2xx answer becomes, before the endpoint counts as having answered. A body read here that breaks is
   * a network failure (the next endpoint may be tried); `unread` hands the body on for the engine to read.
   */
  read: (response: Dispatcher.ResponseData, endpoint: UpstreamEndpoint) => Promise<T>;
}

/** For exchanges whose body streams on, or must not be asked for twice: the answer with its body unread. */
export const unread = (response: Dispatcher.ResponseData): Promise<Dispatcher.ResponseData> =>
  Promise.resolve(response);

/**
 * The endpoint's health after a failure: a network failure (a timeout too) or a retryable answer counts
 * against it (ejecting it for a while); the client's abort and the upstream's verdicts do not.
 */
function counted(failure: EngineError, endpoint: UpstreamEndpoint, call: EngineCall): EngineError {
  if (!call.signal.aborted && (failure.retryable || failure.failure === 'timeout'))
    endpoint.failed(Date.now());
  return failure;
}

/** The exchange on one endpoint; every failure is an EngineError. */
export async function requestEndpoint<T>(
  endpoint: UpstreamEndpoint,
  exchange: UpstreamExchange<T>,
  call: EngineCall,
): Promise<T> {
  const headers: Record<string, string> = { accept: exchange.accept, ...endpoint.authorization };
  if (exchange.body !== undefined) headers['content-type'] = exchange.body.contentType;
  let response: Dispatcher.ResponseData;
  try {
    response = await endpoint.pool.request({
      method: exchange.method ?? 'POST',
      path: `${endpoint.basePath}${exchange.path}`,
      headers,
      body: exchange.body?.payload ?? null,
      signal: call.signal,
      ...(exchange.closeConnection === true ? { reset: true } : {}),
    });
  } catch (error) {
    throw counted(networkError(error, endpoint.label, call), endpoint, call);
  }
  if (response.statusCode < 200 || response.statusCode >= 300) {
    // A failing answer is judged by its status; a body that breaks off only loses the upstream's words.
    const body = await readAnswer(response).catch(() => '');
    throw counted(exchange.failure(response.statusCode, body, endpoint.label), endpoint, call);
  }
  let result: T;
  try {
    result = await exchange.read(response, endpoint);
  } catch (error) {
    throw counted(
      error instanceof EngineError ? error : networkError(error, endpoint.label, call),
      endpoint,
      call,
    );
  }
  endpoint.succeeded();
  call.servedBy = `${exchange.kind}/${endpoint.label}`;
  return result;
}

/**
 * `attempt` on the pool's endpoints in order (healthy first, weighted round robin) until one succeeds or
 * fails for good: a retryable EngineError moves on to the next endpoint, which is only ever done before
 * anything reached the client. With none left, the last failure is thrown.
 */
export async function failover<T>(
  pool: UpstreamPool,
  attempt: (endpoint: UpstreamEndpoint) => Promise<T>,
): Promise<T> {
  let lastError: EngineError | undefined;
  for (const endpoint of pool.order()) {
    try {
      return await attempt(endpoint);
    } catch (error) {
      if (!(error instanceof EngineError) || !error.retryable) throw error;
      lastError = error;
    }
  }
  throw lastError ?? new EngineError('offline', 'no upstream endpoint configured');
}

/** The exchange on the first endpoint that takes it (failover), with that endpoint. */
export function requestWithFailover<T>(
  pool: UpstreamPool,
  exchange: UpstreamExchange<T>,
  call: EngineCall,
): Promise<{ answer: T; endpoint: UpstreamEndpoint }> {
  return failover(pool, async (endpoint) => ({
    answer: await requestEndpoint(endpoint, exchange, call),
    endpoint,
  }));
}
