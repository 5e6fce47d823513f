import type { FastifyInstance } from 'fastify';
import { requireKey } from '../../http/auth.ts';
import type { AccountService } from '../../services/accounts/account-service.ts';
import type { KeyService } from '../../services/key-service.ts';
import type { UsageAnalytics } from '../../services/usage/usage-analytics.ts';
import type { UsageHistory } from '../../services/usage/usage-history.ts';
import { registerGetBalance } from './get-balance.ts';
import { registerUsageAnalytics } from './usage-analytics.ts';
import { registerUsageHistory } from './usage-history.ts';
import { registerUsageSunset } from './usage-sunset.ts';

export interface BillingRouteDependencies {
  keys: KeyService;
  accounts: AccountService;
  usageHistory: UsageHistory;
  usageAnalytics: UsageAnalytics;
}

/** /billing/*: ADMIN keys only, each confined to its own account; /billing/usage is a public 410. */
export function registerBillingRoutes(
  app: FastifyInstance,
  dependencies: BillingRouteDependencies,
): void {
  const admin = requireKey(dependencies.keys, { admin: true });
  registerGetBalance(app, dependencies.accounts, admin);
  registerUsageSunset(app);
  registerUsageHistory(app, dependencies.usageHistory, admin);
  registerUsageAnalytics(app, dependencies.usageAnalytics, admin);
}
