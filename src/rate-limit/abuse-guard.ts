// The abuse rule on any rate-limiter-flexible store. docs/api-reference/rate-limiting.mdx "Abuse Protection".
// One counter per key; each failure is one atomic increment in the store (in Redis: RLF's Lua script), so the
// rule needs no coordination of its own. RLF blocks the key for blockDuration the first time the count exceeds
// `points`, and later failures increment the counter without extending that block.
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { AbuseRule } from './rate-limiter.ts';

export class AbuseGuard {
  readonly #failures: RateLimiterAbstract;
  readonly #rule: AbuseRule;

  constructor(failures: RateLimiterAbstract, rule: AbuseRule) {
    this.#failures = failures;
    this.#rule = rule;
  }

  /** Counts one failure; resolves once the store holds it. Rejects when the store fails. */
  async record(keyId: string): Promise<void> {
    try {
      await this.#failures.consume(keyId);
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
    }
  }

  /** Milliseconds the key stays blocked; 0 when it is not blocked. */
  async blockedForMs(keyId: string): Promise<number> {
    const state = await this.#failures.get(keyId);
    if (state === null || state.consumedPoints <= this.#rule.maxFailures) return 0;
    return Math.max(0, state.msBeforeNext);
  }
}
