import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { setModelHeaders } from '../../http/response-headers.ts';
import { createEmbeddingRequest } from '../../schemas/embeddings.ts';
import type { EmbeddingService } from '../../services/embedding-service.ts';
import { abortOnClose } from '../abort-on-close.ts';

/** POST /embeddings. */
export function registerEmbeddingRoutes(
  app: FastifyInstance,
  embeddings: EmbeddingService,
  auth: onRequestAsyncHookHandler,
): void {
  app.post('/embeddings', { onRequest: auth }, async (request, reply) => {
    const body = parseOrThrow(createEmbeddingRequest, request.body);
    const result = await embeddings.create(body, abortOnClose(request, reply), request.billing);
    setModelHeaders(reply, result.entry, result.servedBy);
    return result.body;
  });
}
