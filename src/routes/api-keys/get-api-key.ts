import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { apiKeyIdParams } from '../../schemas/api-keys.ts';
import { apiKeyDetailView } from '../../services/api-key-views.ts';
import type { KeyService } from '../../services/key-service.ts';
import { callerAccount, keyNotFound } from './caller-account.ts';

/** GET /api_keys/{id}: one active key of the caller's account, with its usage. */
export function registerGetApiKey(
  app: FastifyInstance,
  keys: KeyService,
  auth: onRequestAsyncHookHandler,
): void {
  // GET /api_keys/generate_web3_key is not a key id: generate-web3-key.ts serves it (404 when off).
  app.get('/api_keys/:id', { onRequest: auth }, async (request) => {
    const { id } = parseOrThrow(apiKeyIdParams, request.params);
    const record = await keys.get(id, callerAccount(request));
    if (record === undefined) throw keyNotFound();
    return { data: apiKeyDetailView(record, await keys.usage(record)) };
  });
}
