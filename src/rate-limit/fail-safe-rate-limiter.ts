import type { Logger } from 'pino';
import { VeniceError } from '../errors/venice-error.ts';
import { rateLimitHeaders } from './admission.ts';
import {
  resolveRateLimits,
  type Admission,
  type AdmitRequest,
  type RateLimitBreach,
  type RateLimiter,
  type RateLimitOverrides,
  type RateLimitTable,
  type Reservation,
} from './rate-limiter.ts';

/** config rateLimits.onStoreError: what a request meets while the limiter's store (Redis) cannot be reached. */
export type StoreErrorPolicy = 'fail-open' | 'fail-closed';

/** An outage is logged when it starts, then at most this often while it lasts, and once when it ends. */
const LOG_INTERVAL_MS = 60_000;

export interface FailSafeOptions {
  policy: StoreErrorPolicy;
  logger?: Logger | undefined;
  /** The limits the inner limiter applies: a fail-open admission's headers announce them, untouched. */
  limits?: RateLimitOverrides;
  windowMs?: number;
  now?: () => number;
}

/**
 * A limiter whose store may fail (Redis), made to fail one documented way (README, Reliability). `fail-open`:
 * admission is granted without counting (the request is served; balances and spend limits, which live in the
 * database, still hold); `fail-closed`: admission is refused with 503 RATE_LIMITER_UNAVAILABLE. Either way, the
 * calls that follow a served request (settle, recordFailure) never fail it: the tokens it would give back expire
 * with their window anyway. Programming errors (RangeError from a bad token count) pass through.
 */
export class FailSafeRateLimiter implements RateLimiter {
  private readonly limits: RateLimitTable;
  private readonly windowMs: number;
  private readonly now: () => number;
  /** Admissions granted without the store; settling them is a no-op. */
  private readonly uncounted = new WeakSet<Reservation>();
  private outage: { since: number; loggedAt: number; failures: number } | undefined;

  constructor(
    private readonly inner: RateLimiter,
    private readonly options: FailSafeOptions,
  ) {
    this.limits = resolveRateLimits(options.limits);
    this.windowMs = options.windowMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  async admit(request: AdmitRequest): Promise<Admission> {
    let admission: Admission;
    try {
      admission = await this.inner.admit(request);
    } catch (error) {
      if (error instanceof RangeError) throw error;
      this.failed(error);
      if (this.options.policy === 'fail-closed')
        throw new VeniceError('RATE_LIMITER_UNAVAILABLE', { cause: error });
      return this.uncountedAdmission(request);
    }
    this.recovered();
    return admission;
  }

  async settle(reservation: Reservation, actualTokens: number): Promise<void> {
    if (this.uncounted.has(reservation)) return;
    try {
      await this.inner.settle(reservation, actualTokens);
    } catch (error) {
      if (error instanceof RangeError) throw error;
      this.failed(error);
    }
  }

  async recordFailure(keyId: string): Promise<void> {
    try {
      await this.inner.recordFailure(keyId);
    } catch (error) {
      this.failed(error);
    }
  }

  /** fail-open: no refusals can be read, so none are listed; fail-closed: 503 like admissions. */
  async recentBreaches(keyId?: string): Promise<RateLimitBreach[]> {
    try {
      return await this.inner.recentBreaches(keyId);
    } catch (error) {
      this.failed(error);
      if (this.options.policy === 'fail-closed')
        throw new VeniceError('RATE_LIMITER_UNAVAILABLE', { cause: error });
      return [];
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** The store's own answer, unguarded: GET /ready reports the outage whatever the policy. */
  async ping(): Promise<void> {
    await this.inner.ping?.();
  }

  /** Full windows in the headers: nothing was counted. */
  private uncountedAdmission(request: AdmitRequest): Admission {
    const limits = this.limits[request.limitClass];
    const fresh = { used: 0, msBeforeReset: this.windowMs };
    const reservation: Reservation = {
      id: 'uncounted',
      keyId: request.keyId,
      modelId: request.modelId,
      limitClass: request.limitClass,
      tokens: 0,
      tokenWindow: null,
    };
    this.uncounted.add(reservation);
    return {
      admitted: true,
      headers: rateLimitHeaders(
        limits,
        fresh,
        limits.tokensPerMinute === undefined ? null : fresh,
        this.now(),
      ),
      reservation,
    };
  }

  private failed(error: unknown): void {
    const now = this.now();
    if (this.outage === undefined)
      this.outage = { since: now, loggedAt: Number.NEGATIVE_INFINITY, failures: 0 };
    this.outage.failures += 1;
    if (now - this.outage.loggedAt < LOG_INTERVAL_MS) return;
    const action =
      this.options.policy === 'fail-open'
        ? 'serving requests without rate limits'
        : 'refusing requests with 503';
    this.options.logger?.warn(
      {
        err: error instanceof Error ? error.message : String(error),
        policy: this.options.policy,
        failures: this.outage.failures,
        since: new Date(this.outage.since).toISOString(),
      },
      `rate limiter store unreachable: ${action} (rateLimits.onStoreError)`,
    );
    this.outage.loggedAt = now;
  }

  private recovered(): void {
    if (this.outage === undefined) return;
    this.options.logger?.info(
      { failures: this.outage.failures, since: new Date(this.outage.since).toISOString() },
      'rate limiter store reachable again',
    );
    this.outage = undefined;
  }
}
