// In-process rate limiter for a single replica: the request and token windows in FixedWindows, the abuse rule on
// rate-limiter-flexible's RateLimiterMemory (shared with the Redis limiter through AbuseGuard).
//
// Atomicity: once the abuse block is read (the one await), admit reads both windows, decides and takes the request
// and its tokens synchronously, and settle gives tokens back synchronously; no other admit or settle of the key runs
// in between, so there is no over-admission and no refusal caused by another request's tentative increment.
import { randomUUID } from 'node:crypto';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { AbuseGuard } from './abuse-guard.ts';
import {
  assertTokenCount,
  breachOf,
  rateLimitHeaders,
  refusalOf,
  retryAfterSeconds,
  windowKeyOf,
} from './admission.ts';
import { FixedWindows } from './fixed-windows.ts';
import { MemoryBreachLog } from './memory-breach-log.ts';
import { SettledIds } from './settled-ids.ts';
import {
  DEFAULT_ABUSE_RULE,
  resolveRateLimits,
  type Admission,
  type AdmitRequest,
  type RateLimitBreach,
  type RateLimiter,
  type RateLimiterOptions,
  type RateLimitTable,
  type Reservation,
} from './rate-limiter.ts';

export class MemoryRateLimiter implements RateLimiter {
  readonly #limits: RateLimitTable;
  readonly #requests: FixedWindows;
  readonly #tokens: FixedWindows;
  /** The reservations settled lately: a second settle of one is a no-op. */
  readonly #settled: SettledIds;
  readonly #abuse: AbuseGuard;
  readonly #breaches = new MemoryBreachLog();

  constructor(options: RateLimiterOptions = {}) {
    this.#limits = resolveRateLimits(options.limits);
    const windowMs = options.windowMs ?? 60_000;
    this.#requests = new FixedWindows(windowMs);
    this.#tokens = new FixedWindows(windowMs);
    this.#settled = new SettledIds(windowMs);
    const rule = { ...DEFAULT_ABUSE_RULE, ...options.abuse };
    this.#abuse = new AbuseGuard(
      new RateLimiterMemory({
        points: rule.maxFailures,
        duration: rule.windowSeconds,
        blockDuration: rule.blockSeconds,
      }),
      rule,
    );
  }

  async admit(request: AdmitRequest): Promise<Admission> {
    assertTokenCount('tokens', request.tokens);
    const limits = this.#limits[request.limitClass];
    const key = windowKeyOf(request.keyId, request.modelId);
    const blockedForMs = await this.#abuse.blockedForMs(request.keyId);
    // From here to the return, nothing awaits: the read, the decision and the take are one step.
    const now = Date.now();
    const hasTokenLimit = limits.tokensPerMinute !== undefined;
    const requests = this.#requests.read(key, now);
    const tokens = hasTokenLimit ? this.#tokens.read(key, now) : null;
    const refusal = refusalOf(limits, requests, tokens, request.tokens, blockedForMs);
    if (refusal !== null) {
      this.#breaches.record(breachOf(request, refusal.type, now));
      return {
        admitted: false,
        headers: rateLimitHeaders(limits, requests, tokens, now),
        retryAfterSeconds: retryAfterSeconds(refusal.msBeforeReset),
        type: refusal.type,
      };
    }
    const requestsAfter = this.#requests.add(key, 1, now);
    const tokensAfter = hasTokenLimit ? this.#tokens.add(key, request.tokens, now) : null;
    const reservation: Reservation = {
      id: randomUUID(),
      keyId: request.keyId,
      modelId: request.modelId,
      limitClass: request.limitClass,
      tokens: hasTokenLimit ? request.tokens : 0,
      tokenWindow: tokensAfter === null ? null : String(tokensAfter.endsAt),
    };
    return {
      admitted: true,
      headers: rateLimitHeaders(limits, requestsAfter, tokensAfter, now),
      reservation,
    };
  }

  async settle(reservation: Reservation, actualTokens: number): Promise<void> {
    assertTokenCount('actualTokens', actualTokens);
    if (reservation.tokenWindow === null || !this.#settled.add(reservation.id)) return;
    const unused = reservation.tokens - actualTokens;
    if (unused <= 0) return;
    // Only to the window the tokens came from: after it reset, the unused tokens are gone with it.
    this.#tokens.giveBack(
      windowKeyOf(reservation.keyId, reservation.modelId),
      unused,
      Number(reservation.tokenWindow),
      Date.now(),
    );
  }

  recordFailure(keyId: string): Promise<void> {
    return this.#abuse.record(keyId);
  }

  async recentBreaches(keyId?: string): Promise<RateLimitBreach[]> {
    return this.#breaches.recent(keyId);
  }

  async close(): Promise<void> {
    // No timers: the windows are swept as they are used, and RLF's abuse timers are unref'd.
  }
}
