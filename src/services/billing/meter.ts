import { randomUUID } from 'node:crypto';
import type { EngineUsage } from '../../engines/engine.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import {
  type ApiKeyRecord,
  type Currency,
  type LedgerEntry,
  releasedUsage,
  type ReserveOutcome,
  type ReserveRequest,
  type Store,
  type UsageInput,
} from '../../storage/store.ts';
import type { Cost } from '../pricing.ts';
import {
  FAILED_REQUESTS_MESSAGE,
  type RateLimiter,
  type RateLimitHeaders,
  type Reservation,
} from '../../rate-limit/rate-limiter.ts';
import { fromNanos, toNanos } from './money.ts';
import type { Metrics } from '../../observability/metrics.ts';
import { traced } from '../../observability/tracing.ts';
import { PendingSettlements } from './pending-settlements.ts';
import { GroupCommit } from './group-commit.ts';
import { refuseByPrivacy } from './model-privacy.ts';
import { LeaseBook, type LeaseOptions } from './lease-book.ts';
import type { Billing, BillingRequest, DurableReservation, Settlement } from './billing.ts';
import { commitWork, type LedgerWork, reserveRequest } from './ledger-work.ts';
import { type DurableRecord, settleDurable } from './durable-settlement.ts';

export type {
  Admission,
  Billing,
  BillingRequest,
  DurableReservation,
  Settlement,
} from './billing.ts';

/** A request's usage record, charged `charge` nanos. */
type UsageOf = (usage: EngineUsage, status: string, charge: number) => UsageInput;

/** What `cost` charges, in nanos of `currency`. */
const charged = (currency: Currency, cost: Cost): number =>
  toNanos(currency === 'USD' ? cost.usd : cost.diem);

/**
 * The accounts layer between services and the ledger (store.ledger): reserve before the engine runs,
 * settle after. Free requests (worst case 0) reserve nothing and are recorded when they end.
 */
export class Meter {
  /** Reservations this process holds open, renewed while they run. */
  private readonly open = new Set<string>();
  private readonly renewal: NodeJS.Timeout;
  private readonly leaseMs: number;
  private renewing = false;
  private readonly now: () => Date;
  private readonly metrics: Metrics | undefined;
  private readonly pending: PendingSettlements;
  /**
   * Reservations and closings (settlements, releases, free requests' records) go to the store in group commits,
   * both kinds of one loop turn in one transaction (LedgerRepository.commitMany): one commit a batch, not two.
   */
  private readonly batches: GroupCommit<LedgerWork, ReserveOutcome | boolean>;
  /** Budget leases (config.billing.budgetLeases): requests reserve and settle in memory, charged in batches. */
  private readonly leases: LeaseBook | undefined;

  /** `metrics` counts admissions and the tokens of settled requests; `leases` turns budget leases on. */
  constructor(
    readonly store: Store,
    private readonly limiter?: RateLimiter,
    options: {
      leaseSeconds?: number;
      now?: () => Date;
      metrics?: Metrics;
      leases?: LeaseOptions;
      /** Told of lease charges lost (the lease was gone when written) and of failed writes (kept, retried). */
      onLeaseTrouble?: (event: {
        lost?: { leaseId: string; charges: number; amount: number };
        error?: unknown;
      }) => void;
    } = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.leaseMs = (options.leaseSeconds ?? 60) * 1000;
    this.metrics = options.metrics;
    this.pending = new PendingSettlements(options.metrics);
    this.batches = new GroupCommit((work) => commitWork(store, work));
    this.renewal = setInterval(() => void this.renewAll(), this.leaseMs / 3);
    this.renewal.unref();
    const trouble = options.onLeaseTrouble ?? (() => undefined);
    this.leases =
      options.leases === undefined
        ? undefined
        : new LeaseBook(
            store,
            options.leases,
            {
              renewing: this.open,
              lost: (leaseId, charges, amount) => {
                this.metrics?.budgetLeaseChargesLost(charges);
                trouble({ lost: { leaseId, charges, amount } });
              },
              failed: (error) => trouble({ error }),
            },
            () => this.now().getTime(),
          );
  }

  /** Writes the charges budget leases hold in memory (before a read of balances, spend or usage). */
  async sync(): Promise<void> {
    await this.leases?.flushAll();
  }

  /** Key `keyId` (any key when undefined) changed: its budget leases go back, the next request leases under its new limits. */
  keyChanged(keyId: string | undefined): void {
    this.leases?.retireKey(keyId);
  }

  /** Charges and closes every budget lease (a graceful shutdown, once requests are settled). */
  async closeLeases(): Promise<void> {
    await this.leases?.close();
  }

  /** Reservations this process holds for requests in progress (GET /metrics): a lease counts its requests. */
  get openReservations(): number {
    if (this.leases === undefined) return this.open.size;
    return this.open.size - this.leases.count + this.leases.inFlight;
  }

