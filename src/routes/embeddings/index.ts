import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { setModelHeaders } from '../../http/response-headers.ts';
import { createEmbeddingRequest } from '../../schemas/embeddings.ts';
import type { EmbeddingService } from '../../services/embedding-service.ts';
import type { Meter } from '../../services/billing/meter.ts';
import { abortOnClose } from '../abort-on-close.ts';

/** POST /embeddings. */
export function registerEmbeddingRoutes(app: FastifyInstance, embeddings: EmbeddingService, meter: Meter, auth: onRequestAsyncHookHandler): void {
  app.post('/embeddings', { onRequest: auth }, async (request, reply) => {
    const body = parseOrThrow(createEmbeddingRequest, request.body);
    const result = await embeddings.create(body, abortOnClose(request, reply), meter.for(request.apiKey!, (headers) => reply.headers(Object.fromEntries(Object.entries(headers)))));
    setModelHeaders(reply, result.entry, result.servedBy);
    return result.body;
  });
}
