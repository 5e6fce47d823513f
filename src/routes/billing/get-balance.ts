import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { fromNanos } from '../../services/billing/money.ts';
import type { AccountService } from '../../services/accounts/account-service.ts';
import { callerAccount } from '../api-keys/caller-account.ts';

/**
 * GET /billing/balance (INVENTORY §6.3): free balances (balance − reserved by requests in flight).
 * DIEM is spent first (docs/overview/pricing.mdx), so it is the consumption currency while any remains;
 * canConsume says some balance remains. Both balances are numbers: Rialto has no staking state to report as null.
 */
export function registerGetBalance(
  app: FastifyInstance,
  accounts: AccountService,
  auth: onRequestAsyncHookHandler,
): void {
  app.get('/billing/balance', { onRequest: auth }, async (request) => {
    const { usd, diem, diemEpochAllocation } = await accounts.freeBalances(callerAccount(request));
    const consumptionCurrency = diem > 0 ? 'DIEM' : usd > 0 ? 'USD' : null;
    return {
      canConsume: consumptionCurrency !== null,
      consumptionCurrency,
      balances: { diem: fromNanos(diem), usd: fromNanos(usd) },
      diemEpochAllocation: fromNanos(diemEpochAllocation),
    };
  });
}