  /**
   * Resolves once every settlement handed out has been settled or released (a graceful shutdown waits for
   * this before closing the store), or after `timeoutMs`; true when all were.
   */
  settled(timeoutMs: number): Promise<boolean> {
    return this.pending.settled(timeoutMs);
  }

  /**
   * Every open reservation's lease in one pass of a few statements (one by one, a pass over a hundred streams on a
   * loaded PostgreSQL outlasted a 2 s lease, and a live reservation was released under its request); a pass still
   * running when the next is due lets that one go.
   */
  private async renewAll(): Promise<void> {
    if (this.renewing || this.open.size === 0) return;
    this.renewing = true;
    const leaseUntil = new Date(this.now().getTime() + this.leaseMs).toISOString();
    await this.store.ledger.renew([...this.open], leaseUntil).catch(() => undefined);
    this.renewing = false;
  }

  /** Stops renewing (the process is shutting down). */
  close(): void {
    clearInterval(this.renewal);
  }

  /** The key's account balances in decimal units (for x-venice-balance-* headers: the balance before the request). */
  async balances(accountId: string): Promise<{ usd: number; diem: number }> {
    const account = await this.store.accounts.find(accountId);
    // This instance's leases are reserved in the store, yet free to spend less what its requests hold or owe.
    const unused = this.leases?.unused(accountId) ?? { USD: 0, DIEM: 0 };
    return {
      usd: fromNanos((account?.usdBalance ?? 0) - (account?.usdReserved ?? 0) + unused.USD),
      diem: fromNanos((account?.diemBalance ?? 0) - (account?.diemReserved ?? 0) + unused.DIEM),
    };
  }

  /** Releases reservations whose process died (their lease ran out); run periodically and at start. */
  sweep(): Promise<number> {
    return this.store.ledger.releaseExpired(this.now().toISOString());
  }

  /** Billing for one request of `key`; `setHeaders` receives the x-ratelimit-* headers decided at admission. */
  for(
    key: ApiKeyRecord,
    setHeaders: (headers: RateLimitHeaders) => void = () => undefined,
  ): Billing {
    return {
      reserveDurable: async (request, leaseUntil) => {
        refuseByPrivacy(key, request);
        const admitted = await this.admit(key, request, setHeaders);
        // A job's tokens-per-minute use is its admission only: it holds no tokens.
        if (admitted !== undefined) await this.limiter!.settle(admitted, 0);
        return this.reserveUntil(key, request, leaseUntil);
      },
      admit: async (request) => {
        refuseByPrivacy(key, request);
        const admitted = await this.admit(key, request, setHeaders);
        let open = true;
        return {
          reserve: async (worstCase) => {
            open = false;
            return this.reserveAdmitted(key, { ...request, worstCase }, admitted);
          },
          cancel: async () => {
            if (!open) return;
            open = false;
            if (admitted !== undefined) await this.limiter!.settle(admitted, 0);
          },
        };
      },
      reserve: async (request) => {
        refuseByPrivacy(key, request);
        return this.reserveAdmitted(key, request, await this.admit(key, request, setHeaders));
      },
    };
  }

  /**
   * Charges a durable reservation (the job succeeded); false when it was already settled or released, so a
   * job finished twice (a worker taken over after a crash) is charged once. Free jobs (no reservation) are
   * recorded under `requestId`, once.
   */
  async settleDurable(reservation: DurableRecord, amount: number): Promise<boolean> {
    return settleDurable(this.store, reservation, amount, this.now());
  }

  /** Gives a durable reservation back (the job failed: a refund); false when it was not open. */
  releaseDurable(reservationId: string, status: string): Promise<boolean> {
    return this.store.ledger.release(reservationId, status, this.now().toISOString());
  }

  private async reserveBatched(request: ReserveRequest): Promise<ReserveOutcome> {
    const outcome = await this.batches.submit({ reserve: request });
    if (typeof outcome === 'boolean') throw new Error('a reservation was answered as a closing');
    return outcome;
  }

  private async closeBatched(entry: LedgerEntry): Promise<boolean> {
    const applied = await this.batches.submit({ close: entry });
    if (typeof applied !== 'boolean') throw new Error('a closing was answered as a reservation');
    return applied;
  }

  /** Reserves a request already admitted (`admitted`: its rate-limit hold, settled with the request's tokens). */
  private async reserveAdmitted(
    key: ApiKeyRecord,
    request: BillingRequest,
    admitted: Reservation | undefined,
  ): Promise<Settlement> {
    try {
      const settlement = await traced('billing.reserve', (span) => {
        span?.setAttributes({
          'rialto.model': request.modelId,
          'rialto.model_type': request.modelType,
        });
        return this.reserve(key, request);
      });
      if (admitted === undefined) return this.pending.track(settlement, request.modelId);
      const limiter = this.limiter!;
      return this.pending.track(
        {
          currency: settlement.currency,
          settle: async (usage, cost, status) => {
            await settlement.settle(usage, cost, status);
            await limiter.settle(admitted, usage.promptTokens + usage.completionTokens);
          },
          release: async (status) => {
            await settlement.release(status);
            await limiter.settle(admitted, 0);
          },
        },
        request.modelId,
      );
    } catch (error) {
      // Refused for money: the request still counts, its tokens go back.
      if (admitted !== undefined) await this.limiter!.settle(admitted, 0);
      throw error;
    }
  }

