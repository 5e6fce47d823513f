import type { EngineUsage } from '../../engines/engine.ts';
import type { Currency } from '../../storage/store.ts';
import type { LimitClass } from '../../rate-limit/rate-limiter.ts';
import type { Cost } from '../pricing.ts';

/** What a service needs to pay for one request: settle it with what was used, or release it. */
export interface Settlement {
  /** The currency paying (`cost` in responses reports the charge there). */
  readonly currency: Currency;
  /** Charges the actual cost (capped at the reservation) and records the usage; once. */
  settle(usage: EngineUsage, cost: Cost, status: string): Promise<void>;
  /** Frees the reservation without charge (the server failed); records the request with `status`. */
  release(status: string): Promise<void>;
}

export interface BillingRequest {
  modelId: string;
  modelType: string;
  requestId: string;
  /** The model's rate-limit class (its tier for text; embedding, image, audio). */
  limitClass: LimitClass;
  /** Worst-case tokens (prompt + every completion token allowed), held against tokens per minute. */
  tokens: number;
  worstCase: Cost;
  /** The model's privacy, checked against the key's modelPrivacy. */
  privacy: 'private' | 'anonymized';
}

/** A reservation that outlives its request (an async job), settled or released later by id from any process. */
export interface DurableReservation {
  /** Null when nothing was reserved (a free model). */
  reservationId: string | null;
  currency: Currency;
}

/** A request admitted against the key's rate limits, not yet reserved: for work whose price is known only later. */
export interface Admission {
  /** Reserves the worst-case cost of the admitted request (402 as Billing.reserve); once. */
  reserve(worstCase: Cost): Promise<Settlement>;
  /** The request ends before it is reserved (refused, failed): its rate-limit tokens go back; a no-op after reserve. */
  cancel(): Promise<void>;
}

/** How a service starts paying for a request; bound to the caller's key by the route. */
export interface Billing {
  /**
   * Admits the request against the key's privacy and rate limits (429 RATE_LIMIT_EXCEEDED with Retry-After)
   * before any work, and reserves later: audio is priced by its decoded length, known only once decoded.
   */
  admit(request: Omit<BillingRequest, 'worstCase'>): Promise<Admission>;
  /**
   * Admits the request against the key's rate limits (429 RATE_LIMIT_EXCEEDED with Retry-After), then
   * reserves the worst-case cost (402 INSUFFICIENT_BALANCE, API_KEY_*_SPEND_LIMIT_EXCEEDED).
   */
  reserve(request: BillingRequest): Promise<Settlement>;
  /**
   * Admits and reserves like `reserve`, for an async job: the reservation is held until `leaseUntil` (the
   * job's deadline) without renewal, and is settled or released with Meter.settleDurable / releaseDurable.
   */
  reserveDurable(request: BillingRequest, leaseUntil: Date): Promise<DurableReservation>;
}
