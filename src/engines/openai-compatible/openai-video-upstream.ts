import type { Dispatcher } from 'undici';
import type { EngineCall } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { upstreamError, upstreamMessage } from './upstream-errors.ts';
import type { UpstreamEndpoint, UpstreamPool } from './upstream-pool.ts';

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * `error.code`s that mean a content-policy refusal: OpenAI's `moderation_blocked` (a Video's error when
 * generation was stopped) and `sentinel_block` (POST /videos refused before it started), the images API's
 * `content_policy_violation`, and the words self-hosted servers use for the same (safety, unsafe, filter).
 */
const MODERATION_CODE = /moderation|sentinel|content[_ -]?policy|content[_ -]?filter|safety|unsafe/i;

export function isModerationCode(code: unknown): boolean {
  return typeof code === 'string' && MODERATION_CODE.test(code);
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function codeOf(body: unknown): unknown {
  if (typeof body !== 'object' || body === null) return undefined;
  const { error, code } = body as { error?: unknown; code?: unknown };
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : code;
}

/**
 * A failing answer in job terms. A job lives on for its whole deadline, so everything the upstream may get
 * over is transient (the runner tries again with backoff): 429 overloaded, 503 at capacity, other 5xx
 * offline. A 4xx content-policy code is a moderation refusal; other 4xx fail the job (upstream-errors.ts).
 */
export function videoUpstreamError(status: number, body: unknown, label: string): EngineError {
  const code = codeOf(body);
  if (status >= 400 && status < 500 && isModerationCode(code)) {
    return new EngineError('content_policy', `upstream ${label} refused the video (${String(code)}): ${upstreamMessage(body)}`, { status, retryable: false });
  }
  if (status >= 500 && status !== 503) return new EngineError('offline', `upstream ${label} answered ${status}: ${upstreamMessage(body)}`, { status });
  return upstreamError(status, body, label);
}

/** No answer: the worker is stopping, the upstream timed out, or it cannot be reached (all but the first retried). */
export function networkError(error: unknown, label: string, call: EngineCall): EngineError {
  if (call.signal.aborted) return new EngineError('failed', 'request aborted', { cause: error, retryable: false });
  const code = (error as { code?: string }).code ?? '';
  if (TIMEOUT_CODES.has(code)) return new EngineError('timeout', `upstream ${label} timed out (${code})`, { cause: error, retryable: false });
  return new EngineError('offline', `upstream ${label} unreachable: ${(error as Error).message}`, { cause: error });
}

export interface VideoRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: { payload: Buffer; contentType: string };
  accept?: string;
}

/**
 * One request to one endpoint; a 2xx answer is returned with its body unread, anything else thrown as an
 * EngineError (the endpoint's health is updated either way: only network failures and 5xx count against it).
 */
export async function requestVideoApi(endpoint: UpstreamEndpoint, request: VideoRequest, call: EngineCall): Promise<Dispatcher.ResponseData> {
  const headers: Record<string, string> = { accept: request.accept ?? 'application/json', ...endpoint.authorization };
  if (request.body !== undefined) headers['content-type'] = request.body.contentType;
  let response: Dispatcher.ResponseData;
  try {
    response = await endpoint.pool.request({ method: request.method, path: `${endpoint.basePath}${request.path}`, headers, body: request.body?.payload ?? null, signal: call.signal });
  } catch (error) {
    const failure = networkError(error, endpoint.label, call);
    if (!call.signal.aborted) endpoint.failed(Date.now());
    throw failure;
  }
  if (response.statusCode >= 200 && response.statusCode < 300) {
    endpoint.succeeded();
    call.servedBy = `openai-compatible/${endpoint.label}`;
    return response;
  }
  const failure = videoUpstreamError(response.statusCode, parse(await response.body.text().catch(() => '')), endpoint.label);
  if (response.statusCode >= 500) endpoint.failed(Date.now());
  throw failure;
}

/** The JSON of a 2xx answer (a Video object, a deletion), or a failure when it is not JSON. */
export async function readJson(response: Dispatcher.ResponseData, label: string): Promise<Record<string, unknown>> {
  const body = parse(await response.body.text());
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new EngineError('failed', `upstream ${label} sent an answer that is not a JSON object`, { retryable: false });
  return body as Record<string, unknown>;
}

/**
 * POST /videos on the first endpoint that takes it, in the pool's order (healthy first, weighted round
 * robin): a refused connection, 429 or 5xx moves on to the next endpoint, nothing having been created; a
 * 4xx or a timeout ends this try (a timed-out create may have started a video: it is not sent to a second
 * endpoint at once; the runner submits again later).
 */
export async function createOnUpstream(pool: UpstreamPool, body: { payload: Buffer; contentType: string }, call: EngineCall): Promise<{ endpoint: UpstreamEndpoint; video: Record<string, unknown> }> {
  let lastError: EngineError | undefined;
  for (const endpoint of pool.order()) {
    try {
      const response = await requestVideoApi(endpoint, { method: 'POST', path: '/videos', body }, call);
      return { endpoint, video: await readJson(response, endpoint.label) };
    } catch (error) {
      if (!(error instanceof EngineError) || !error.retryable) throw error;
      lastError = error;
    }
  }
  throw lastError ?? new EngineError('offline', 'no upstream endpoint configured');
}

