// In-process rate limiter on rate-limiter-flexible's RateLimiterMemory; for a single replica.
//
// Atomicity: RLF's consume increments even when it refuses, and it consumes one limiter at a time, so taking a
// request and tokens "or nothing" is done as read → decide → take inside a per-(key, model) mutex. No other
// admit or settle of that key runs in between, so the read is what the take adds to: no over-admission and no
// refusal caused by another request's tentative increment. RLF is used as a store of expiring counters
// (`points` unbounded) because the limits differ per class and are checked here.
import { randomUUID } from 'node:crypto';
import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible';
import { AbuseGuard } from './abuse-guard.ts';
import {
  assertTokenCount, breachOf, rateLimitHeaders, refusalOf, retryAfterSeconds, windowKeyOf, type WindowState,
} from './admission.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import { MemoryBreachLog } from './memory-breach-log.ts';
import { SettledIds } from './settled-ids.ts';
import {
  DEFAULT_ABUSE_RULE, resolveRateLimits, type Admission, type AdmitRequest, type RateLimitBreach, type RateLimiter,
  type RateLimiterOptions, type RateLimitTable, type Reservation,
} from './rate-limiter.ts';

export class MemoryRateLimiter implements RateLimiter {
  readonly #limits: RateLimitTable;
  readonly #windowMs: number;
  readonly #requests: RateLimiterMemory;
  readonly #tokens: RateLimiterMemory;
  /** The reservations settled lately: a second settle of one is a no-op. */
  readonly #settled: SettledIds;
  readonly #abuse: AbuseGuard;
  readonly #breaches = new MemoryBreachLog();
  readonly #mutex = new KeyedMutex();

  constructor(options: RateLimiterOptions = {}) {
    this.#limits = resolveRateLimits(options.limits);
    this.#windowMs = options.windowMs ?? 60_000;
    const window = { points: Number.MAX_SAFE_INTEGER, duration: this.#windowMs / 1000 };
    this.#requests = new RateLimiterMemory(window);
    this.#tokens = new RateLimiterMemory(window);
    this.#settled = new SettledIds(this.#windowMs);
    const rule = { ...DEFAULT_ABUSE_RULE, ...options.abuse };
    this.#abuse = new AbuseGuard(
      new RateLimiterMemory({ points: rule.maxFailures, duration: rule.windowSeconds, blockDuration: rule.blockSeconds }),
      rule,
    );
  }

  async admit(request: AdmitRequest): Promise<Admission> {
    assertTokenCount('tokens', request.tokens);
    const limits = this.#limits[request.limitClass];
    const key = windowKeyOf(request.keyId, request.modelId);
    const blockedForMs = await this.#abuse.blockedForMs(request.keyId);
    return this.#mutex.run(key, async () => {
      const hasTokenLimit = limits.tokensPerMinute !== undefined;
      const requests = await this.#read(this.#requests, key);
      const tokens = hasTokenLimit ? await this.#read(this.#tokens, key) : null;
      const refusal = refusalOf(limits, requests, tokens, request.tokens, blockedForMs);
      const now = Date.now();
      if (refusal !== null) {
        this.#breaches.record(breachOf(request, refusal.type, now));
        const headers = rateLimitHeaders(limits, requests, tokens, now);
        return { admitted: false, headers, retryAfterSeconds: retryAfterSeconds(refusal.msBeforeReset), type: refusal.type };
      }
      // penalty = increment without a verdict; the verdict was taken above, under the mutex.
      const requestsAfter = stateOf(await this.#requests.penalty(key, 1));
      const tokensAfter = hasTokenLimit ? stateOf(await this.#tokens.penalty(key, request.tokens)) : null;
      const reservation: Reservation = {
        id: randomUUID(), keyId: request.keyId, modelId: request.modelId, limitClass: request.limitClass,
        tokens: hasTokenLimit ? request.tokens : 0,
        tokenWindow: tokensAfter === null ? null : String(Date.now() + tokensAfter.msBeforeReset),
      };
      return { admitted: true, headers: rateLimitHeaders(limits, requestsAfter, tokensAfter, Date.now()), reservation };
    });
  }

  async settle(reservation: Reservation, actualTokens: number): Promise<void> {
    assertTokenCount('actualTokens', actualTokens);
    if (reservation.tokenWindow === null || !this.#settled.add(reservation.id)) return;
    const unused = reservation.tokens - actualTokens;
    if (unused <= 0) return;
    const key = windowKeyOf(reservation.keyId, reservation.modelId);
    const windowEndsAt = Number(reservation.tokenWindow);
    await this.#mutex.run(key, async () => {
      const current = await this.#tokens.get(key);
      if (current === null || current.msBeforeNext <= 0) return;
      // Windows of one key end at least windowMs apart, so half a window tells them apart despite clock reads.
      if (Math.abs(Date.now() + current.msBeforeNext - windowEndsAt) >= this.#windowMs / 2) return;
      const after = await this.#tokens.reward(key, Math.min(unused, current.consumedPoints));
      // The window ended between get and reward and RLF opened a new one at a negative count: undo it.
      if (after.isFirstInDuration) await this.#tokens.delete(key);
    });
  }

  recordFailure(keyId: string): Promise<void> {
    return this.#abuse.record(keyId);
  }

  async recentBreaches(keyId?: string): Promise<RateLimitBreach[]> {
    return this.#breaches.recent(keyId);
  }

  async close(): Promise<void> {
    // RLF's memory timers are unref'd; nothing holds the process open.
  }

  async #read(limiter: RateLimiterMemory, key: string): Promise<WindowState> {
    const state = await limiter.get(key);
    return state === null || state.msBeforeNext <= 0 ? { used: 0, msBeforeReset: this.#windowMs } : stateOf(state);
  }
}

function stateOf(state: RateLimiterRes): WindowState {
  return { used: state.consumedPoints, msBeforeReset: state.msBeforeNext };
}
