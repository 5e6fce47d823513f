import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { createApiKeyRequest } from '../../schemas/api-keys.ts';
import { createdKeyView, limitsToNanos } from '../../services/api-key-views.ts';
import type { KeyService } from '../../services/key-service.ts';
import { callerAccount } from './caller-account.ts';

const NO_LIMITS = { usd: null, diem: null, vcu: null };

/** POST /api_keys: a new key in the caller's account; its secret is in this answer only. */
export function registerCreateApiKey(
  app: FastifyInstance,
  keys: KeyService,
  auth: onRequestAsyncHookHandler,
): void {
  app.post('/api_keys', { onRequest: auth }, async (request) => {
    const accountId = callerAccount(request);
    const body = parseOrThrow(createApiKeyRequest, request.body);
    const created = await keys.createInAccount({
      accountId,
      apiKeyType: body.apiKeyType,
      description: body.description,
      expiresAt: body.expiresAt ?? null,
      consumptionLimits: { ...NO_LIMITS, ...limitsToNanos(body.consumptionLimit ?? {}) },
      ...(body.limitPeriod === undefined ? {} : { limitPeriod: body.limitPeriod }),
      ...(body.modelPrivacy === undefined ? {} : { modelPrivacy: body.modelPrivacy }),
    });
    return { success: true, data: createdKeyView(created) };
  });
}
