import type { EngineCall } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { requestWithFailover } from '../upstream/request-with-failover.ts';
import { readAnswer, type UpstreamBody } from '../upstream/upstream-answer.ts';
import { errorCodeOf, upstreamError, upstreamMessage } from '../upstream/upstream-errors.ts';
import type { UpstreamEndpoint, UpstreamPool } from '../upstream/upstream-pool.ts';

/**
 * The `error.code` OpenAI puts on a refused prompt or image: `content_policy_violation` (DALL·E, also
 * what OpenAI-compatible servers copy) and `moderation_blocked` (the GPT image models).
 */
const CONTENT_POLICY_CODES = new Set(['content_policy_violation', 'moderation_blocked']);

export interface UpstreamAnswer {
  /** The parsed JSON answer (the raw text when it is not JSON). */
  body: unknown;
  /** The endpoint that answered (image URLs in the answer are fetched from it). */
  endpoint: UpstreamEndpoint;
}

/** A failing answer in engine terms: content-policy refusals are `content_policy`, the rest as upstream-errors.ts says. */
export function imageUpstreamError(status: number, body: unknown, label: string): EngineError {
  const code = errorCodeOf(body);
  if ((status === 400 || status === 422) && code !== undefined && CONTENT_POLICY_CODES.has(code)) {
    return new EngineError(
      'content_policy',
      `upstream ${label} refused the request (${code}): ${upstreamMessage(body)}`,
      { status, retryable: false },
    );
  }
  return upstreamError(status, body, label);
}

/**
 * POSTs to the model's endpoints in the pool's order (healthy first, weighted round robin) and returns
 * the first 2xx answer, read whole. A refused connection, 429, 503 or other 5xx moves on to the next
 * endpoint (an image request has sent nothing to the client yet), and so does an answer that breaks off;
 * a 4xx, a timeout or the client's abort ends it.
 */
export async function postToUpstream(
  pool: UpstreamPool,
  path: string,
  body: UpstreamBody,
  call: EngineCall,
): Promise<UpstreamAnswer> {
  const { answer, endpoint } = await requestWithFailover(
    pool,
    {
      kind: 'openai-compatible',
      path,
      body,
      accept: 'application/json',
      failure: imageUpstreamError,
      read: readAnswer,
    },
    call,
  );
  return { body: answer, endpoint };
}
