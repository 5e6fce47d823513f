import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { updateApiKeyRequest, type UpdateApiKeyRequest } from '../../schemas/api-keys.ts';
import { apiKeyView, limitsToNanos } from '../../services/api-key-views.ts';
import type { KeyService, KeyUpdate } from '../../services/key-service.ts';
import { callerAccount, keyNotFound } from './caller-account.ts';

/** The fields the body gives; `consumptionLimit` (swagger) and `consumptionLimits` (the guide) mean the same. */
function toKeyUpdate(body: UpdateApiKeyRequest): KeyUpdate {
  const update: KeyUpdate = {};
  if (body.description !== undefined) update.description = body.description;
  if (body.expiresAt !== undefined) update.expiresAt = body.expiresAt;
  const limits = body.consumptionLimit ?? body.consumptionLimits;
  if (limits !== undefined) update.consumptionLimits = limitsToNanos(limits);
  if (body.limitPeriod !== undefined) update.limitPeriod = body.limitPeriod;
  if (body.modelPrivacy !== undefined) update.modelPrivacy = body.modelPrivacy;
  return update;
}

/** PATCH /api_keys: changes the fields given (the id is in the body); limits merge per currency. */
export function registerUpdateApiKey(
  app: FastifyInstance,
  keys: KeyService,
  auth: onRequestAsyncHookHandler,
): void {
  app.patch('/api_keys', { onRequest: auth }, async (request) => {
    const accountId = callerAccount(request);
    const body = parseOrThrow(updateApiKeyRequest, request.body);
    const record = await keys.update(body.id, accountId, toKeyUpdate(body));
    if (record === undefined) throw keyNotFound();
    return { success: true, data: apiKeyView(record) };
  });
}
