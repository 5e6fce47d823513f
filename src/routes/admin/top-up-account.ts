import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { VeniceError } from '../../errors/venice-error.ts';
import { parseOrThrow } from '../../errors/validation.ts';
import { accountIdParams, topUpRequest } from '../../schemas/admin.ts';
import { decimalOf, toNanos } from '../../services/billing/money.ts';
import { CreditRefusedError, MAX_NANOS, type Store } from '../../storage/store.ts';
import { accountView } from './account-view.ts';

/** POST /admin/accounts/{id}/top-up {amount, currency}: credits an existing account atomically; the account after it. */
export function registerTopUpAccount(app: FastifyInstance, store: Store, auth: onRequestAsyncHookHandler): void {
  app.post('/admin/accounts/:id/top-up', { onRequest: auth }, async (request) => {
    const { id } = parseOrThrow(accountIdParams, request.params);
    const { amount, currency } = parseOrThrow(topUpRequest, request.body);
    const account = await store.accounts.credit(id, currency, toNanos(amount)).catch((error: unknown) => {
      if (!(error instanceof CreditRefusedError)) throw error;
      // An unknown id is a typo, not a new account: accounts come into being with their first key.
      if (error.reason === 'unknown-account') throw new VeniceError('INVALID_REQUEST', { message: 'Account not found' });
      // Checked in the store's one conditional update, so two top-ups at once cannot pass the bound together.
      throw new VeniceError('INVALID_REQUEST', { message: `The ${currency} balance would pass ${decimalOf(MAX_NANOS)}, the most an account holds`, extra: { details: { amount: { _errors: [error.message] } } } });
    });
    const keys = await store.apiKeys.listActive(id);
    return { success: true, data: accountView(account, keys.length) };
  });
}
