// The last refusals kept in process, for /api_keys/rate_limits/log. swagger: last 50 exceeded limits.
import { BREACH_LOG_SIZE, type RateLimitBreach } from './rate-limiter.ts';

/** Bounded newest-first lists: one over all keys and one per key, each at most BREACH_LOG_SIZE long. */
export class MemoryBreachLog {
  readonly #all: RateLimitBreach[] = [];
  readonly #byKey = new Map<string, RateLimitBreach[]>();

  record(breach: RateLimitBreach): void {
    push(this.#all, breach);
    const ofKey = this.#byKey.get(breach.apiKeyId) ?? [];
    push(ofKey, breach);
    this.#byKey.set(breach.apiKeyId, ofKey);
  }

  recent(keyId?: string): RateLimitBreach[] {
    return [...(keyId === undefined ? this.#all : (this.#byKey.get(keyId) ?? []))];
  }
}

function push(list: RateLimitBreach[], breach: RateLimitBreach): void {
  list.unshift(breach);
  if (list.length > BREACH_LOG_SIZE) list.length = BREACH_LOG_SIZE;
}
