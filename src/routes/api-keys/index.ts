import type { FastifyInstance } from 'fastify';
import { requireKey } from '../../http/auth.ts';
import type { KeyService } from '../../services/key-service.ts';
import { registerCreateApiKey } from './create-api-key.ts';
import { registerDeleteApiKey } from './delete-api-key.ts';
import { registerGetApiKey } from './get-api-key.ts';
import { registerListApiKeys } from './list-api-keys.ts';
import { registerUpdateApiKey } from './update-api-key.ts';

/** GET/POST/PATCH/DELETE /api_keys and GET /api_keys/{id}: ADMIN keys only, each confined to its own account. */
export function registerApiKeyRoutes(app: FastifyInstance, keys: KeyService): void {
  const admin = requireKey(keys, { admin: true });
  registerListApiKeys(app, keys, admin);
  registerCreateApiKey(app, keys, admin);
  registerUpdateApiKey(app, keys, admin);
  registerDeleteApiKey(app, keys, admin);
  registerGetApiKey(app, keys, admin);
}
