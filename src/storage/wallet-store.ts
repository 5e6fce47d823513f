import type { Nanos } from './store.ts';

/** A wallet as the ledger keys it: 'eip155:' + lowercase 0x address, or 'solana:' + base58 (services/wallets/wallet-id.ts). */
export type WalletId = string;

export type WalletEntryType = 'TOP_UP' | 'CHARGE' | 'REFUND';

export interface WalletBalance {
  wallet: WalletId;
  /** Nano-USD; 0 for a wallet never seen. */
  balance: Nanos;
  /** What open reservations hold of it. */
  reserved: Nanos;
}

export interface WalletEntry {
  id: string;
  wallet: WalletId;
  type: WalletEntryType;
  /** Signed: TOP_UP and REFUND positive, CHARGE negative. */
  amount: Nanos;
  balanceAfter: Nanos;
  requestId: string | null;
  modelId: string | null;
  /** TOP_UP: the payment's network and on-chain transaction. */
  network: string | null;
  transaction: string | null;
  createdAt: string;
}

export interface WalletCredit {
  wallet: WalletId;
  type: 'TOP_UP' | 'REFUND';
  /** Positive, whole nanos. */
  amount: Nanos;
  /** Unique per payment (TOP_UP: `<network>:<transaction>`) or refund: a second credit with it changes nothing. */
  idempotencyKey: string;
  requestId?: string | null;
  modelId?: string | null;
  network?: string | null;
  transaction?: string | null;
  createdAt: string;
}

/** A wallet with its ledger's totals, as the operator's console lists it (OperatorReads.wallets). */
export interface WalletSummary {
  wallet: WalletId;
  balance: Nanos;
  reserved: Nanos;
  /** Sums of the wallet's entries by type, each positive. */
  toppedUp: Nanos;
  charged: Nanos;
  refunded: Nanos;
  entries: number;
  createdAt: string;
  /** The newest entry's time; the wallet's creation when it has none. */
  lastActivityAt: string;
}

/**
 * An x402 top-up verified and about to be settled, recorded before the settlement so that a process dying between
 * settlement and credit leaves what is needed to ask the chain (issue #20). Deleted by the credit of the same
 * payment key, in its transaction, or dropped when the chain shows the authorization unused past `validBefore`.
 */
export interface PendingTopUp {
  /** The credit's idempotency key: `<network>:<authorizer>:<nonce>`. */
  paymentKey: string;
  wallet: WalletId;
  /** Nano-USD to credit. */
  amount: Nanos;
  network: string;
  /** The token's contract and the operator's receiving address, as configured. */
  asset: string;
  payTo: string;
  /** The transfer in the token's base units (decimal string). */
  value: string;
  /** The EIP-3009 authorization: its signer and 32-byte nonce (0x hex), valid before this time (ISO 8601). */
  authorizer: string;
  nonce: string;
  validBefore: string;
  /** The chain's block number before settlement (decimal): its logs are searched from there. */
  fromBlock: string;
  createdAt: string;
}

/** `credited` false: the key was credited before (`entry` is that first credit); nothing changed. */
export type WalletCreditOutcome = { credited: boolean; entry: WalletEntry };

export interface WalletReserveRequest {
  reservationId: string;
  wallet: WalletId;
  /** The worst-case cost. */
  amount: Nanos;
  /** The wallet must keep at least this much free after the hold (the minimum balance): 0 for none. */
  floor: Nanos;
  requestId: string;
  modelId: string;
  createdAt: string;
  /** An open reservation past this time is released by `releaseExpired` (the process serving it died). */
  leaseUntil: string;
}

/**
 * The x402 wallet ledger. Every method is one transaction of conditional updates (`… WHERE balance - reserved >=
 * amount`), never a read then a write, so concurrent requests on any number of processes cannot overspend a wallet,
 * and a payment credits at most once. Amounts stay within MAX_NANOS (a credit past it is refused with
 * CreditRefusedError('over-maximum')).
 */
export interface WalletRepository {
  /** Balance and reserved of a wallet (zeros when unknown). */
  balance(wallet: WalletId): Promise<WalletBalance>;
  /**
   * Credits a TOP_UP or REFUND once per idempotency key, creating the wallet; the entry written (or the earlier one).
   * The pending top-up of that key, if any, is deleted in the same transaction.
   */
  credit(credit: WalletCredit): Promise<WalletCreditOutcome>;
  /** Records a pending top-up; a second record of the same payment key changes nothing. */
  recordPendingTopUp(pending: PendingTopUp): Promise<void>;
  /** The pending top-up of a payment key, if any. */
  pendingTopUp(paymentKey: string): Promise<PendingTopUp | undefined>;
  /** Pending top-ups, oldest first, at most `limit`. */
  pendingTopUps(limit: number): Promise<PendingTopUp[]>;
  /** Deletes a pending top-up (settlement refused, or unused and expired); the credit deletes its own. */
  dropPendingTopUp(paymentKey: string): Promise<void>;
  /** The credit made with this idempotency key, if any (a payment already credited). */
  creditOf(idempotencyKey: string): Promise<WalletEntry | undefined>;
  /** Holds `amount` when balance - reserved - amount >= floor; false (nothing held) otherwise. */
  reserve(request: WalletReserveRequest): Promise<boolean>;
  /**
   * Charges min(actual, held) as a CHARGE entry (none when 0) and frees the hold; the entry, or null when the
   * reservation was not open (settled or released before: settle is once).
   */
  settle(
    reservationId: string,
    actual: Nanos,
    at: string,
  ): Promise<{ applied: boolean; entry: WalletEntry | null }>;
  /** Frees an open reservation without charge; false when it was not open. */
  release(reservationId: string): Promise<boolean>;
  /** Where a reservation stands (open, settled = charged, released = given back); undefined when unknown. */
  stateOf(reservationId: string): Promise<'open' | 'settled' | 'released' | undefined>;
  /** Moves open reservations' leases (the process serving them renews them all while they run), a few statements. */
  renew(reservationIds: readonly string[], leaseUntil: string): Promise<void>;
  /** Releases every open reservation whose lease ended before `now`; how many. */
  releaseExpired(now: string): Promise<number>;
  /** Entries newest first (createdAt, then id, descending); `offset` skips, `limit` caps. */
  entries(wallet: WalletId, page: { limit: number; offset: number }): Promise<WalletEntry[]>;
  /** Whether the ledger has a row for this wallet (one was credited once). */
  exists(wallet: WalletId): Promise<boolean>;
  /**
   * Every wallet with its totals, the most recently active first (then by wallet id); `offset` skips, `limit` caps;
   * `total` counts them all. The totals are summed per call (an operator's read, not a hot path).
   */
  list(page: { limit: number; offset: number }): Promise<{ total: number; data: WalletSummary[] }>;
  /**
   * Marks a SIWx nonce used; false when it was used before (a replay). `expiresAt` is when the message it came in
   * stops being valid; used nonces past it are pruned.
   */
  claimNonce(nonceKey: string, expiresAt: string, now: string): Promise<boolean>;
  /**
   * Takes (deletes) a nonce stored with claimNonce, if it is there and `expiresAt` is not before `now`: true once,
   * on any replica; false when it was never stored, was taken before, or expired (single-use challenges).
   */
  takeNonce(nonceKey: string, now: string): Promise<boolean>;
}
