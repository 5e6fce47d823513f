import { encodePaymentRequiredHeader, encodePaymentResponseHeader } from '@x402/core/http';
import type { Network, PaymentPayload, PaymentRequirements } from '@x402/core/types';
import type { WalletNetworkConfig, WalletsConfig } from '../../config/wallets-config.ts';
import type { PendingTopUp, WalletEntry, WalletRepository } from '../../storage/wallet-store.ts';
import { fromNanos } from '../billing/money.ts';
import { EvmTopUpReconciler } from './evm-top-up-reconciler.ts';
import { SolanaTopUpReconciler } from './solana-top-up-reconciler.ts';
import type { Reconciliation, TopUpReconciler } from './top-up-reconciler.ts';
import { baseUnits, nanosOf } from './top-up-amounts.ts';
import { addressOf, walletIdOf } from './wallet-id.ts';
import type { PaymentFacilitator } from './x402-facilitator.ts';
import { decodePayment, paymentIdOf, paymentKeyOf, sameAddress } from './x402-payment-header.ts';
import { X402PaymentError } from './x402-payment-error.ts';

export type { Reconciliation } from './top-up-reconciler.ts';

/**
 * POST /x402/top-up (swagger: topUpX402Balance; INVENTORY A.1): the payment requirements per configured network,
 * and a payment's verification, settlement (through the facilitator) and credit to the payer's ledger, once.
 * The payer picks the amount (any between the bounds; `accepts` names the minimum), as Venice's top-up does.
 */
export class TopUpService {
  /** The chains pending top-ups are recorded for and reconciled from: EVM and Solana networks with an rpcUrl. */
  private readonly reconcilers: TopUpReconciler[];
  /** Payment keys this process is verifying, settling or crediting now (how many times): reconciliation skips them. */
  private readonly settling = new Map<string, number>();
  private reconciling: Promise<number> | undefined;

  constructor(
    private readonly config: WalletsConfig,
    private readonly facilitator: PaymentFacilitator,
    private readonly wallets: WalletRepository,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.reconcilers = [
      new EvmTopUpReconciler(config.networks, wallets, now),
      new SolanaTopUpReconciler(config.networks, wallets, now),
    ];
  }

  /**
   * Reconciles pending top-ups: those whose authorization the chain shows used, with its transfer to the operator,
   * are credited once; those unused past their validBefore are dropped; the rest stay. At start-up every row (a
   * process that died left them); while running (`olderThanMs`), rows recorded at least that long ago whose payment
   * this process is not settling now. One pass at a time (a call during one shares it). How many were credited.
   */
  reconcilePending(options: { olderThanMs?: number } = {}): Promise<number> {
    this.reconciling ??= this.reconcileRows(options.olderThanMs ?? 0).finally(() => {
      this.reconciling = undefined;
    });
    return this.reconciling;
  }

  /** Resolves once no reconciliation pass is running (a closing process waits for it before the store closes). */
  async reconciled(): Promise<void> {
    await this.reconciling?.catch(() => undefined);
  }

  private async reconcileRows(olderThanMs: number): Promise<number> {
    const recordedBy = this.now().getTime() - olderThanMs;
    let credited = 0;
    for (const pending of await this.wallets.pendingTopUps(1000)) {
      if (this.settling.has(pending.paymentKey) || Date.parse(pending.createdAt) > recordedBy)
        continue;
      const found = await this.reconcile(pending).catch(
        (): Reconciliation => ({ state: 'unknown' }),
      );
      if (found.state === 'credited' && found.credited) credited += 1;
    }
    return credited;
  }

  /** What the chain says of a pending top-up (its network's TopUpReconciler); credits it once when paid. */
  async reconcile(pending: PendingTopUp): Promise<Reconciliation> {
    const reconciler = this.reconcilerOf(pending.network);
    return reconciler === undefined ? { state: 'unknown' } : reconciler.reconcile(pending);
  }

