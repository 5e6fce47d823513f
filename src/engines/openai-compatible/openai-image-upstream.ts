import type { Dispatcher } from 'undici';
import type { EngineCall } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { upstreamError, upstreamMessage } from './upstream-errors.ts';
import type { UpstreamEndpoint, UpstreamPool } from './upstream-pool.ts';

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * The `error.code` OpenAI puts on a refused prompt or image: `content_policy_violation` (DALL·E, also
 * what OpenAI-compatible servers copy) and `moderation_blocked` (the GPT image models).
 */
const CONTENT_POLICY_CODES = new Set(['content_policy_violation', 'moderation_blocked']);

/** A request body and its Content-Type (JSON, or a multipart form from openai-image-form.ts). */
export interface UpstreamBody {
  payload: Buffer | string;
  contentType: string;
}

export interface UpstreamAnswer {
  /** The parsed JSON answer (the raw text when it is not JSON). */
  body: unknown;
  /** The endpoint that answered (image URLs in the answer are fetched from it). */
  endpoint: UpstreamEndpoint;
}

export function jsonBody(body: Record<string, unknown>): UpstreamBody {
  return { payload: JSON.stringify(body), contentType: 'application/json' };
}

function errorCodeOf(body: unknown): unknown {
  if (typeof body !== 'object' || body === null) return undefined;
  const { error, code } = body as { error?: unknown; code?: unknown };
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : code;
}

/** A failing answer in engine terms: content-policy refusals are `content_policy`, the rest as upstream-errors.ts says. */
export function imageUpstreamError(status: number, body: unknown, label: string): EngineError {
  const code = errorCodeOf(body);
  if ((status === 400 || status === 422) && typeof code === 'string' && CONTENT_POLICY_CODES.has(code)) {
    return new EngineError('content_policy', `upstream ${label} refused the request (${code}): ${upstreamMessage(body)}`, { status, retryable: false });
  }
  return upstreamError(status, body, label);
}

/** No answer at all: the client left, the upstream timed out, or it cannot be reached (retryable on another endpoint). */
export function networkError(error: unknown, label: string, call: EngineCall): EngineError {
  if (call.signal.aborted) return new EngineError('failed', 'request aborted by the client', { cause: error, retryable: false });
  const code = (error as { code?: string }).code ?? '';
  if (TIMEOUT_CODES.has(code)) return new EngineError('timeout', `upstream ${label} timed out (${code})`, { cause: error, retryable: false });
  return new EngineError('offline', `upstream ${label} unreachable: ${(error as Error).message}`, { cause: error });
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * POSTs to the model's endpoints in the pool's order (healthy first, weighted round robin) and returns
 * the first 2xx answer. A refused connection, 429, 503 or other 5xx moves on to the next endpoint (an
 * image request has sent nothing to the client yet); a 4xx, a timeout or the client's abort ends it.
 */
export async function postToUpstream(pool: UpstreamPool, path: string, body: UpstreamBody, call: EngineCall): Promise<UpstreamAnswer> {
  let lastError: EngineError | undefined;
  for (const endpoint of pool.order()) {
    let response: Dispatcher.ResponseData;
    let answer: unknown;
    try {
      response = await endpoint.pool.request({
        method: 'POST', path: `${endpoint.basePath}${path}`, body: body.payload, signal: call.signal,
        headers: { 'content-type': body.contentType, accept: 'application/json', ...endpoint.authorization },
      });
      answer = parse(await response.body.text());
    } catch (error) {
      lastError = networkError(error, endpoint.label, call);
      if (!lastError.retryable) throw lastError;
      endpoint.failed(Date.now());
      continue;
    }
    if (response.statusCode >= 200 && response.statusCode < 300) {
      endpoint.succeeded();
      call.servedBy = `openai-compatible/${endpoint.label}`;
      return { body: answer, endpoint };
    }
    lastError = imageUpstreamError(response.statusCode, answer, endpoint.label);
    if (!lastError.retryable) throw lastError;
    endpoint.failed(Date.now());
  }
  throw lastError ?? new EngineError('offline', 'no upstream endpoint configured');
}

