import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { VeniceError } from '../../errors/venice-error.ts';
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
  // swagger: GET /api_keys/generate_web3_key (no key needed) mints wallet keys, which Rialto does not: it is an
  // unknown route, not the id of a key to look up (which would ask for an ADMIN key, then find none).
  app.get('/api_keys/generate_web3_key', async () => {
    throw new VeniceError('ROUTE_NOT_FOUND');
  });
  app.get('/api_keys/:id', { onRequest: auth }, async (request) => {
    const { id } = parseOrThrow(apiKeyIdParams, request.params);
    const record = await keys.get(id, callerAccount(request));
    if (record === undefined) throw keyNotFound();
    return { data: apiKeyDetailView(record, await keys.usage(record)) };
  });
}
