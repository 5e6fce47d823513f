import type { EngineCall } from '../engine.ts';
import { EngineError } from '../engine-error.ts';

/** undici's codes for a wait past the pool's timeoutMs: for a connection, for the answer's headers, or between its chunks. */
export const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** The `code` of a Node or undici error ('' when it has none). */
export function errorCode(error: unknown): string {
  if (typeof error !== 'object' || error === null || !('code' in error)) return '';
  return typeof error.code === 'string' ? error.code : '';
}

/** A wait that ran out: an `AbortSignal.timeout`'s TimeoutError, or one of undici's own (TIMEOUT_CODES). */
export function ranOutOfTime(error: unknown): boolean {
  return (
    (error instanceof Error && error.name === 'TimeoutError') || TIMEOUT_CODES.has(errorCode(error))
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * No answer: the client left (never retried), the upstream timed out (not retried either: it may still be
 * working on the request), or it cannot be reached (retryable: the next endpoint may answer). A call whose signal is
 * a deadline (a job runner's `AbortSignal.timeout`) and ran out timed out; only another abort is the client's.
 */
export function networkError(error: unknown, label: string, call: EngineCall): EngineError {
  if (call.signal.aborted && ranOutOfTime(call.signal.reason))
    return new EngineError('timeout', `upstream ${label} timed out (the call's deadline passed)`, {
      cause: error,
      retryable: false,
    });
  if (call.signal.aborted)
    return new EngineError('failed', 'request aborted by the client', {
      cause: error,
      retryable: false,
    });
  const code = errorCode(error);
  if (ranOutOfTime(error))
    return new EngineError('timeout', `upstream ${label} timed out (${code || 'TimeoutError'})`, {
      cause: error,
      retryable: false,
    });
  return new EngineError('offline', `upstream ${label} unreachable: ${messageOf(error)}`, {
    cause: error,
  });
}

/**
 * An answer that broke off after the engine took it (a stream, or a body read afterwards): the upstream's
 * failure, a 502 of sorts, never retried (what was read may have reached the client); a timeout stays one.
 */
export function brokenAnswer(error: unknown, label: string, call: EngineCall): EngineError {
  if (error instanceof EngineError) return error;
  const failure = networkError(error, label, call);
  if (failure.failure !== 'offline') return failure;
  return new EngineError('failed', `upstream ${label} broke off its answer: ${messageOf(error)}`, {
    cause: error,
    status: 502,
    retryable: false,
  });
}
