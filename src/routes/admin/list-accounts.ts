import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import type { AccountService } from '../../services/accounts/account-service.ts';

/** GET /admin/accounts: every account, oldest first, with its balances and number of active keys. */
export function registerListAccounts(
  app: FastifyInstance,
  accounts: AccountService,
  auth: onRequestAsyncHookHandler,
): void {
  app.get('/admin/accounts', { onRequest: auth }, async () => ({
    object: 'list',
    data: await accounts.list(),
  }));
}
