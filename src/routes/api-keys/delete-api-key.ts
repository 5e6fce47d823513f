import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { deleteApiKeyQuery } from '../../schemas/api-keys.ts';
import type { KeyService } from '../../services/key-service.ts';
import { callerAccount, keyNotFound } from './caller-account.ts';

/** DELETE /api_keys?id=: revokes the key; it fails authentication from the next request on. */
export function registerDeleteApiKey(
  app: FastifyInstance,
  keys: KeyService,
  auth: onRequestAsyncHookHandler,
): void {
  app.delete('/api_keys', { onRequest: auth }, async (request) => {
    const { id } = parseOrThrow(deleteApiKeyQuery, request.query);
    if (!(await keys.revokeInAccount(id, callerAccount(request)))) throw keyNotFound();
    return { success: true };
  });
}
