import type { FastifyInstance } from 'fastify';
import { requireKey } from '../../http/auth.ts';
import type { Meter } from '../../services/billing/meter.ts';
import type { KeyService } from '../../services/key-service.ts';
import type { ModelRegistry } from '../../services/model-registry.ts';
import { CursorCodec, cursorSecret } from '../../services/usage/history-cursor.ts';
import { UsageAnalytics, type ModelInfo } from '../../services/usage/usage-analytics.ts';
import { UsageHistory } from '../../services/usage/usage-history.ts';
import { registerGetBalance } from './get-balance.ts';
import { registerUsageAnalytics } from './usage-analytics.ts';
import { registerUsageHistory } from './usage-history.ts';
import { registerUsageSunset } from './usage-sunset.ts';

export interface BillingRouteDependencies {
  keys: KeyService;
  meter: Meter;
  registry: ModelRegistry;
  /** Signs usage-history cursors; default $RIALTO_CURSOR_SECRET, else random per process (see history-cursor.ts). */
  cursorSecret?: Buffer;
}

/** /billing/*: ADMIN keys only, each confined to its own account; /billing/usage is a public 410. */
export function registerBillingRoutes(app: FastifyInstance, dependencies: BillingRouteDependencies): void {
  const { keys, meter, registry } = dependencies;
  const admin = requireKey(keys, { admin: true });
  // Every configured model, removed ones included: their past usage is still priced and named.
  const models = new Map(registry.entries.map(({ config }) => [config.id, { name: config.name ?? config.id, pricing: config.pricing }]));
  const modelInfo: ModelInfo = (modelId) => models.get(modelId);
  const codec = new CursorCodec(dependencies.cursorSecret ?? cursorSecret());
  registerGetBalance(app, meter.store, admin);
  registerUsageSunset(app);
  registerUsageHistory(app, new UsageHistory(meter.store, (modelId) => modelInfo(modelId)?.pricing, codec), admin);
  registerUsageAnalytics(app, new UsageAnalytics(meter.store, modelInfo), admin);
}