  private async admit(
    key: ApiKeyRecord,
    request: Omit<BillingRequest, 'worstCase'>,
    setHeaders: (headers: RateLimitHeaders) => void,
  ): Promise<Reservation | undefined> {
    const limiter = this.limiter;
    if (limiter === undefined) return undefined;
    const admission = await traced('rate_limit.admit', async (span) => {
      span?.setAttributes({
        'rialto.model': request.modelId,
        'rialto.rate_limit.class': request.limitClass,
      });
      const decided = await limiter.admit({
        keyId: key.id,
        limitClass: request.limitClass,
        modelId: request.modelId,
        tokens: request.tokens,
      });
      span?.setAttribute('rialto.rate_limit.outcome', decided.admitted ? 'allowed' : decided.type);
      return decided;
    });
    this.metrics?.rateLimit(request.limitClass, admission.admitted ? 'none' : admission.type);
    setHeaders(admission.headers);
    if (admission.admitted) return admission.reservation;
    throw new VeniceError('RATE_LIMIT_EXCEEDED', {
      ...(admission.type === 'FAILED_REQUESTS' ? { message: FAILED_REQUESTS_MESSAGE } : {}),
      headers: { 'retry-after': String(admission.retryAfterSeconds) },
    });
  }

  private async reserveUntil(
    key: ApiKeyRecord,
    request: BillingRequest,
    leaseUntil: Date,
  ): Promise<DurableReservation> {
    const amount = toNanos(Math.max(request.worstCase.usd, request.worstCase.diem));
    if (amount === 0) return { reservationId: null, currency: 'USD' };
    const reservationId = randomUUID();
    const currency = await this.reserveInStore(
      reserveRequest(key, request, reservationId, amount, this.now(), leaseUntil),
    );
    return { reservationId, currency };
  }

  /** Reserves `request` in the next reservation batch; throws the refusal's 402. */
  private async reserveInStore(request: ReserveRequest): Promise<Currency> {
    const outcome = await this.reserveBatched(request);
    if (!outcome.reserved) throw new VeniceError(outcome.reason);
    return outcome.currency;
  }

  private async reserve(key: ApiKeyRecord, request: BillingRequest): Promise<Settlement> {
    const started = this.now();
    const reservationId = randomUUID();
    const amount = toNanos(Math.max(request.worstCase.usd, request.worstCase.diem));
    const record: UsageOf = (usage, status, charge) => ({
      modelType: request.modelType,
      amount: charge,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      cachedTokens: usage.cachedTokens ?? 0,
      status,
      executionMs: this.now().getTime() - started.getTime(),
      createdAt: this.now().toISOString(),
    });
    if (amount === 0) return this.freeSettlement(key, request, reservationId, record);
    const leaseUntil = new Date(started.getTime() + this.leaseMs);
    const reservation = reserveRequest(key, request, reservationId, amount, started, leaseUntil);
    const ticket = await this.leases?.take(reservation);
    if (ticket !== undefined && ticket !== 'fallback') {
      const { currency } = ticket;
      return {
        currency,
        settle: async (usage, cost, status) =>
          ticket.charge(record(usage, status, charged(currency, cost))),
        release: async (status) => ticket.release(releasedUsage(status, this.now().toISOString())),
      };
    }
    const currency = await this.reserveInStore(reservation);
    this.open.add(reservationId);
    return {
      currency,
      settle: async (usage, cost, status) => {
        this.open.delete(reservationId);
        await this.closeBatched({
          kind: 'close',
          reservationId,
          state: 'settled',
          usage: record(usage, status, charged(currency, cost)),
        });
      },
      release: async (status) => {
        this.open.delete(reservationId);
        await this.closeBatched({
          kind: 'close',
          reservationId,
          state: 'released',
          usage: releasedUsage(status, this.now().toISOString()),
        });
      },
    };
  }

  /** A request on a free model: nothing reserved, recorded when it ends. */
  private freeSettlement(
    key: ApiKeyRecord,
    request: BillingRequest,
    id: string,
    record: UsageOf,
  ): Settlement {
    const insert = async (usage: EngineUsage, status: string): Promise<void> => {
      await this.closeBatched({
        kind: 'record',
        record: {
          id,
          requestId: request.requestId,
          accountId: key.accountId,
          keyId: key.id,
          modelId: request.modelId,
          currency: 'USD',
          ...record(usage, status, 0),
        },
      });
    };
    return {
      currency: 'USD',
      settle: (usage, _cost, status) => insert(usage, status),
      release: (status) => insert({ promptTokens: 0, completionTokens: 0 }, status),
    };
  }
}
