import { z } from 'zod';
import { EngineError } from '../engine-error.ts';
import { fieldsOf } from './upstream-answer.ts';

const CONTEXT_LENGTH =
  /context[ _-]?length|maximum context|exceed_context_size|context size|too many tokens|input length exceeds/i;

/** The error shapes of the servers, in the order they are looked for: {error:"…"}, {error:{message}}, {message}, {detail}. */
const messageShapes = z.union([
  z.object({ error: z.string() }).transform((body) => body.error),
  z.object({ error: z.object({ message: z.string() }) }).transform((body) => body.error.message),
  z.object({ message: z.string() }).transform((body) => body.message),
  z.object({ detail: z.string() }).transform((body) => body.detail),
]);

/** The message inside any of the servers' error shapes; a text body's first 500 characters; else ''. */
export function upstreamMessage(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 500);
  return fieldsOf(messageShapes, body) ?? '';
}

const codes = z.object({ error: z.unknown().optional(), code: z.unknown().optional() });
const nestedCode = z.object({ code: z.unknown().optional() });

/** OpenAI's `error.code`, or a top-level `code` when `error` is no object (as servers that copy OpenAI send it). */
export function errorCodeOf(body: unknown): string | undefined {
  const fields = fieldsOf(codes, body);
  const code =
    fields === undefined ? undefined : (fieldsOf(nestedCode, fields.error) ?? fields).code;
  return typeof code === 'string' ? code : undefined;
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
  if ((status === 400 || status === 413 || status === 422) && CONTEXT_LENGTH.test(message))
    return new EngineError('context_length', detail, { status, upstream });
  if (status === 400 || status === 422)
    return new EngineError(
      'bad_request',
      message === '' ? 'The upstream refused the request' : message,
      { status, retryable: false, upstream },
    );
  return new EngineError('failed', detail, { status, retryable: status >= 500, upstream });
}
