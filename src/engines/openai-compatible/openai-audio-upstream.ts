import type { Dispatcher } from 'undici';
import { z } from 'zod';
import type { EngineCall } from '../engine.ts';
import type { EngineError } from '../engine-error.ts';
import { requestWithFailover, unread } from '../upstream/request-with-failover.ts';
import { fieldsOf, type UpstreamBody } from '../upstream/upstream-answer.ts';
import { upstreamError } from '../upstream/upstream-errors.ts';
import type { UpstreamEndpoint, UpstreamPool } from '../upstream/upstream-pool.ts';

const fastApiError = z.object({ detail: z.object({ message: z.string() }) });

/**
 * A failing status in engine terms (upstream-errors.ts). Kokoro-FastAPI (FastAPI's HTTPException) wraps its
 * error in `{"detail": {"error", "message", "type"}}` (api/src/routers/openai_compatible.py), which is
 * unwrapped first so its message reaches the log (never the client: upstream-errors.ts).
 */
export function audioUpstreamError(status: number, body: unknown, label: string): EngineError {
  const wrapped = fieldsOf(fastApiError, body);
  return upstreamError(
    status,
    wrapped === undefined ? body : { message: wrapped.detail.message },
    label,
  );
}

/**
 * POSTs to the model's endpoints in the pool's order and returns the first 2xx response with its body
 * unread (speech streams it through). A refused connection, 429, 503 or other 5xx moves on to the next
 * endpoint (nothing has reached the client yet); a 4xx, a timeout or the client's abort ends it.
 */
export async function postAudio(
  pool: UpstreamPool,
  path: string,
  body: UpstreamBody,
  accept: string,
  call: EngineCall,
): Promise<{ response: Dispatcher.ResponseData; endpoint: UpstreamEndpoint }> {
  const { answer, endpoint } = await requestWithFailover(
    pool,
    { kind: 'openai-compatible', path, body, accept, failure: audioUpstreamError, read: unread },
    call,
  );
  return { response: answer, endpoint };
}