  private requirementsOf(network: WalletNetworkConfig, amount: bigint): PaymentRequirements {
    const extra: Record<string, unknown> = {
      name: network.token.name,
      version: network.token.version,
    };
    if (network.feePayer !== undefined) extra.feePayer = network.feePayer;
    return {
      scheme: 'exact',
      network: network.id as Network,
      amount: amount.toString(),
      asset: network.token.address,
      payTo: network.payTo,
      maxTimeoutSeconds: this.config.paymentTimeoutSeconds,
      extra,
    };
  }

  /** The 402 answer: the body the swagger declares and the PAYMENT-REQUIRED header (x402 v2 PaymentRequired). */
  paymentRequired(resourceUrl: string): { body: Record<string, unknown>; header: string } {
    const accepts = this.config.networks.map((network) =>
      this.requirementsOf(
        network,
        baseUnits(this.config.minimumTopUpUsd, network.token.decimals, 'up'),
      ),
    );
    const header = encodePaymentRequiredHeader({
      x402Version: 2,
      error: 'Payment required',
      resource: {
        url: resourceUrl,
        description: `Top up a wallet's credit: $${this.config.minimumTopUpUsd} to $${this.config.maximumTopUpUsd} in USDC`,
        mimeType: 'application/json',
      },
      accepts,
    });
    return { body: { x402Version: 2, accepts }, header };
  }

  /** Verifies, settles and credits a payment; the answer's data and its PAYMENT-RESPONSE header. Throws X402PaymentError. */
  async topUp(header: string) {
    const payload = decodePayment(header);
    const accepted = payload.accepted;
    const network = this.config.networks.find(
      (entry) =>
        entry.id === accepted.network &&
        accepted.scheme === 'exact' &&
        sameAddress(entry.token.address, accepted.asset) &&
        sameAddress(entry.payTo, accepted.payTo),
    );
    if (network === undefined)
      throw new X402PaymentError('X402_INVALID_PAYMENT', { reason: 'no_matching_requirements' });
    const amount = /^[0-9]{1,30}$/.test(accepted.amount) ? BigInt(accepted.amount) : -1n;
    const decimals = network.token.decimals;
    if (
      amount < baseUnits(this.config.minimumTopUpUsd, decimals, 'up') ||
      amount > baseUnits(this.config.maximumTopUpUsd, decimals)
    )
      throw new X402PaymentError('X402_AMOUNT_OUT_OF_RANGE', {
        minimumUsd: this.config.minimumTopUpUsd,
        maximumUsd: this.config.maximumTopUpUsd,
      });
    const paymentKey = paymentKeyOf(payload);
    this.settling.set(paymentKey, (this.settling.get(paymentKey) ?? 0) + 1);
    try {
      return await this.settleOnce(payload, network, amount, paymentKey);
    } finally {
      const left = (this.settling.get(paymentKey) ?? 1) - 1;
      if (left === 0) this.settling.delete(paymentKey);
      else this.settling.set(paymentKey, left);
    }
  }

