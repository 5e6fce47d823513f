import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { accountIdParams, topUpRequest } from '../../schemas/admin.ts';
import type { AccountService } from '../../services/accounts/account-service.ts';

/** POST /admin/accounts/{id}/top-up {amount, currency}: credits an existing account atomically; the account after it. */
export function registerTopUpAccount(
  app: FastifyInstance,
  accounts: AccountService,
  auth: onRequestAsyncHookHandler,
): void {
  app.post('/admin/accounts/:id/top-up', { onRequest: auth }, async (request) => {
    const { id } = parseOrThrow(accountIdParams, request.params);
    const { amount, currency } = parseOrThrow(topUpRequest, request.body);
    return { success: true, data: await accounts.topUp(id, currency, amount) };
  });
}
