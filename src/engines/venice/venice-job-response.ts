import type { JobStatus } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { upstreamMessage } from '../openai-compatible/upstream-errors.ts';

/**
 * An upstream Venice API's failing answer in engine terms. Busy or unreachable (429, 502, 503, 504) is
 * retryable: another endpoint, or the job runner's next try, may succeed. 422 is a content policy refusal
 * (ContentViolationError on queue, ProviderContentPolicyError on retrieve); 400/409/413 the request's fault;
 * 500 "Inference processing failed" (or one that says `credits_refunded`) the upstream's definitive verdict;
 * 401/402/403/404 the operator's key or account, or a job the upstream no longer has. None of these is worth
 * retrying. Any other 500 is the upstream's passing trouble (INVENTORY §10.1: "500 / 503 → retry with backoff").
 */
export function veniceFailure(status: number, body: unknown, endpoint: string): EngineError {
  const message = upstreamMessage(body);
  // Retryable failures are logged, never shown; a final one becomes the job's error, which its client reads:
  // the upstream's own words then, without its address.
  const detail = `upstream ${endpoint} answered ${status}${message === '' ? '' : `: ${message}`}`;
  const verdict = sentence(message === '' ? `The upstream answered ${status}` : message);
  if (status === 429) return new EngineError('overloaded', detail, { status });
  if (status === 503) return new EngineError('capacity', detail, { status });
  if (status === 502 || status === 504) return new EngineError('offline', detail, { status });
  if (status === 500 && !/processing failed/i.test(message) && !(typeof body === 'object' && body !== null && 'credits_refunded' in body)) {
    return new EngineError('offline', detail, { status });
  }
  if (status === 422) return new EngineError('content_policy', verdict, { status, retryable: false });
  if (status === 400 || status === 409 || status === 413) return new EngineError('bad_request', verdict, { status, retryable: false });
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

/**
 * The progress of a running job from retrieve's timing fields (swagger: `execution_duration` elapsed and
 * `average_execution_time` the P80 estimate, both ms), kept below 1: a job past its estimate is not done.
 */
export function progressOf(body: Record<string, unknown>): number | undefined {
  const elapsed = body.execution_duration;
  const expected = body.average_execution_time;
  if (typeof elapsed !== 'number' || typeof expected !== 'number' || expected <= 0 || elapsed < 0) return undefined;
  return Math.min(0.99, elapsed / expected);
}

export function parseJsonObject(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return { error: text.slice(0, 300) };
  }
}
