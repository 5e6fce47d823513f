import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { apiKeyDetailView } from '../../services/api-key-views.ts';
import type { KeyService } from '../../services/key-service.ts';
import { callerAccount } from './caller-account.ts';

/** GET /api_keys: the active keys of the caller's account, oldest first, with their usage. */
export function registerListApiKeys(
  app: FastifyInstance,
  keys: KeyService,
  auth: onRequestAsyncHookHandler,
): void {
  app.get('/api_keys', { onRequest: auth }, async (request) => {
    const records = await keys.listInAccount(callerAccount(request));
    const data = await Promise.all(
      records.map(async (record) => apiKeyDetailView(record, await keys.usage(record))),
    );
    return { object: 'list', data };
  });
}
