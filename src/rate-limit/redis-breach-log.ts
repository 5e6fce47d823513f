// The last refusals in Redis, shared by every replica: capped lists (LPUSH + LTRIM), one over all keys and
// one per key. swagger: /api_keys/rate_limits/log, last 50 exceeded limits.
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { BREACH_LOG_SIZE, type RateLimitBreach } from './rate-limiter.ts';

const BreachSchema = z.object({
  apiKeyId: z.string(),
  modelId: z.string(),
  rateLimitTier: z.string(),
  rateLimitType: z.enum(['RPM', 'TPM', 'FAILED_REQUESTS']),
  timestamp: z.string(),
}) satisfies z.ZodType<RateLimitBreach>;

export class RedisBreachLog {
  readonly #client: Redis;
  readonly #key: string;

  constructor(client: Redis, key: string) {
    this.#client = client;
    this.#key = key;
  }

  /** One MULTI, so both lists get the item or neither does. Rejects when Redis fails. */
  async record(breach: RateLimitBreach): Promise<void> {
    const item = JSON.stringify(breach);
    const ofKey = `${this.#key}:${breach.apiKeyId}`;
    await this.#client
      .multi()
      .lpush(this.#key, item)
      .ltrim(this.#key, 0, BREACH_LOG_SIZE - 1)
      .lpush(ofKey, item)
      .ltrim(ofKey, 0, BREACH_LOG_SIZE - 1)
      .exec();
  }

  async recent(keyId?: string): Promise<RateLimitBreach[]> {
    const items = await this.#client.lrange(
      keyId === undefined ? this.#key : `${this.#key}:${keyId}`,
      0,
      BREACH_LOG_SIZE - 1,
    );
    return items.flatMap((item) => {
      const breach = parseBreach(item);
      return breach === null ? [] : [breach];
    });
  }
}

function parseBreach(item: string): RateLimitBreach | null {
  const parsed = BreachSchema.safeParse(JSON.parse(item));
  return parsed.success ? parsed.data : null;
}
