import { createHash } from 'node:crypto';
import {
  decodePaymentSignatureHeader,
  encodePaymentRequiredHeader,
  encodePaymentResponseHeader,
} from '@x402/core/http';
import type { Network, PaymentPayload, PaymentRequirements } from '@x402/core/types';
import { z } from 'zod';
import type { WalletNetworkConfig, WalletsConfig } from '../../config/wallets-config.ts';
import type { WalletRepository } from '../../storage/wallet-store.ts';
import { fromNanos } from '../billing/money.ts';
import { addressOf, walletIdOf } from './wallet-id.ts';
import type { PaymentFacilitator } from './x402-facilitator.ts';
import { X402PaymentError } from './x402-payment-error.ts';

/** The most characters of a payment header read (an EVM payload is under 1 KB, a Solana transaction a few). */
const MAX_PAYMENT_HEADER = 16_384;

// The EIP-3009 authorization of an exact EVM payment (x402 ExactEIP3009Payload): its (from, nonce) is the payment.
const eip3009 = z.object({
  authorization: z.object({ from: z.string().max(64), nonce: z.string().max(80) }),
});

/** USD → the token's base units (exact for Venice's amounts: whole cents and more). */
function baseUnits(usd: number, decimals: number): bigint {
  return (BigInt(Math.round(usd * 1e6)) * 10n ** BigInt(decimals)) / 1_000_000n;
}

/** The token's base units → nano-USD (the token is a USD stablecoin: 1 token = $1); floor past 9 decimals. */
function nanosOf(units: bigint, decimals: number): number {
  return Number(
    decimals <= 9 ? units * 10n ** BigInt(9 - decimals) : units / 10n ** BigInt(decimals - 9),
  );
}

/**
 * POST /x402/top-up (swagger: topUpX402Balance; INVENTORY A.1): the payment requirements per configured network,
 * and a payment's verification, settlement (through the facilitator) and credit to the payer's ledger, once.
 * The payer picks the amount (any between the bounds; `accepts` names the minimum), as Venice's top-up does.
 */
export class TopUpService {
  constructor(
    private readonly config: WalletsConfig,
    private readonly facilitator: PaymentFacilitator,
    private readonly wallets: WalletRepository,
  ) {}

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
      this.requirementsOf(network, baseUnits(this.config.minimumTopUpUsd, network.token.decimals)),
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
    const payload = this.decode(header);
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
      amount < baseUnits(this.config.minimumTopUpUsd, decimals) ||
      amount > baseUnits(this.config.maximumTopUpUsd, decimals)
    )
      throw new X402PaymentError('X402_AMOUNT_OUT_OF_RANGE', {
        minimumUsd: this.config.minimumTopUpUsd,
        maximumUsd: this.config.maximumTopUpUsd,
      });
    const requirements = this.requirementsOf(network, amount);
    const paymentKey = paymentKeyOf(payload);
    const earlier = await this.wallets.creditOf(paymentKey);
    if (earlier !== undefined)
      throw new X402PaymentError('X402_PAYMENT_ALREADY_CREDITED', {
        paymentId: paymentIdOf(earlier.transaction, paymentKey),
      });
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
    // Settled but not credited (a crash between the two) leaves the authorization spent on chain: a retry is refused
    // by the chain, not credited twice; the operator reconciles from the transaction (docs/wallets.md).
    const settled = await this.facilitator.settle(payload, requirements).catch((error: unknown) => {
      throw new X402PaymentError('X402_SETTLEMENT_FAILED', { reason: 'facilitator_error' }, error);
    });
    if (!settled.success)
      throw new X402PaymentError('X402_SETTLEMENT_FAILED', {
        reason: settled.errorReason ?? 'settlement_failed',
      });
    const payer = settled.payer ?? verified.payer ?? '';
    const wallet = walletIdOf(payer);
    if (wallet === undefined)
      throw new X402PaymentError('X402_SETTLEMENT_FAILED', { reason: 'unknown_payer' });
    const outcome = await this.wallets.credit({
      wallet,
      type: 'TOP_UP',
      amount: nanosOf(amount, decimals),
      idempotencyKey: paymentKey,
      network: network.id,
      transaction: settled.transaction,
      createdAt: new Date().toISOString(),
    });
    const paymentId = paymentIdOf(outcome.entry.transaction, paymentKey);
    if (!outcome.credited)
      throw new X402PaymentError('X402_PAYMENT_ALREADY_CREDITED', { paymentId });
    const { balance, reserved } = await this.wallets.balance(wallet);
    return {
      data: {
        walletAddress: addressOf(wallet),
        amountCredited: fromNanos(outcome.entry.amount),
        newBalance: fromNanos(balance - reserved),
        paymentId,
      },
      paymentResponse: encodePaymentResponseHeader({
        success: true,
        network: settled.network,
        payer,
        transaction: settled.transaction,
      }),
    };
  }

  private decode(header: string): PaymentPayload {
    if (header.length > MAX_PAYMENT_HEADER)
      throw new X402PaymentError('X402_INVALID_PAYMENT', { reason: 'too_large' });
    let payload: PaymentPayload;
    try {
      payload = decodePaymentSignatureHeader(header.trim());
    } catch (error) {
      throw new X402PaymentError('X402_INVALID_PAYMENT', { reason: 'malformed' }, error);
    }
    const accepted = payload?.accepted;
    if (
      payload?.x402Version !== 2 ||
      typeof accepted !== 'object' ||
      accepted === null ||
      typeof accepted.amount !== 'string' ||
      typeof accepted.network !== 'string' ||
      typeof accepted.asset !== 'string' ||
      typeof accepted.payTo !== 'string' ||
      typeof payload.payload !== 'object' ||
      payload.payload === null
    )
      throw new X402PaymentError('X402_INVALID_PAYMENT', { reason: 'malformed' });
    return payload;
  }
}

function sameAddress(left: string, right: string): boolean {
  return left.startsWith('0x') ? left.toLowerCase() === right.toLowerCase() : left === right;
}

/**
 * What makes a payment one payment, known before it settles: an EIP-3009 authorization's (from, nonce) on its
 * network (the token refuses a nonce twice), else the digest of the signed payload.
 */
function paymentKeyOf(payload: PaymentPayload): string {
  const evm = eip3009.safeParse(payload.payload);
  if (evm.success)
    return `${payload.accepted.network}:${evm.data.authorization.from.toLowerCase()}:${evm.data.authorization.nonce.toLowerCase()}`;
  const digest = createHash('sha256').update(JSON.stringify(payload.payload)).digest('hex');
  return `${payload.accepted.network}:${digest}`;
}

function paymentIdOf(transaction: string | null, paymentKey: string): string {
  return `payment_${transaction ?? createHash('sha256').update(paymentKey).digest('hex').slice(0, 32)}`;
}
