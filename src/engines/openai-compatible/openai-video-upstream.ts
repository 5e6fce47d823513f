import type { Dispatcher } from 'undici';
import { z } from 'zod';
import type { EngineCall } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { brokenAnswer } from '../upstream/network-error.ts';
import { requestEndpoint, requestWithFailover, unread } from '../upstream/request-with-failover.ts';
import { parseAnswer, type UpstreamBody } from '../upstream/upstream-answer.ts';
import { errorCodeOf, upstreamError, upstreamMessage } from '../upstream/upstream-errors.ts';
import type { UpstreamEndpoint, UpstreamPool } from '../upstream/upstream-pool.ts';

/**
 * `error.code`s that mean a content-policy refusal: OpenAI's `moderation_blocked` (a Video's error when
 * generation was stopped) and `sentinel_block` (POST /videos refused before it started), the images API's
 * `content_policy_violation`, and the words self-hosted servers use for the same (safety, unsafe, filter).
 */
const MODERATION_CODE =
  /moderation|sentinel|content[_ -]?policy|content[_ -]?filter|safety|unsafe/i;

export function isModerationCode(code: unknown): boolean {
  return typeof code === 'string' && MODERATION_CODE.test(code);
}

/**
 * A failing answer in job terms. A job lives on for its whole deadline, so everything the upstream may get
 * over is transient (the runner tries again with backoff): 429 overloaded, 503 at capacity, other 5xx
 * offline. A 4xx content-policy code is a moderation refusal; other 4xx fail the job (upstream-errors.ts).
 */
export function videoUpstreamError(status: number, body: unknown, label: string): EngineError {
  const code = errorCodeOf(body);
  if (status >= 400 && status < 500 && isModerationCode(code)) {
    return new EngineError(
      'content_policy',
      `upstream ${label} refused the video (${String(code)}): ${upstreamMessage(body)}`,
      { status, retryable: false },
    );
  }
  if (status >= 500 && status !== 503)
    return new EngineError(
      'offline',
      `upstream ${label} answered ${status}: ${upstreamMessage(body)}`,
      { status },
    );
  return upstreamError(status, body, label);
}

export interface VideoRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: UpstreamBody;
  accept?: string;
}

const exchangeOf = (request: VideoRequest) => ({
  kind: 'openai-compatible',
  method: request.method,
  path: request.path,
  ...(request.body === undefined ? {} : { body: request.body }),
  accept: request.accept ?? 'application/json',
  failure: videoUpstreamError,
  read: unread,
});

/** One request to one endpoint; a 2xx answer is returned with its body unread, anything else thrown as an EngineError. */
export function requestVideoApi(
  endpoint: UpstreamEndpoint,
  request: VideoRequest,
  call: EngineCall,
): Promise<Dispatcher.ResponseData> {
  return requestEndpoint(endpoint, exchangeOf(request), call);
}

/**
 * The fields read of a Video object (openai-node resources/videos.d.ts): a field of another type counts as
 * absent, so a server that sends less (or more) still has its video followed.
 */
const upstreamVideo = z.object({
  id: z.string().catch(''),
  status: z.unknown().optional(),
  progress: z.number().optional().catch(undefined),
  error: z
    .object({
      code: z.string().optional().catch(undefined),
      message: z.string().optional().catch(undefined),
    })
    .optional()
    .catch(undefined),
});

export type UpstreamVideo = z.infer<typeof upstreamVideo>;

/** The Video of a 2xx answer, or a failure when the answer is not a JSON object. */
export async function readVideo(
  response: Dispatcher.ResponseData,
  label: string,
  call: EngineCall,
): Promise<UpstreamVideo> {
  const body = parseAnswer(
    await response.body.text().catch((error: unknown) => {
      throw brokenAnswer(error, label, call);
    }),
  );
  const video = upstreamVideo.safeParse(body);
  if (!video.success)
    throw new EngineError('failed', `upstream ${label} sent an answer that is not a JSON object`, {
      retryable: false,
    });
  return video.data;
}

/**
 * POST /videos on the first endpoint that takes it, in the pool's order (healthy first, weighted round
 * robin): a refused connection, 429 or 5xx moves on to the next endpoint, nothing having been created; a
 * 4xx or a timeout ends this try (a timed-out create may have started a video: it is not sent to a second
 * endpoint at once; the runner submits again later), and so does an answer that breaks off.
 */
export async function createOnUpstream(
  pool: UpstreamPool,
  body: UpstreamBody,
  call: EngineCall,
): Promise<{ endpoint: UpstreamEndpoint; video: UpstreamVideo }> {
  const { answer, endpoint } = await requestWithFailover(
    pool,
    exchangeOf({ method: 'POST', path: '/videos', body }),
    call,
  );
  return { endpoint, video: await readVideo(answer, endpoint.label, call) };
}
