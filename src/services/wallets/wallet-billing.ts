import type { EngineUsage } from '../../engines/engine.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import type { Metrics } from '../../observability/metrics.ts';
import {
  FAILED_REQUESTS_MESSAGE,
  type RateLimiter,
  type RateLimitHeaders,
  type Reservation,
} from '../../rate-limit/rate-limiter.ts';
import type { Nanos } from '../../storage/store.ts';
import type { WalletId, WalletRepository } from '../../storage/wallet-store.ts';
import type { Billing, BillingRequest, Settlement } from '../billing/meter.ts';
import { fromNanos, toNanos } from '../billing/money.ts';
import { PendingSettlements } from '../billing/pending-settlements.ts';
import type { Cost } from '../pricing.ts';
import {
  type PaymentRequiredContext,
  X402InsufficientBalance,
} from './inference-payment-required.ts';
import type { SignedInWallet } from './siwx-verifier.ts';
import type { TopUpService } from './top-up-service.ts';
import { balanceRemainingHeader, type WalletService } from './wallet-service.ts';
import { walletRateLimitKey } from './wallet-id.ts';
import { startWalletUpkeep, type WalletUpkeep } from './wallet-upkeep.ts';

/** Where a wallet-paid request's headers go (the reply), and whether they can still change. */
export interface WalletReplyHeaders {
  set(name: string, value: string): void;
  /** True once the response's head was written (a stream): the header can no longer change. */
  sent(): boolean;
}

/**
 * Billing (services/billing/meter.ts's interface) paid from a signed-in wallet's x402 credit ledger, so every
 * service bills a wallet exactly as it bills a key: admitted against the wallet's rate limits (the limiter's
 * table, keyed by wallet), the worst case held before any work (402 PAYMENT_REQUIRED when the free balance minus
 * the minimum balance is short), settled to the actual cost (a CHARGE of min(actual, held)) or released on
 * failure, renewed while the request runs (a dead process's holds end with their lease) and top-ups left pending
 * reconciled every `wallets.reconcileIntervalSeconds` (wallet-upkeep.ts).
 * Wallets pay in USD: a request's USD price is what it costs.
 */
export class WalletBilling {
  private readonly open = new Set<string>();
  /** Settlements handed out and not yet settled or released: a graceful shutdown waits for them (close). */
  private readonly pending = new PendingSettlements(undefined);
  private readonly upkeep: WalletUpkeep;
  private readonly leaseMs: number;
  private readonly floor: Nanos;
  private readonly metrics: Metrics | undefined;

  constructor(
    private readonly repository: WalletRepository,
    private readonly wallets: WalletService,
    private readonly topUp: TopUpService,
    private readonly limiter: RateLimiter | undefined,
    options: { leaseSeconds?: number; metrics?: Metrics } = {},
  ) {
    this.leaseMs = (options.leaseSeconds ?? 60) * 1000;
    this.floor = wallets.minimumBalance;
    this.metrics = options.metrics;
    this.upkeep = startWalletUpkeep({
      repository,
      topUp,
      open: this.open,
      leaseMs: this.leaseMs,
      reconcileMs: wallets.config.reconcileIntervalSeconds * 1000,
    });
  }

  /** Wallet holds this process keeps open for requests in progress. */
  get openReservations(): number {
    return this.open.size;
  }

  /**
   * Stops the upkeep (wallet-upkeep.ts) once every settlement handed out was settled or released (the account path's
   * Meter.settled, followed: the app's onClose awaits this before the store closes, so a wallet request ending
   * during a graceful shutdown is charged, not left to its lease), or after `timeoutMs`; true when all were.
   */
  async close(timeoutMs = 10_000): Promise<boolean> {
    const settled = await this.pending.settled(timeoutMs);
    this.upkeep.stop();
    await this.topUp.reconciled();
    return settled;
  }

  /**
   * The Billing of one request paid by `signedIn`: `headers` receives X-Balance-Remaining (the free balance after
   * the hold when the response starts; after the charge when it has not started yet: JSON answers) and the
   * x-ratelimit-* headers; `context` names the request in the 402 it may get.
   */
  for(
    signedIn: SignedInWallet,
    headers: WalletReplyHeaders,
    context: PaymentRequiredContext,
    setRateHeaders: (headers: RateLimitHeaders) => void = () => undefined,
  ): Billing {
    const wallet = signedIn.wallet;
    return {
      admit: async (request) => {
        const admitted = await this.admit(wallet, request, setRateHeaders);
        let open = true;
        return {
          reserve: async (worstCase) => {
            open = false;
            return this.reserveAdmitted(
              wallet,
              { ...request, worstCase },
              admitted,
              headers,
              context,
            );
          },
          cancel: async () => {
            if (!open) return;
            open = false;
            if (admitted !== undefined) await this.limiter!.settle(admitted, 0);
          },
        };
      },
      reserve: async (request) =>
        this.reserveAdmitted(
          wallet,
          request,
          await this.admit(wallet, request, setRateHeaders),
          headers,
          context,
        ),
      reserveDurable: async (request, leaseUntil) => {
        const admitted = await this.admit(wallet, request, setRateHeaders);
        if (admitted !== undefined) await this.limiter!.settle(admitted, 0);
        const amount = toNanos(request.worstCase.usd);
        if (amount === 0) return { reservationId: null, currency: 'USD' };
        const reservationId = `wallet_${request.requestId}`;
        await this.hold(wallet, request, reservationId, amount, leaseUntil, context);
        return { reservationId, currency: 'USD' };
      },
    };
  }

