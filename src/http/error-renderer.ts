import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { EngineError } from '../engines/engine-error.ts';
import { ERROR_CODES } from '../errors/codes.ts';
import { invalidRequest } from '../errors/validation.ts';
import { VeniceError } from '../errors/venice-error.ts';
import { baseHeaders } from './response-headers.ts';

// Fastify's own errors for malformed requests, in Venice's terms.
const FASTIFY_CODES: Record<string, () => VeniceError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () => new VeniceError('PAYLOAD_TOO_LARGE'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => new VeniceError('INVALID_CONTENT_TYPE'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    new VeniceError('INVALID_REQUEST', {
      message: 'Request body length does not match Content-Length',
    }),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    new VeniceError('INVALID_REQUEST', {
      extra: {
        details: { _errors: ['Body cannot be empty when content-type is set to application/json'] },
        issues: [],
      },
    }),
  FST_ERR_CTP_INVALID_JSON_BODY: () =>
    new VeniceError('INVALID_REQUEST', {
      extra: { details: { _errors: ['Request body is not valid JSON'] }, issues: [] },
    }),
};

/**
 * Maps anything thrown while handling a request to the VeniceError the client sees. A client's mistake
 * keeps its 4xx; everything unexpected becomes 500 UNKNOWN_ERROR, whose cause is logged, never sent.
 */
export function toClientError(error: unknown): { veniceError: VeniceError; unexpected: boolean } {
  if (error instanceof VeniceError) return { veniceError: error, unexpected: false };
  if (error instanceof ZodError) return { veniceError: invalidRequest(error), unexpected: false };
  const fastifyError: Partial<FastifyError> =
    typeof error === 'object' && error !== null ? error : {};
  const mapped = fastifyError.code === undefined ? undefined : FASTIFY_CODES[fastifyError.code];
  if (mapped !== undefined) return { veniceError: mapped(), unexpected: false };
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return { veniceError: FASTIFY_CODES.FST_ERR_CTP_INVALID_JSON_BODY!(), unexpected: false };
  }
  if (
    typeof fastifyError.statusCode === 'number' &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  ) {
    return {
      veniceError: new VeniceError('INVALID_REQUEST', {
        extra: { details: { _errors: [String(fastifyError.message)] }, issues: [] },
      }),
      unexpected: false,
    };
  }
  return { veniceError: new VeniceError('UNKNOWN_ERROR', { cause: error }), unexpected: true };
}

/**
 * Fastify's `frameworkErrors`: what fails before a route is found (a malformed percent-encoding in the URL,
 * FST_ERR_BAD_URL) gets the Venice body and headers too, not Fastify's own JSON.
 */
export function renderFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const { veniceError } = toClientError(error);
  void reply
    .headers({ ...baseHeaders(request.id), ...veniceError.headers })
    .status(veniceError.status)
    .send(veniceError.toBody());
}

/** The log level the error table asks for, raised to `error` for anything unexpected. */
export function logLevelOf(error: VeniceError, unexpected: boolean): 'none' | 'warn' | 'error' {
  return unexpected ? 'error' : ERROR_CODES[error.code].log;
}

/** Whether the client went away before its answer was complete: what failed then is no failure to report. */
export function clientGone(reply: FastifyReply): boolean {
  return reply.raw.destroyed && !reply.raw.writableFinished;
}

/**
 * Logs an error answered to a client, at the table's level (`error` for anything unexpected), on the request's
 * logger (its reqId). An upstream's refusal of the request (a 4xx but 429) is logged at `warn` at least; every line
 * of an upstream's answer names the endpoint and its status, its own words only with logging.includeContent, since
 * upstreams quote requests back (engine-error.ts, UpstreamAnswer).
 * A client that went away first is logged at debug: nobody got an error.
 */
export function logClientError(
  request: FastifyRequest,
  reply: FastifyReply,
  error: unknown,
  veniceError: VeniceError,
  unexpected: boolean,
  includeContent: boolean,
): void {
  const answer =
    veniceError.cause instanceof EngineError ? veniceError.cause.options.upstream : undefined;
  const upstream =
    answer === undefined
      ? undefined
      : {
          endpoint: answer.endpoint,
          status: answer.status,
          ...(includeContent ? { message: answer.message } : {}),
        };
  if (clientGone(reply)) {
    request.log.debug(
      { code: veniceError.code, upstream },
      'the client went away before its answer',
    );
    return;
  }
  const tabled = logLevelOf(veniceError, unexpected);
  const refused =
    answer !== undefined && answer.status >= 400 && answer.status < 500 && answer.status !== 429;
  const level = tabled === 'none' && refused ? 'warn' : tabled;
  if (level === 'none') return;
  request.log[level](
    { err: unexpected ? error : undefined, code: veniceError.code, upstream },
    unexpected
      ? 'unexpected error'
      : upstream === undefined
        ? veniceError.message
        : `${veniceError.message} (upstream ${upstream.endpoint} answered ${upstream.status})`,
  );
}

/** The payload of the error event sent after SSE headers are out: `{ error: { message, code, status, … } }`. */
export function streamErrorBody(error: VeniceError): { error: Record<string, unknown> } {
  const body = error.toBody();
  const inner =
    typeof body.error === 'object' && body.error !== null ? body.error : { message: error.message };
  return {
    error: {
      ...inner,
      code: (inner as { code?: string }).code ?? error.code,
      status: error.status,
    },
  };
}

/** One `data:` event for an error after SSE headers are out (STYLE.md: then the stream closes). */
export function streamErrorEvent(error: VeniceError): string {
  return `data: ${JSON.stringify(streamErrorBody(error))}\n\n`;
}
