import type { FastifyInstance } from 'fastify';
import { requireKey } from '../../http/auth.ts';
import type { AccountService } from '../../services/accounts/account-service.ts';
import type { OperatorReads } from '../../services/admin/operator-reads.ts';
import type { KeyService } from '../../services/key-service.ts';
import type { ModelRegistry } from '../../services/model-registry.ts';
import type { UsageSeries } from '../../services/usage/usage-series.ts';
import { registerListAccounts } from './list-accounts.ts';
import { registerListEngines } from './list-engines.ts';
import { registerListJobs } from './list-jobs.ts';
import { registerListWallets } from './list-wallets.ts';
import { registerBreachLog } from './breach-log.ts';
import { registerTopUpAccount } from './top-up-account.ts';
import { registerUsageSeries } from './usage-series.ts';

export interface AdminRouteDependencies {
  keys: KeyService;
  accounts: AccountService;
  operator: OperatorReads;
  usageSeries: UsageSeries;
  registry: ModelRegistry;
}

/**
 * Rialto's operator API (not in the Venice spec), what the console needs beyond Venice's endpoints: every
 * account and top-ups, engine health, async jobs, the breach log of every key, usage by day, x402 wallets. ADMIN keys only
 * (401 without a key, 403 for INFERENCE keys). Like the character admin routes they are operator-wide, not
 * confined to the caller's account: ADMIN keys are the operator's (the CLI and ADMIN keys are what create them).
 */
export function registerAdminRoutes(
  app: FastifyInstance,
  dependencies: AdminRouteDependencies,
): void {
  const { keys, accounts, operator, usageSeries, registry } = dependencies;
  const admin = requireKey(keys, { admin: true });
  registerListAccounts(app, accounts, admin);
  registerTopUpAccount(app, accounts, admin);
  registerListEngines(app, registry, admin);
  registerListJobs(app, operator, admin);
  registerBreachLog(app, operator, admin);
  registerUsageSeries(app, usageSeries, admin);
  registerListWallets(app, operator, admin);
}
