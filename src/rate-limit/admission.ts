// The decision and its outputs, shared by every store: which limit refuses, the x-ratelimit-* values
// (INVENTORY.md §3.2), Retry-After, and the breach log item (swagger: /api_keys/rate_limits/log).
import type {
  AdmitRequest,
  ClassLimits,
  RateLimitBreach,
  RateLimitHeaders,
  RateLimitType,
} from './rate-limiter.ts';

/** One window as read or written at admission: what it holds now and when it resets. */
export interface WindowState {
  readonly used: number;
  readonly msBeforeReset: number;
}

export interface Refusal {
  readonly type: RateLimitType;
  readonly msBeforeReset: number;
}

/** Null when one more request of `cost` tokens fits both windows and the key is not blocked. */
export function refusalOf(
  limits: ClassLimits,
  requests: WindowState,
  tokens: WindowState | null,
  cost: number,
  blockedForMs: number,
): Refusal | null {
  if (blockedForMs > 0) return { type: 'FAILED_REQUESTS', msBeforeReset: blockedForMs };
  if (requests.used + 1 > limits.requestsPerMinute)
    return { type: 'RPM', msBeforeReset: requests.msBeforeReset };
  if (
    tokens !== null &&
    limits.tokensPerMinute !== undefined &&
    tokens.used + cost > limits.tokensPerMinute
  ) {
    return { type: 'TPM', msBeforeReset: tokens.msBeforeReset };
  }
  return null;
}

export function rateLimitHeaders(
  limits: ClassLimits,
  requests: WindowState,
  tokens: WindowState | null,
  nowMs: number,
): RateLimitHeaders {
  const requestHeaders = {
    'x-ratelimit-limit-requests': String(limits.requestsPerMinute),
    'x-ratelimit-remaining-requests': String(Math.max(0, limits.requestsPerMinute - requests.used)),
    'x-ratelimit-reset-requests': String(Math.ceil((nowMs + requests.msBeforeReset) / 1000)),
    'x-ratelimit-type': 'api_key',
  } as const;
  if (tokens === null || limits.tokensPerMinute === undefined) return requestHeaders;
  return {
    ...requestHeaders,
    'x-ratelimit-limit-tokens': String(limits.tokensPerMinute),
    'x-ratelimit-remaining-tokens': String(Math.max(0, limits.tokensPerMinute - tokens.used)),
    'x-ratelimit-reset-tokens': String(Math.ceil(tokens.msBeforeReset / 1000)),
  };
}

/** Whole seconds, at least 1, so a client never retries in a tight loop. */
export function retryAfterSeconds(msBeforeReset: number): number {
  return Math.max(1, Math.ceil(msBeforeReset / 1000));
}

export function breachOf(
  request: AdmitRequest,
  type: RateLimitType,
  nowMs: number,
): RateLimitBreach {
  return {
    apiKeyId: request.keyId,
    modelId: request.modelId,
    rateLimitTier: request.limitClass,
    rateLimitType: type,
    timestamp: new Date(nowMs).toISOString(),
  };
}

/** Token counts are whole and non-negative; the stores count in integers. */
export function assertTokenCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`${name} must be a non-negative integer`);
}

/** Counters of one key on one model; the limits come from the model's class. */
export function windowKeyOf(keyId: string, modelId: string): string {
  return `${keyId}:${modelId}`;
}
