import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { toClientError } from '../../http/error-renderer.ts';
import { setModelHeaders } from '../../http/response-headers.ts';
import { writeEventStream } from '../../http/sse-writer.ts';
import { chatCompletionRequest } from '../../schemas/chat.ts';
import type { ChatService } from '../../services/chat/chat-service.ts';
import { abortOnClose } from '../abort-on-close.ts';

/** POST /chat/completions: JSON, or SSE when `stream` is true. */
export function registerChatRoutes(
  app: FastifyInstance,
  chat: ChatService,
  auth: onRequestAsyncHookHandler,
): void {
  app.post('/chat/completions', { onRequest: auth }, async (request, reply) => {
    const body = parseOrThrow(chatCompletionRequest, request.body);
    const signal = abortOnClose(request, reply);
    const result = await chat.create(body, signal, request.billing);
    setModelHeaders(reply, result.entry, result.servedBy);
    if (result.kind === 'json') return result.body;
    await writeEventStream(
      reply,
      result.chunks,
      (error) => {
        const { veniceError, unexpected } = toClientError(error);
        if (unexpected) request.log.error({ err: error }, 'stream failed after headers were sent');
        return veniceError;
      },
      { encode: result.encode },
    );
    return reply;
  });
}
