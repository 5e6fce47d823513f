import { EngineError } from '../engine-error.ts';

const CONTEXT_LENGTH = /context[ _-]?length|maximum context|exceed_context_size|context size|too many tokens|input length exceeds/i;

/** The message inside any of the servers' error shapes ({error:{message}}, {error:"…"}, {message}, {detail}). */
export function upstreamMessage(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 500);
  if (typeof body !== 'object' || body === null) return '';
  const record = body as Record<string, unknown>;
  const error = record.error;
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null && typeof (error as Record<string, unknown>).message === 'string') return (error as { message: string }).message;
  if (typeof record.message === 'string') return record.message;
  if (typeof record.detail === 'string') return record.detail;
  return '';
}

/**
 * An upstream's failing status in engine terms: 429 overloaded and 503 at capacity (both retryable on
 * another endpoint), context overflows recognised by message, other 4xx the client's mistake, and
 * everything else (401/403/404 are the operator's configuration, 5xx the upstream's) an inference failure.
 * The upstream's words, which may quote the request back, are kept as `upstream` for the log: a client's
 * answer has the Venice error of each (engine-error.ts toVeniceError; a context overflow OpenAI's object).
 */
export function upstreamError(status: number, body: unknown, endpoint: string): EngineError {
  const message = upstreamMessage(body);
  const upstream = { endpoint, status, message };
  const detail = `upstream ${endpoint} answered ${status}${message === '' ? '' : `: ${message}`}`;
  if (status === 429) return new EngineError('overloaded', detail, { status, upstream });
  if (status === 503) return new EngineError('capacity', detail, { status, upstream });
  if ((status === 400 || status === 413 || status === 422) && CONTEXT_LENGTH.test(message)) return new EngineError('context_length', detail, { status, upstream });
  if (status === 400 || status === 422) return new EngineError('bad_request', message === '' ? 'The upstream refused the request' : message, { status, retryable: false, upstream });
  return new EngineError('failed', detail, { status, retryable: status >= 500, upstream });
}
