// Rate limiter shared by every replica through Redis.
//
// Atomicity: RateLimiterRedis updates one key per call, and its consume increments even when it refuses. Taking
// a request, then tokens, and rewarding the first when the second refuses is NOT exact across processes:
//  - while a tentative increment is in Redis, concurrent admits see it and are refused although the budget would
//    have let them through (a refused request does eat budget, for a moment);
//  - a reward that lands after its window expired goes through RLF's script "SET 0 NX EX; INCRBY -n", opening
//    a new window at -n: the next window admits n more than its limit (over-admission). The same holds for
//    settle's reward of unused tokens, which often comes seconds later, across a window boundary.
// So admit and settle are each one small Lua script (redis-scripts.ts): read both windows, decide, and take
// only when admitted; settle gives back only to the window it took from (window id) and only once (marker key).
// Redis runs a script alone, so this is exact under any concurrency of replicas. The abuse rule is one counter
// per key, which RateLimiterRedis handles atomically on its own (abuse-guard.ts).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { AbuseGuard } from './abuse-guard.ts';
import {
  assertTokenCount,
  breachOf,
  rateLimitHeaders,
  retryAfterSeconds,
  type WindowState,
} from './admission.ts';
import { defineRateLimitScripts, parseAdmitReply } from './redis-scripts.ts';
import { RedisBreachLog } from './redis-breach-log.ts';
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

export interface RedisRateLimiterOptions extends RateLimiterOptions {
  /** A client the caller owns and closes, or a URL for a connection this limiter opens and closes. */
  readonly redis: Redis | string;
  /** Namespace of every key; replicas that share limits share the prefix. Default `rialto:rate-limit`. */
  readonly prefix?: string;
}

/**
 * A request must not wait on a Redis that is gone: ioredis' defaults queue a command through 20 reconnection
 * attempts, 2 s apart at most (tens of seconds). Here a command fails with the first failed attempt, an attempt gives
 * up after 2 s, and attempts are at most 1 s apart: the client keeps reconnecting in the background, so limits resume
 * about a second after Redis is back. Commands wait for the first connection (start-up) as usual.
 */
const OWNED_CLIENT_OPTIONS = {
  maxRetriesPerRequest: 0,
  connectTimeout: 2000,
  retryStrategy: (attempt: number) => Math.min(attempt * 50, 1000),
} as const;

export class RedisRateLimiter implements RateLimiter {
  readonly #client: Redis;
  readonly #ownsClient: boolean;
  readonly #prefix: string;
  readonly #limits: RateLimitTable;
  readonly #windowMs: number;
  readonly #abuse: AbuseGuard;
  readonly #breaches: RedisBreachLog;

  constructor(options: RedisRateLimiterOptions) {
    this.#ownsClient = typeof options.redis === 'string';
    this.#client =
      typeof options.redis === 'string'
        ? new Redis(options.redis, OWNED_CLIENT_OPTIONS)
        : options.redis;
    // Connection failures reach the caller as rejected commands (fail-safe-rate-limiter.ts logs them), not as events.
    if (this.#ownsClient) this.#client.on('error', () => undefined);
    this.#prefix = options.prefix ?? 'rialto:rate-limit';
    this.#limits = resolveRateLimits(options.limits);
    this.#windowMs = options.windowMs ?? 60_000;
    defineRateLimitScripts(this.#client);
    const rule = { ...DEFAULT_ABUSE_RULE, ...options.abuse };
    const failures = new RateLimiterRedis({
      storeClient: this.#client,
      keyPrefix: `${this.#prefix}:failures`,
      points: rule.maxFailures,
      duration: rule.windowSeconds,
      blockDuration: rule.blockSeconds,
    });
    this.#abuse = new AbuseGuard(failures, rule);
    this.#breaches = new RedisBreachLog(this.#client, `${this.#prefix}:breaches`);
  }

  async admit(request: AdmitRequest): Promise<Admission> {
    assertTokenCount('tokens', request.tokens);
    this.#assertConnected();
    const limits = this.#limits[request.limitClass];
    const blockedForMs = await this.#abuse.blockedForMs(request.keyId);
    const keys = this.#windowKeys(request.keyId, request.modelId);
    const tokenLimit = limits.tokensPerMinute ?? -1;
    const reply = parseAdmitReply(
      await this.#client.rialtoRateLimitAdmit(
        keys.requests,
        keys.tokens,
        limits.requestsPerMinute,
        tokenLimit,
        request.tokens,
        this.#windowMs,
        randomUUID(),
        blockedForMs > 0 ? 1 : 0,
      ),
    );
    const now = Date.now();
    const requests: WindowState = { used: reply.requestsUsed, msBeforeReset: reply.requestsTtlMs };
    const tokens: WindowState | null =
      tokenLimit < 0 ? null : { used: reply.tokensUsed, msBeforeReset: reply.tokensTtlMs };
    const headers = rateLimitHeaders(limits, requests, tokens, now);
    if (reply.verdict === 'OK') {
      const reservation: Reservation = {
        id: randomUUID(),
        keyId: request.keyId,
        modelId: request.modelId,
        limitClass: request.limitClass,
        tokens: tokens === null ? 0 : request.tokens,
        tokenWindow: tokens === null ? null : reply.tokensWindowId,
      };
      return { admitted: true, headers, reservation };
    }
    await this.#breaches.record(breachOf(request, reply.verdict, now));
    const msBeforeReset =
      reply.verdict === 'FAILED_REQUESTS'
        ? blockedForMs
        : reply.verdict === 'RPM'
          ? requests.msBeforeReset
          : reply.tokensTtlMs;
    return {
      admitted: false,
      headers,
      retryAfterSeconds: retryAfterSeconds(msBeforeReset),
      type: reply.verdict,
    };
  }

  async settle(reservation: Reservation, actualTokens: number): Promise<void> {
    assertTokenCount('actualTokens', actualTokens);
    if (reservation.tokenWindow === null) return;
    this.#assertConnected();
    const keys = this.#windowKeys(reservation.keyId, reservation.modelId);
    await this.#client.rialtoRateLimitSettle(
      keys.tokens,
      `${keys.base}:settled:${reservation.id}`,
      reservation.tokenWindow,
      Math.max(0, reservation.tokens - actualTokens),
      this.#windowMs,
    );
  }

  recordFailure(keyId: string): Promise<void> {
    return this.#abuse.record(keyId);
  }

  recentBreaches(keyId?: string): Promise<RateLimitBreach[]> {
    return this.#breaches.recent(keyId);
  }

  async close(): Promise<void> {
    if (this.#ownsClient) await this.#client.quit();
  }

  async ping(): Promise<void> {
    await this.#client.ping();
  }

  /** Between reconnection attempts (Redis went away) a command would only wait for the next one to fail: fail now. */
  #assertConnected(): void {
    if (this.#client.status === 'reconnecting' || this.#client.status === 'end')
      throw new Error(`Redis is unreachable (${this.#client.status})`);
  }

  /** One hash tag per (key, model), so a script's keys share a Redis Cluster slot. */
  #windowKeys(keyId: string, modelId: string): { base: string; requests: string; tokens: string } {
    const base = `${this.#prefix}:{${keyId}:${modelId}}`;
    return { base, requests: `${base}:requests`, tokens: `${base}:tokens` };
  }
}
