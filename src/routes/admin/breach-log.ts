import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import type { RateLimiter } from '../../rate-limit/rate-limiter.ts';
import type { Store } from '../../storage/store.ts';

/**
 * GET /admin/rate-limits/log: the last 50 rate-limit refusals of every key, newest first, each with its key's
 * description and account (/api_keys/rate_limits/log shows only the caller's own).
 */
export function registerBreachLog(app: FastifyInstance, dependencies: { store: Store; limiter?: RateLimiter | undefined }, auth: onRequestAsyncHookHandler): void {
  const { store, limiter } = dependencies;
  app.get('/admin/rate-limits/log', { onRequest: auth }, async () => {
    const breaches = limiter === undefined ? [] : await limiter.recentBreaches();
    const keys = new Map(await Promise.all([...new Set(breaches.map((breach) => breach.apiKeyId))].map(async (id) => [id, await store.apiKeys.findById(id)] as const)));
    const data = breaches.map(({ apiKeyId, modelId, rateLimitTier, rateLimitType, timestamp }) => {
      const key = keys.get(apiKeyId);
      return { apiKeyId, keyDescription: key?.description ?? null, accountId: key?.accountId ?? null, modelId, rateLimitTier, rateLimitType, timestamp };
    });
    return { object: 'list', enabled: limiter !== undefined, data };
  });
}
