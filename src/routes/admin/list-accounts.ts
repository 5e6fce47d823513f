import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import type { Store } from '../../storage/store.ts';
import { accountView } from './account-view.ts';

/** GET /admin/accounts: every account, oldest first, with its balances and number of active keys. */
export function registerListAccounts(app: FastifyInstance, store: Store, auth: onRequestAsyncHookHandler): void {
  app.get('/admin/accounts', { onRequest: auth }, async () => {
    const [accounts, keys] = await Promise.all([store.accounts.list(), store.apiKeys.listActive()]);
    const counts = new Map<string, number>();
    for (const key of keys) counts.set(key.accountId, (counts.get(key.accountId) ?? 0) + 1);
    return { object: 'list', data: accounts.map((account) => accountView(account, counts.get(account.id) ?? 0)) };
  });
}
