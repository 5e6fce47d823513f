import { z } from 'zod';
import type { JobStatus } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { upstreamMessage } from '../upstream/upstream-errors.ts';

/**
 * An upstream Venice API's failing answer in engine terms. Busy or unreachable (429, 502, 503, 504) is
 * retryable: another endpoint, or the job runner's next try, may succeed. 422 is a content policy refusal
 * (ContentViolationError on queue, ProviderContentPolicyError on retrieve); 400/409/413 the request's fault;
 * 500 "Inference processing failed" (or one that says `credits_refunded`) the upstream's definitive verdict;
 * 401/402/403/404 the operator's key or account, or a job the upstream no longer has. None of these is worth
 * retrying. Any other 500 is the upstream's passing trouble (INVENTORY §10.1: "500 / 503 → retry with backoff").
 */
export function veniceFailure(status: number, answer: unknown, endpoint: string): EngineError {
  // A body that is not JSON is quoted (its start) as the error.
  const body = typeof answer === 'string' ? { error: answer.slice(0, 300) } : answer;
  const message = upstreamMessage(body);
  // Retryable failures are logged, never shown; a final one becomes the job's error, which its client reads:
  // the upstream's own words then, without its address.
  const detail = `upstream ${endpoint} answered ${status}${message === '' ? '' : `: ${message}`}`;
  const verdict = sentence(message === '' ? `The upstream answered ${status}` : message);
  if (status === 429) return new EngineError('overloaded', detail, { status });
  if (status === 503) return new EngineError('capacity', detail, { status });
  if (status === 502 || status === 504) return new EngineError('offline', detail, { status });
  if (
    status === 500 &&
    !/processing failed/i.test(message) &&
    !(typeof body === 'object' && body !== null && 'credits_refunded' in body)
  ) {
    return new EngineError('offline', detail, { status });
  }
  if (status === 422)
    return new EngineError('content_policy', verdict, { status, retryable: false });
  if (status === 400 || status === 409 || status === 413)
    return new EngineError('bad_request', verdict, { status, retryable: false });
  return new EngineError('failed', verdict, { status, retryable: false });
}

/** Ends a message with a full stop (the job service appends "Credits have been refunded."). */
export function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** A definitive failure answered by retrieve, as a job status (refunded; moderation answers 422 to the client). */
export function failedStatus(error: EngineError): JobStatus {
  return { state: 'failed', reason: error.message, moderation: error.failure === 'content_policy' };
}

/** swagger: /video/queue and /audio/queue 200: the job's id, and a private model's download_url. */
export const queueAnswer = z.object({
  queue_id: z.string().min(1),
  download_url: z.string().optional().catch(undefined),
});

/** swagger: …/retrieve 200 JSON: the job's status, its timing (ms), and a private model's download_url once COMPLETED. */
export const retrieveAnswer = z.object({
  status: z.unknown().optional(),
  execution_duration: z.number().optional().catch(undefined),
  average_execution_time: z.number().optional().catch(undefined),
  download_url: z.string().optional().catch(undefined),
});

export type RetrieveAnswer = z.infer<typeof retrieveAnswer>;

/**
 * The progress of a running job from retrieve's timing fields (swagger: `execution_duration` elapsed and
 * `average_execution_time` the P80 estimate, both ms), kept below 1: a job past its estimate is not done.
 */
export function progressOf(
  timing: Pick<RetrieveAnswer, 'execution_duration' | 'average_execution_time'>,
): number | undefined {
  const elapsed = timing.execution_duration;
  const expected = timing.average_execution_time;
  if (elapsed === undefined || expected === undefined || expected <= 0 || elapsed < 0)
    return undefined;
  return Math.min(0.99, elapsed / expected);
}
