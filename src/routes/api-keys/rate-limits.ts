import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../../config.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import { requireKey } from '../../http/auth.ts';
import {
  resolveRateLimits,
  type RateLimiter,
  type RateLimitOverrides,
} from '../../rate-limit/rate-limiter.ts';
import type { AccountService } from '../../services/accounts/account-service.ts';
import type { KeyService } from '../../services/key-service.ts';
import type { ModelRegistry } from '../../services/model-registry.ts';
import { rateLimitStatus } from '../../services/rate-limit-status.ts';

export interface RateLimitRouteDependencies {
  config: Config;
  keys: KeyService;
  accounts: AccountService;
  registry: ModelRegistry;
  /** Absent when rate limiting is off: no limits are listed and the log is empty. */
  limiter?: RateLimiter | undefined;
}

/** The configured overrides without unset fields (the limiter's override type has no room for undefined). */
function overridesOf(config: Config): RateLimitOverrides {
  return Object.fromEntries(
    Object.entries(config.rateLimits.overrides).map(([limitClass, limits]) => [
      limitClass,
      Object.fromEntries(Object.entries(limits ?? {}).filter(([, value]) => value !== undefined)),
    ]),
  );
}

function callerKey(request: FastifyRequest): NonNullable<FastifyRequest['apiKey']> {
  if (request.apiKey === undefined) throw new VeniceError('AUTHENTICATION_FAILED');
  return request.apiKey;
}

/** GET /api_keys/rate_limits and /api_keys/rate_limits/log (INVENTORY §5.2, §5.3): any key, about itself. */
export function registerRateLimitRoutes(
  app: FastifyInstance,
  dependencies: RateLimitRouteDependencies,
): void {
  const { config, keys, accounts, registry, limiter } = dependencies;
  const anyKey = requireKey(keys);
  const table = limiter === undefined ? undefined : resolveRateLimits(overridesOf(config));

  app.get('/api_keys/rate_limits', { onRequest: anyKey }, async (request) => {
    const key = callerKey(request);
    const balances = await accounts.balances(key.accountId);
    const models = registry.list('all').map((entry) => entry.config);
    return { data: rateLimitStatus({ key, balances, models, table, now: new Date() }) };
  });

  // swagger: the last 50 limits exceeded, newest first; Rialto keeps them per key and shows the caller's own.
  app.get('/api_keys/rate_limits/log', { onRequest: anyKey }, async (request) => {
    const key = callerKey(request);
    const breaches = limiter === undefined ? [] : await limiter.recentBreaches(key.id);
    const data = breaches.map(({ apiKeyId, modelId, rateLimitTier, rateLimitType, timestamp }) => ({
      apiKeyId,
      modelId,
      rateLimitTier,
      rateLimitType,
      timestamp,
    }));
    return { object: 'list', data };
  });
}