  /** Charges a durable hold (the job succeeded) once; false when it was settled or released before. */
  async settleDurable(reservationId: string, amount: Nanos): Promise<boolean> {
    const settled = await this.repository.settle(reservationId, amount, new Date().toISOString());
    return settled.applied;
  }

  /** Gives a durable hold back (the job failed); false when it was not open. */
  releaseDurable(reservationId: string): Promise<boolean> {
    return this.repository.release(reservationId);
  }

  private async admit(
    wallet: WalletId,
    request: Omit<BillingRequest, 'worstCase'>,
    setRateHeaders: (headers: RateLimitHeaders) => void,
  ): Promise<Reservation | undefined> {
    const limiter = this.limiter;
    if (limiter === undefined) return undefined;
    const admission = await limiter.admit({
      keyId: walletRateLimitKey(wallet),
      limitClass: request.limitClass,
      modelId: request.modelId,
      tokens: request.tokens,
    });
    this.metrics?.rateLimit(request.limitClass, admission.admitted ? 'none' : admission.type);
    setRateHeaders(admission.headers);
    if (admission.admitted) return admission.reservation;
    throw new VeniceError('RATE_LIMIT_EXCEEDED', {
      ...(admission.type === 'FAILED_REQUESTS' ? { message: FAILED_REQUESTS_MESSAGE } : {}),
      headers: { 'retry-after': String(admission.retryAfterSeconds) },
    });
  }

  /** Holds `amount` on the wallet above its minimum balance; throws the x402 insufficient-balance 402. */
  private async hold(
    wallet: WalletId,
    request: BillingRequest,
    reservationId: string,
    amount: Nanos,
    leaseUntil: Date,
    context: PaymentRequiredContext,
  ): Promise<void> {
    const held = await this.repository.reserve({
      reservationId,
      wallet,
      amount,
      floor: this.floor,
      requestId: request.requestId,
      modelId: request.modelId,
      createdAt: new Date().toISOString(),
      leaseUntil: leaseUntil.toISOString(),
    });
    if (held) return;
    const free = await this.wallets.freeBalance(wallet);
    throw new X402InsufficientBalance(this.wallets.config, this.topUp, {
      ...context,
      currentBalanceUsd: fromNanos(Math.max(0, free)),
    });
  }

  private async reserveAdmitted(
    wallet: WalletId,
    request: BillingRequest,
    admitted: Reservation | undefined,
    headers: WalletReplyHeaders,
    context: PaymentRequiredContext,
  ): Promise<Settlement> {
    const limiter = this.limiter;
    const tokensBack = async (usage?: EngineUsage): Promise<void> => {
      if (admitted !== undefined)
        await limiter!.settle(
          admitted,
          usage === undefined ? 0 : usage.promptTokens + usage.completionTokens,
        );
    };
    let settlement: Settlement;
    try {
      settlement = await this.reserve(wallet, request, headers, context);
    } catch (error) {
      // Refused for money: the request still counts, its tokens go back.
      await tokensBack();
      throw error;
    }
    return this.pending.track(
      {
        currency: 'USD',
        settle: async (usage, cost, status) => {
          await settlement.settle(usage, cost, status);
          await tokensBack(usage);
        },
        release: async (status) => {
          await settlement.release(status);
          await tokensBack();
        },
      },
      request.modelId,
    );
  }

  private async reserve(
    wallet: WalletId,
    request: BillingRequest,
    headers: WalletReplyHeaders,
    context: PaymentRequiredContext,
  ): Promise<Settlement> {
    const amount = toNanos(request.worstCase.usd);
    const showBalance = async (): Promise<void> => {
      if (headers.sent()) return;
      const free = await this.wallets.freeBalance(wallet);
      if (!headers.sent()) headers.set('x-balance-remaining', balanceRemainingHeader(free));
    };
    if (amount === 0) {
      // A free model holds and charges nothing; the header still says what the wallet has.
      await showBalance();
      return {
        currency: 'USD',
        settle: async () => showBalance(),
        release: async () => undefined,
      };
    }
    const reservationId = `wallet_${request.requestId}`;
    await this.hold(
      wallet,
      request,
      reservationId,
      amount,
      new Date(Date.now() + this.leaseMs),
      context,
    );
    this.open.add(reservationId);
    // A stream's head goes out before its charge: it shows the balance left after the hold (the least that remains).
    await showBalance();
    let closed = false;
    return {
      currency: 'USD',
      settle: async (_usage: EngineUsage, cost: Cost) => {
        if (closed) return;
        closed = true;
        this.open.delete(reservationId);
        await this.repository.settle(reservationId, toNanos(cost.usd), new Date().toISOString());
        await showBalance();
      },
      release: async () => {
        if (closed) return;
        closed = true;
        this.open.delete(reservationId);
        await this.repository.release(reservationId);
      },
    };
  }
}
