import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { fromNanos } from '../../services/billing/money.ts';
import type { Store } from '../../storage/store.ts';
import { callerAccount } from '../api-keys/caller-account.ts';

/**
 * GET /billing/balance (INVENTORY §6.3): free balances (balance − reserved by requests in flight).
 * DIEM is spent first (docs/overview/pricing.mdx), so it is the consumption currency while any remains;
 * canConsume says some balance remains. Both balances are numbers: Rialto has no staking state to report as null.
 */
export function registerGetBalance(app: FastifyInstance, store: Store, auth: onRequestAsyncHookHandler): void {
  app.get('/billing/balance', { onRequest: auth }, async (request) => {
    const account = await store.accounts.find(callerAccount(request));
    const usd = (account?.usdBalance ?? 0) - (account?.usdReserved ?? 0);
    const diem = (account?.diemBalance ?? 0) - (account?.diemReserved ?? 0);
    const consumptionCurrency = diem > 0 ? 'DIEM' : usd > 0 ? 'USD' : null;
    return {
      canConsume: consumptionCurrency !== null,
      consumptionCurrency,
      balances: { diem: fromNanos(diem), usd: fromNanos(usd) },
      diemEpochAllocation: fromNanos(account?.diemEpochAllocation ?? 0),
    };
  });
}
