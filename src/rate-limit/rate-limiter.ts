// The rate limiter: per API key, per model, requests and tokens per window, plus the abuse rule.
// docs/api-reference/rate-limiting.mdx; INVENTORY.md §3.2 (headers) and §5 (limits, log shape).

/** Text tiers, then the request-only model types. docs/api-reference/rate-limiting.mdx "Default Limits". */
export type LimitClass = 'XS' | 'S' | 'M' | 'L' | 'embedding' | 'image' | 'audio';

export interface ClassLimits {
  /** Requests per window (a minute by default). 0 refuses every request of the class. */
  readonly requestsPerMinute: number;
  /** Tokens (prompt + completion) per window; absent for classes limited by requests only. */
  readonly tokensPerMinute?: number;
}

export type RateLimitTable = Readonly<Record<LimitClass, ClassLimits>>;

/** docs/api-reference/rate-limiting.mdx, non-partner defaults. */
export const DEFAULT_RATE_LIMITS: RateLimitTable = {
  XS: { requestsPerMinute: 500, tokensPerMinute: 1_000_000 },
  S: { requestsPerMinute: 75, tokensPerMinute: 750_000 },
  M: { requestsPerMinute: 50, tokensPerMinute: 750_000 },
  L: { requestsPerMinute: 20, tokensPerMinute: 500_000 },
  embedding: { requestsPerMinute: 500 },
  image: { requestsPerMinute: 20 },
  audio: { requestsPerMinute: 60 },
};

/** Config overrides, merged field by field over DEFAULT_RATE_LIMITS. */
export type RateLimitOverrides = { readonly [C in LimitClass]?: Partial<ClassLimits> };

export function resolveRateLimits(overrides: RateLimitOverrides = {}): RateLimitTable {
  const merge = (limitClass: LimitClass): ClassLimits => ({
    ...DEFAULT_RATE_LIMITS[limitClass],
    ...overrides[limitClass],
  });
  return {
    XS: merge('XS'),
    S: merge('S'),
    M: merge('M'),
    L: merge('L'),
    embedding: merge('embedding'),
    image: merge('image'),
    audio: merge('audio'),
  };
}

/** docs/api-reference/rate-limiting.mdx "Abuse Protection": more than 20 failures in 30 s blocks for 30 s. */
export interface AbuseRule {
  readonly maxFailures: number;
  readonly windowSeconds: number;
  readonly blockSeconds: number;
}

export const DEFAULT_ABUSE_RULE: AbuseRule = {
  maxFailures: 20,
  windowSeconds: 30,
  blockSeconds: 30,
};

/** Verbatim, docs/api-reference/rate-limiting.mdx. */
export const FAILED_REQUESTS_MESSAGE =
  'Too many failed attempts (> 20) resulting in a non-success status code. Please wait 30s and try again.';

export interface RateLimiterOptions {
  readonly limits?: RateLimitOverrides;
  /** Length of the request and token windows; 60 000 ms in production, shorter in tests. */
  readonly windowMs?: number;
  readonly abuse?: Partial<AbuseRule>;
}

export interface AdmitRequest {
  readonly keyId: string;
  readonly limitClass: LimitClass;
  readonly modelId: string;
  /** Worst case for the request: prompt tokens + max_tokens. Ignored for classes without a token limit. */
  readonly tokens: number;
}

/** Header values decided at admission, so a streamed response can send them before its first byte. */
export interface RateLimitHeaders {
  readonly 'x-ratelimit-limit-requests': string;
  readonly 'x-ratelimit-remaining-requests': string;
  /** Unix timestamp in seconds when the request window resets. */
  readonly 'x-ratelimit-reset-requests': string;
  /** The three token headers are present only for classes with a token limit. */
  readonly 'x-ratelimit-limit-tokens'?: string;
  readonly 'x-ratelimit-remaining-tokens'?: string;
  /** Seconds until the token window resets (not a timestamp, unlike reset-requests). */
  readonly 'x-ratelimit-reset-tokens'?: string;
  readonly 'x-ratelimit-type': 'api_key';
}

/** What admit took; hand it back to settle once the real usage is known. */
export interface Reservation {
  readonly id: string;
  readonly keyId: string;
  readonly modelId: string;
  readonly limitClass: LimitClass;
  readonly tokens: number;
  /** Identifies the token window the tokens were taken from; null when the class has no token limit. */
  readonly tokenWindow: string | null;
}

/** swagger: /api_keys/rate_limits/log item, rateLimitType (RPD and UNSUPPORTED_FEATURE_REQUESTS are not produced). */
export type RateLimitType = 'RPM' | 'TPM' | 'FAILED_REQUESTS';

export type Admission =
  | {
      readonly admitted: true;
      readonly headers: RateLimitHeaders;
      readonly reservation: Reservation;
    }
  | {
      readonly admitted: false;
      readonly headers: RateLimitHeaders;
      readonly retryAfterSeconds: number;
      readonly type: RateLimitType;
    };

/** swagger: /api_keys/rate_limits/log item; rateLimitTier is the limit class. */
export interface RateLimitBreach {
  readonly apiKeyId: string;
  readonly modelId: string;
  readonly rateLimitTier: string;
  readonly rateLimitType: RateLimitType;
  /** ISO 8601. */
  readonly timestamp: string;
}

export const BREACH_LOG_SIZE = 50;

export interface RateLimiter {
  /**
   * Takes one request and reserves `tokens` from the windows of (keyId, modelId), all or nothing: a refusal
   * consumes nothing and is logged as a breach. Exact under concurrency (Redis: across processes).
   * A blocked key (abuse rule) is refused with type FAILED_REQUESTS. Rejects only when the store fails.
   */
  admit(request: AdmitRequest): Promise<Admission>;
  /**
   * Gives back `reserved - actualTokens` (never below zero consumed), only to the window the reservation came
   * from: after that window has reset it is a no-op. Idempotent: a second settle of a reservation is a no-op.
   */
  settle(reservation: Reservation, actualTokens: number): Promise<void>;
  /**
   * Counts one failed (non-2xx) response of the key; more than maxFailures within windowSeconds blocks the key
   * for blockSeconds. Failures counted while blocked do not extend the block.
   */
  recordFailure(keyId: string): Promise<void>;
  /** The last 50 refusals, newest first; of one key when keyId is given. Redis: shared by all replicas. */
  recentBreaches(keyId?: string): Promise<RateLimitBreach[]>;
  /** Releases timers and connections the limiter owns. */
  close(): Promise<void>;
  /** Resolves when the limiter's store answers (Redis: PING); rejects when it does not. In-process limiters have none. */
  ping?(): Promise<void>;
}
