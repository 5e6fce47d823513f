import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { RedisKeyChangeFeed } from './redis-key-change-feed.ts';

/**
 * Tells every replica that a key record changed (revoked, limits or expiry updated), so each drops its cached
 * copy (KeyService caches records for a moment) and the change applies everywhere within milliseconds.
 */
export interface KeyChangeFeed {
  /**
   * Announces that key `id` changed, after the change is in the store; resolves once the announcement has left
   * (every subscribed replica has it a moment later). Never rejects: when the channel is down the change still
   * applies everywhere once cached records expire (config keyCacheMs).
   */
  publish(id: string): Promise<void>;
  /**
   * Calls `onChange(id)` for each announcement of any replica (this one included), and `onChange(undefined)`
   * whenever announcements may have been missed (after each (re)subscription): drop every cached record then.
   * Resolves once subscribed, or after a few seconds when the channel cannot be reached (it keeps trying).
   */
  subscribe(onChange: (id: string | undefined) => void): Promise<void>;
  /** Closes the channel's connections; publish is a no-op afterwards. */
  close(): Promise<void>;
}

/** Redis pub/sub where replicas share Redis (rateLimits.store redis), on the channel `<redisPrefix>:key-changes`; else none. */
export function createKeyChangeFeed(config: Config, logger: Logger): KeyChangeFeed | undefined {
  const { store, redisUrl, redisPrefix } = config.rateLimits;
  if (store !== 'redis') return undefined;
  const url = redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  return new RedisKeyChangeFeed({ url, channel: `${redisPrefix}:key-changes`, logger });
}
