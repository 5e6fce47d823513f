import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import type { VeniceError } from '../../errors/venice-error.ts';
import { streamErrorBody, toClientError } from '../../http/error-renderer.ts';
import { setModelHeaders } from '../../http/response-headers.ts';
import { writeEventStream } from '../../http/sse-writer.ts';
import type { ResponseErrorFields } from '../../schemas/responses-events.ts';
import { responsesRequest } from '../../schemas/responses.ts';
import type { ResponsesService } from '../../services/responses/responses-service.ts';
import { abortOnClose } from '../abort-on-close.ts';

export interface ResponsesRouteDependencies {
  responses: ResponsesService;
  auth: onRequestAsyncHookHandler;
}

/** POST /responses: JSON, or OpenAI's Responses SSE events (`event:` + `data:`, no [DONE]) when `stream` is true. */
export function registerResponsesRoutes(
  app: FastifyInstance,
  { responses, auth }: ResponsesRouteDependencies,
): void {
  app.post('/responses', { onRequest: auth }, async (request, reply) => {
    const body = parseOrThrow(responsesRequest, request.body);
    const signal = abortOnClose(request, reply);
    const toError = (error: unknown): VeniceError => {
      const { veniceError, unexpected } = toClientError(error);
      if (unexpected) request.log.error({ err: error }, 'stream failed after headers were sent');
      return veniceError;
    };
    // The error event: OpenAI's {code, message} and Venice's stream error object (which OpenAI's SDK throws).
    const errorFields = (error: unknown): ResponseErrorFields => {
      const veniceError = toError(error);
      return {
        code: veniceError.code,
        message: veniceError.message,
        ...streamErrorBody(veniceError),
      };
    };
    const billing = request.billing;
    const result = await responses.create(body, signal, billing, errorFields);
    setModelHeaders(reply, result.entry, result.servedBy);
    if (result.kind === 'json') return result.body;
    await writeEventStream(reply, result.events, toError, {
      eventName: (event) => (typeof event.type === 'string' ? event.type : undefined),
      done: false,
    });
    return reply;
  });
}
