import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { FailSafeRateLimiter } from './fail-safe-rate-limiter.ts';
import { MemoryRateLimiter } from './memory-rate-limiter.ts';
import type { RateLimiter, RateLimitOverrides } from './rate-limiter.ts';
import { RedisRateLimiter } from './redis-rate-limiter.ts';

/**
 * The configured limiter, or undefined when rate limiting is off. The Redis one fails as rateLimits.onStoreError
 * says when Redis cannot be reached (logged to `logger` once a minute).
 */
export function createRateLimiter(config: Config, logger?: Logger): RateLimiter | undefined {
  const { enabled, store, redisUrl } = config.rateLimits;
  if (!enabled) return undefined;
  // Drop unset fields: the limiter's override type has no room for explicit undefineds.
  const overrides: RateLimitOverrides = Object.fromEntries(
    Object.entries(config.rateLimits.overrides).map(([limitClass, limits]) => [
      limitClass,
      Object.fromEntries(Object.entries(limits ?? {}).filter(([, value]) => value !== undefined)),
    ]),
  );
  if (store === 'memory') return new MemoryRateLimiter({ limits: overrides });
  const url = redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new RedisRateLimiter({
    redis: url,
    prefix: config.rateLimits.redisPrefix,
    limits: overrides,
  });
  return new FailSafeRateLimiter(redis, {
    policy: config.rateLimits.onStoreError,
    logger,
    limits: overrides,
  });
}
