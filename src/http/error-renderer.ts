import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { ERROR_CODES } from '../errors/codes.ts';
import { invalidRequest } from '../errors/validation.ts';
import { VeniceError } from '../errors/venice-error.ts';
import { baseHeaders } from './response-headers.ts';

// Fastify's own errors for malformed requests, in Venice's terms.
const FASTIFY_CODES: Record<string, () => VeniceError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () => new VeniceError('PAYLOAD_TOO_LARGE'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => new VeniceError('INVALID_CONTENT_TYPE'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => new VeniceError('INVALID_REQUEST', { message: 'Request body length does not match Content-Length' }),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => new VeniceError('INVALID_REQUEST', { extra: { details: { _errors: ['Body cannot be empty when content-type is set to application/json'] }, issues: [] } }),
  FST_ERR_CTP_INVALID_JSON_BODY: () => new VeniceError('INVALID_REQUEST', { extra: { details: { _errors: ['Request body is not valid JSON'] }, issues: [] } }),
};

/**
 * Maps anything thrown while handling a request to the VeniceError the client sees. A client's mistake
 * keeps its 4xx; everything unexpected becomes 500 UNKNOWN_ERROR, whose cause is logged, never sent.
 */
export function toClientError(error: unknown): { veniceError: VeniceError; unexpected: boolean } {
  if (error instanceof VeniceError) return { veniceError: error, unexpected: false };
  if (error instanceof ZodError) return { veniceError: invalidRequest(error), unexpected: false };
  const fastifyError: Partial<FastifyError> = typeof error === 'object' && error !== null ? error : {};
  const mapped = fastifyError.code === undefined ? undefined : FASTIFY_CODES[fastifyError.code];
  if (mapped !== undefined) return { veniceError: mapped(), unexpected: false };
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return { veniceError: FASTIFY_CODES.FST_ERR_CTP_INVALID_JSON_BODY!(), unexpected: false };
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return { veniceError: new VeniceError('INVALID_REQUEST', { extra: { details: { _errors: [String(fastifyError.message)] }, issues: [] } }), unexpected: false };
  }
  return { veniceError: new VeniceError('UNKNOWN_ERROR', { cause: error }), unexpected: true };
}

/**
 * Fastify's `frameworkErrors`: what fails before a route is found (a malformed percent-encoding in the URL,
 * FST_ERR_BAD_URL) gets the Venice body and headers too, not Fastify's own JSON.
 */
export function renderFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const { veniceError } = toClientError(error);
  void reply.headers({ ...baseHeaders(request.id), ...veniceError.headers }).status(veniceError.status).send(veniceError.toBody());
}

/** The log level the error table asks for, raised to `error` for anything unexpected. */
export function logLevelOf(error: VeniceError, unexpected: boolean): 'none' | 'warn' | 'error' {
  return unexpected ? 'error' : ERROR_CODES[error.code].log;
}

/** The payload of the error event sent after SSE headers are out: `{ error: { message, code, status, … } }`. */
export function streamErrorBody(error: VeniceError): { error: Record<string, unknown> } {
  const body = error.toBody();
  const inner = typeof body.error === 'object' && body.error !== null ? body.error : { message: error.message };
  return { error: { ...inner, code: (inner as { code?: string }).code ?? error.code, status: error.status } };
}

/** One `data:` event for an error after SSE headers are out (STYLE.md: then the stream closes). */
export function streamErrorEvent(error: VeniceError): string {
  return `data: ${JSON.stringify(streamErrorBody(error))}\n\n`;
}