  /** Credits a payment once: from the chain when it was left pending, else verified, settled and credited. */
  private async settleOnce(
    payload: PaymentPayload,
    network: WalletNetworkConfig,
    amount: bigint,
    paymentKey: string,
  ) {
    const requirements = this.requirementsOf(network, amount);
    const earlier = await this.wallets.creditOf(paymentKey);
    if (earlier !== undefined)
      throw new X402PaymentError('X402_PAYMENT_ALREADY_CREDITED', {
        paymentId: paymentIdOf(earlier.transaction, paymentKey),
      });
    // Presented again after a process died between settlement and credit: the chain decides (credit once).
    const left = await this.wallets.pendingTopUp(paymentKey);
    if (left !== undefined) {
      const found = await this.reconcile(left).catch((error: unknown) => {
        throw new X402PaymentError(
          'X402_SETTLEMENT_FAILED',
          { reason: 'chain_unreachable' },
          error,
        );
      });
      if (found.state === 'credited') {
        if (!found.credited)
          throw new X402PaymentError('X402_PAYMENT_ALREADY_CREDITED', {
            paymentId: paymentIdOf(found.entry.transaction, paymentKey),
          });
        return this.answer(found.entry, paymentKey, network.id, left.authorizer);
      }
      if (found.state === 'unknown')
        throw new X402PaymentError('X402_SETTLEMENT_FAILED', { reason: 'settlement_pending' });
    }
    const verified = await this.facilitator
      .verify(payload, requirements)
      .catch((error: unknown) => {
        throw new X402PaymentError(
          'X402_SETTLEMENT_FAILED',
          { reason: 'facilitator_error' },
          error,
        );
      });
    if (!verified.isValid)
      throw new X402PaymentError('X402_PAYMENT_VERIFICATION_FAILED', {
        reason: verified.invalidReason ?? 'invalid_payment',
      });
    // Recorded before settling, so that a process dying between settlement and credit leaves what the chain is
    // asked about on the next start or presentation (reconcile); the credit deletes it in its own transaction.
    const pending = await this.recordPending(
      payload,
      network,
      amount,
      paymentKey,
      verified.payer ?? '',
    );
    const settled = await this.facilitator.settle(payload, requirements).catch((error: unknown) => {
      // The outcome is unknown (a timeout may have settled): the pending row stays for reconciliation.
      throw new X402PaymentError('X402_SETTLEMENT_FAILED', { reason: 'facilitator_error' }, error);
    });
    if (!settled.success) {
      if (pending) await this.wallets.dropPendingTopUp(paymentKey);
      throw new X402PaymentError('X402_SETTLEMENT_FAILED', {
        reason: settled.errorReason ?? 'settlement_failed',
      });
    }
    const payer = settled.payer ?? verified.payer ?? '';
    const wallet = walletIdOf(payer);
    if (wallet === undefined)
      throw new X402PaymentError('X402_SETTLEMENT_FAILED', { reason: 'unknown_payer' });
    const outcome = await this.wallets.credit({
      wallet,
      type: 'TOP_UP',
      amount: nanosOf(amount, network.token.decimals),
      idempotencyKey: paymentKey,
      network: network.id,
      transaction: settled.transaction,
      createdAt: new Date().toISOString(),
    });
    if (!outcome.credited)
      throw new X402PaymentError('X402_PAYMENT_ALREADY_CREDITED', {
        paymentId: paymentIdOf(outcome.entry.transaction, paymentKey),
      });
    return this.answer(outcome.entry, paymentKey, settled.network, payer, settled.transaction);
  }

  /** The 200 answer's data and PAYMENT-RESPONSE header for a credit. */
  private async answer(
    entry: WalletEntry,
    paymentKey: string,
    network: string,
    payer: string,
    transaction = entry.transaction ?? '',
  ) {
    const { balance, reserved } = await this.wallets.balance(entry.wallet);
    return {
      data: {
        walletAddress: addressOf(entry.wallet),
        amountCredited: fromNanos(entry.amount),
        newBalance: fromNanos(balance - reserved),
        paymentId: paymentIdOf(entry.transaction, paymentKey),
      },
      paymentResponse: encodePaymentResponseHeader({
        success: true,
        network: network as Network,
        payer,
        transaction,
      }),
    };
  }

  /**
   * Records a verified payment as pending before it settles, on a network whose chain Rialto can ask (an rpcUrl:
   * EVM, Solana); false (nothing recorded) otherwise.
   */
  private async recordPending(
    payload: PaymentPayload,
    network: WalletNetworkConfig,
    amount: bigint,
    paymentKey: string,
    payer: string,
  ): Promise<boolean> {
    const reconciler = this.reconcilerOf(network.id);
    if (reconciler === undefined) return false;
    const units = { units: amount, nanos: nanosOf(amount, network.token.decimals) };
    const pending = await reconciler
      .pendingOf(payload, network, units, paymentKey, payer)
      .catch((error: unknown) => {
        throw new X402PaymentError(
          'X402_SETTLEMENT_FAILED',
          { reason: 'chain_unreachable' },
          error,
        );
      });
    if (pending === undefined) return false;
    await this.wallets.recordPendingTopUp(pending);
    return true;
  }

  private reconcilerOf(network: string): TopUpReconciler | undefined {
    return this.reconcilers.find((reconciler) => reconciler.covers(network));
  }
}
