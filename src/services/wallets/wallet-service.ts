import type { WalletsConfig } from '../../config/wallets-config.ts';
import type { Nanos } from '../../storage/store.ts';
import type { WalletEntry, WalletId, WalletRepository } from '../../storage/wallet-store.ts';
import { fixedOf, fromNanos, toNanos } from '../billing/money.ts';
import { addressOf } from './wallet-id.ts';

/** A wallet's hold on its ledger for one request: what `settle` or `release` closes. */
export interface WalletReservation {
  reservationId: string;
  wallet: WalletId;
}

/**
 * Wallet balances, ledgers and billing (INVENTORY A.1) over the store's WalletRepository. Balances shown are free
 * balances (balance − what requests in flight hold). Billing mirrors the key billing's shape: `reserve` the
 * worst-case cost before the work, `settle` the actual cost after it (a CHARGE entry), `release` on failure;
 * the wallet keeps `minimumBalanceUsd` free, so a wallet under it cannot start a paid request.
 */
export class WalletService {
  readonly minimumBalance: Nanos;

  constructor(
    private readonly wallets: WalletRepository,
    readonly config: WalletsConfig,
  ) {
    this.minimumBalance = toNanos(config.minimumBalanceUsd);
  }

  /** The free balance in nanos (0 for a wallet never seen). */
  async freeBalance(wallet: WalletId): Promise<Nanos> {
    const { balance, reserved } = await this.wallets.balance(wallet);
    return balance - reserved;
  }

  /** swagger: getX402Balance's data. canConsume: the free balance reaches the minimum balance. */
  async balanceView(wallet: WalletId) {
    const free = await this.freeBalance(wallet);
    return {
      walletAddress: addressOf(wallet),
      balanceUsd: fromNanos(free),
      canConsume: free > 0 && free >= this.minimumBalance,
      minimumTopUpUsd: this.config.minimumTopUpUsd,
      suggestedTopUpUsd: this.config.suggestedTopUpUsd,
    };
  }

  /** swagger: getX402Transactions's data, newest first. */
  async transactionsView(wallet: WalletId, page: { limit: number; offset: number }) {
    const [entries, free] = await Promise.all([
      this.wallets.entries(wallet, { limit: page.limit + 1, offset: page.offset }),
      this.freeBalance(wallet),
    ]);
    return {
      walletAddress: addressOf(wallet),
      currentBalance: fromNanos(free),
      transactions: entries.slice(0, page.limit).map(transactionOf),
      pagination: { limit: page.limit, offset: page.offset, hasMore: entries.length > page.limit },
    };
  }

  /**
   * Holds `amount` (the worst case) for a request; undefined when the wallet cannot cover it and keep the minimum
   * balance (the caller answers 402). The hold's lease ends at `leaseUntil`; a dead process's holds are released
   * by `releaseExpired`.
   */
  async reserve(request: {
    wallet: WalletId;
    amount: Nanos;
    requestId: string;
    modelId: string;
    leaseUntil: string;
  }): Promise<WalletReservation | undefined> {
    const reservationId = `wallet_${request.requestId}`;
    const held = await this.wallets.reserve({
      reservationId,
      wallet: request.wallet,
      amount: request.amount,
      floor: this.minimumBalance,
      requestId: request.requestId,
      modelId: request.modelId,
      createdAt: new Date().toISOString(),
      leaseUntil: request.leaseUntil,
    });
    return held ? { reservationId, wallet: request.wallet } : undefined;
  }

  /** Charges min(actual, held) once; the free balance after it (for X-Balance-Remaining). */
  async settle(reservation: WalletReservation, actual: Nanos): Promise<Nanos> {
    await this.wallets.settle(reservation.reservationId, actual, new Date().toISOString());
    return this.freeBalance(reservation.wallet);
  }

  /** Frees the hold without charge (the request failed before any work was delivered). */
  async release(reservation: WalletReservation): Promise<void> {
    await this.wallets.release(reservation.reservationId);
  }
}

function transactionOf(entry: WalletEntry) {
  return {
    id: entry.id,
    amount: fromNanos(entry.amount),
    balanceAfter: fromNanos(entry.balanceAfter),
    type: entry.type,
    createdAt: entry.createdAt,
    requestId: entry.requestId,
    modelId: entry.modelId,
  };
}

/** X-Balance-Remaining: USD with 6 decimals (INVENTORY §3.3, "4.230000"). */
export function balanceRemainingHeader(free: Nanos): string {
  return fixedOf(free, 6);
}
