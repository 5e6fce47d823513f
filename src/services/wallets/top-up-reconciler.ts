import type { PaymentPayload } from '@x402/core/types';
import type { WalletNetworkConfig } from '../../config/wallets-config.ts';
import type { PendingTopUp, WalletEntry, WalletRepository } from '../../storage/wallet-store.ts';

/** What reconciling a pending top-up found. */
export type Reconciliation =
  | { state: 'credited'; credited: boolean; entry: WalletEntry }
  | { state: 'unused' }
  | { state: 'dropped'; reason: 'expired' | 'not_paid' }
  | { state: 'unknown' };

/**
 * A family of networks whose payments Rialto can find again on chain (issue #20): the row recorded before a
 * payment settles, and what the chain says of it later. One per family: EVM (EIP-3009), Solana (SPL transfer).
 */
export interface TopUpReconciler {
  /** Whether payments on `network` can be recorded and reconciled (the network has an rpcUrl). */
  covers(network: string): boolean;
  /**
   * The pending row of a verified payment by `payer`, undefined when its payload is not of the family's form;
   * rejects when the chain cannot be asked (then nothing should be settled).
   */
  pendingOf(
    payload: PaymentPayload,
    network: WalletNetworkConfig,
    amount: { units: bigint; nanos: number },
    paymentKey: string,
    payer: string,
  ): Promise<PendingTopUp | undefined>;
  /** Credits the row's payment once when the chain shows it paid; drops it when it never will be; else leaves it. */
  reconcile(pending: PendingTopUp): Promise<Reconciliation>;
}

/** Credits a pending top-up found paid on chain by `transaction`, once per payment key (the row goes with it). */
export async function creditPaid(
  wallets: WalletRepository,
  pending: PendingTopUp,
  transaction: string,
  at: Date,
): Promise<Reconciliation> {
  const outcome = await wallets.credit({
    wallet: pending.wallet,
    type: 'TOP_UP',
    amount: pending.amount,
    idempotencyKey: pending.paymentKey,
    network: pending.network,
    transaction,
    createdAt: at.toISOString(),
  });
  return { state: 'credited', ...outcome };
}
