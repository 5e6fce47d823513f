import type { Dispatcher } from 'undici';
import type { EngineCall } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { upstreamError } from './upstream-errors.ts';
import type { UpstreamEndpoint, UpstreamPool } from './upstream-pool.ts';

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** A request body and its Content-Type (JSON for /audio/speech, multipart for /audio/transcriptions). */
export interface AudioUpstreamBody {
  payload: Buffer | string;
  contentType: string;
}

/** The body as JSON, or as text when it is not JSON. */
export async function readAnswer(response: Dispatcher.ResponseData): Promise<unknown> {
  const text = await response.body.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * A failing status in engine terms (upstream-errors.ts). Kokoro-FastAPI (FastAPI's HTTPException) wraps its
 * error in `{"detail": {"error", "message", "type"}}` (api/src/routers/openai_compatible.py), which is
 * unwrapped first so its message reaches the log (never the client: upstream-errors.ts).
 */
export function audioUpstreamError(status: number, body: unknown, label: string): EngineError {
  const detail = typeof body === 'object' && body !== null ? (body as { detail?: unknown }).detail : undefined;
  const message = typeof detail === 'object' && detail !== null ? (detail as { message?: unknown }).message : undefined;
  return upstreamError(status, typeof message === 'string' ? { message } : body, label);
}

/** No answer, or an answer cut short: the client left, the upstream timed out, or it cannot be reached. */
export function networkError(error: unknown, label: string, call: EngineCall, status?: number): EngineError {
  if (call.signal.aborted) return new EngineError('failed', 'request aborted by the client', { cause: error, retryable: false });
  const code = (error as { code?: string }).code ?? '';
  if (TIMEOUT_CODES.has(code)) return new EngineError('timeout', `upstream ${label} timed out (${code})`, { cause: error, retryable: false });
  // Once the upstream answered, a broken body is its failure (a 502 of sorts), not an offline endpoint.
  if (status !== undefined) return new EngineError('failed', `upstream ${label} broke off its answer: ${(error as Error).message}`, { cause: error, status, retryable: false });
  return new EngineError('offline', `upstream ${label} unreachable: ${(error as Error).message}`, { cause: error });
}

/**
 * POSTs to the model's endpoints in the pool's order and returns the first 2xx response with its body
 * unread (speech streams it through). A refused connection, 429, 503 or other 5xx moves on to the next
 * endpoint (nothing has reached the client yet); a 4xx, a timeout or the client's abort ends it.
 */
export async function postAudio(pool: UpstreamPool, path: string, body: AudioUpstreamBody, accept: string, call: EngineCall): Promise<{ response: Dispatcher.ResponseData; endpoint: UpstreamEndpoint }> {
  let lastError: EngineError | undefined;
  for (const endpoint of pool.order()) {
    let response: Dispatcher.ResponseData;
    try {
      response = await endpoint.pool.request({
        method: 'POST', path: `${endpoint.basePath}${path}`, body: body.payload, signal: call.signal,
        headers: { 'content-type': body.contentType, accept, ...endpoint.authorization },
      });
    } catch (error) {
      lastError = networkError(error, endpoint.label, call);
      if (!lastError.retryable) throw lastError;
      endpoint.failed(Date.now());
      continue;
    }
    if (response.statusCode >= 200 && response.statusCode < 300) {
      endpoint.succeeded();
      call.servedBy = `openai-compatible/${endpoint.label}`;
      return { response, endpoint };
    }
    let answer: unknown;
    try {
      answer = await readAnswer(response);
    } catch (error) {
      throw networkError(error, endpoint.label, call, response.statusCode);
    }
    lastError = audioUpstreamError(response.statusCode, answer, endpoint.label);
    if (!lastError.retryable) throw lastError;
    endpoint.failed(Date.now());
  }
  throw lastError ?? new EngineError('offline', 'no upstream endpoint configured');
}

