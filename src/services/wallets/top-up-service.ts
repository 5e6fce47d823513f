import { createHash } from 'node:crypto';
import {
  decodePaymentSignatureHeader,
  encodePaymentRequiredHeader,
  encodePaymentResponseHeader,
} from '@x402/core/http';
import type { Network, PaymentPayload, PaymentRequirements } from '@x402/core/types';
import {
  type Address,
  createPublicClient,
  type Hex,
  http,
  isAddressEqual,
  parseAbi,
  parseEventLogs,
  type PublicClient,
} from 'viem';
import { z } from 'zod';
import type { WalletNetworkConfig, WalletsConfig } from '../../config/wallets-config.ts';
import type { PendingTopUp, WalletEntry, WalletRepository } from '../../storage/wallet-store.ts';
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

/** The whole authorization, as a pending top-up records it (checked only after the facilitator verified it). */
const eip3009Full = z.object({
  authorization: z.object({
    from: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
    to: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
    value: z.string().regex(/^[0-9]{1,78}$/),
    validBefore: z.string().regex(/^[0-9]{1,20}$/),
    nonce: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
  }),
});

/** EIP-3009's view and events, and ERC-20's Transfer: what reconciliation reads of the token. */
const TOKEN_ABI = parseAbi([
  'function authorizationState(address authorizer, bytes32 nonce) view returns (bool)',
  'event AuthorizationUsed(address indexed authorizer, bytes32 indexed nonce)',
  'event Transfer(address indexed from, address indexed to, uint256 value)',
]);

/** The most blocks one getLogs call asks for (public RPC endpoints refuse wider ranges). */
const LOG_WINDOW = 2_000n;

/** An unused authorization is dropped this long after its validBefore (a late block's timestamp may lag the clock). */
const EXPIRY_MARGIN_MS = 10 * 60_000;

/** What reconciling a pending top-up found. */
export type Reconciliation =
  | { state: 'credited'; credited: boolean; entry: WalletEntry }
  | { state: 'unused' }
  | { state: 'dropped'; reason: 'expired' | 'not_paid' }
  | { state: 'unknown' };

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
  /** A public client per EVM network with an rpcUrl: the chain reconciliation asks. */
  private readonly chains = new Map<string, PublicClient>();

  constructor(
    private readonly config: WalletsConfig,
    private readonly facilitator: PaymentFacilitator,
    private readonly wallets: WalletRepository,
    private readonly now: () => Date = () => new Date(),
  ) {
    for (const network of config.networks)
      if (network.rpcUrl !== undefined && network.id.startsWith('eip155:'))
        this.chains.set(network.id, createPublicClient({ transport: http(network.rpcUrl) }));
  }

  /**
   * Reconciles every pending top-up (at start-up): those whose authorization the chain shows used, with its transfer
   * to the operator, are credited once; those unused past their validBefore are dropped; the rest stay. How many
   * were credited.
   */
  async reconcilePending(): Promise<number> {
    let credited = 0;
    for (const pending of await this.wallets.pendingTopUps(1000)) {
      const found = await this.reconcile(pending).catch(
        (): Reconciliation => ({ state: 'unknown' }),
      );
      if (found.state === 'credited' && found.credited) credited += 1;
    }
    return credited;
  }

  /**
   * Asks the chain what became of a pending top-up: authorizationState(authorizer, nonce) on the token, then the
   * AuthorizationUsed log of that pair since the recorded block and its transaction's Transfer to payTo of the
   * value. Paid: credited once (the pending row goes in the credit's transaction). Used without that transfer (the
   * payer spent the nonce elsewhere): dropped. Unused and expired: dropped. Otherwise left as it is.
   */
  async reconcile(pending: PendingTopUp): Promise<Reconciliation> {
    const client = this.chains.get(pending.network);
    if (client === undefined) return { state: 'unknown' };
    const token = pending.asset as Address;
    const authorizer = pending.authorizer as Address;
    const nonce = pending.nonce as Hex;
    const used = await client.readContract({
      address: token,
      abi: TOKEN_ABI,
      functionName: 'authorizationState',
      args: [authorizer, nonce],
    });
    if (!used) {
      if (this.now().getTime() <= Date.parse(pending.validBefore) + EXPIRY_MARGIN_MS)
        return { state: 'unused' };
      await this.wallets.dropPendingTopUp(pending.paymentKey);
      return { state: 'dropped', reason: 'expired' };
    }
    // Searched in windows of LOG_WINDOW blocks from the recorded one (RPC providers cap a getLogs range).
    const latest = await client.getBlockNumber();
    let logs: { transactionHash: Hex }[] = [];
    for (
      let from = BigInt(pending.fromBlock);
      from <= latest && logs.length === 0;
      from += LOG_WINDOW
    )
      logs = await client.getContractEvents({
        address: token,
        abi: TOKEN_ABI,
        eventName: 'AuthorizationUsed',
        args: { authorizer, nonce },
        fromBlock: from,
        toBlock: from + LOG_WINDOW - 1n < latest ? from + LOG_WINDOW - 1n : latest,
      });
    if (logs.length === 0) return { state: 'unknown' };
    for (const log of logs) {
      const receipt = await client.getTransactionReceipt({ hash: log.transactionHash });
      if (receipt.status !== 'success') continue;
      const paid = parseEventLogs({
        abi: TOKEN_ABI,
        eventName: 'Transfer',
        logs: receipt.logs,
      }).some(
        (transfer) =>
          isAddressEqual(transfer.address, token) &&
          isAddressEqual(transfer.args.from, authorizer) &&
          isAddressEqual(transfer.args.to, pending.payTo as Address) &&
          transfer.args.value === BigInt(pending.value),
      );
      if (!paid) continue;
      const outcome = await this.wallets.credit({
        wallet: pending.wallet,
        type: 'TOP_UP',
        amount: pending.amount,
        idempotencyKey: pending.paymentKey,
        network: pending.network,
        transaction: log.transactionHash,
        createdAt: this.now().toISOString(),
      });
      return { state: 'credited', ...outcome };
    }
    await this.wallets.dropPendingTopUp(pending.paymentKey);
    return { state: 'dropped', reason: 'not_paid' };
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
    const pending = await this.recordPending(payload, network, amount, paymentKey);
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
      amount: nanosOf(amount, decimals),
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
   * Records an EIP-3009 payment as pending before it settles, on a network whose chain Rialto can ask (an rpcUrl);
   * false (nothing recorded) otherwise. The chain's current block bounds the later log search.
   */
  private async recordPending(
    payload: PaymentPayload,
    network: WalletNetworkConfig,
    amount: bigint,
    paymentKey: string,
  ): Promise<boolean> {
    const client = this.chains.get(network.id);
    const evm = eip3009Full.safeParse(payload.payload);
    if (client === undefined || !evm.success) return false;
    const authorization = evm.data.authorization;
    const wallet = walletIdOf(authorization.from);
    if (wallet === undefined) return false;
    const block = await client.getBlockNumber().catch((error: unknown) => {
      throw new X402PaymentError('X402_SETTLEMENT_FAILED', { reason: 'chain_unreachable' }, error);
    });
    const validBefore = Math.min(Number(authorization.validBefore) * 1000, 8.64e15);
    await this.wallets.recordPendingTopUp({
      paymentKey,
      wallet,
      amount: nanosOf(amount, network.token.decimals),
      network: network.id,
      asset: network.token.address,
      payTo: network.payTo,
      value: authorization.value,
      authorizer: authorization.from.toLowerCase(),
      nonce: authorization.nonce.toLowerCase(),
      validBefore: new Date(validBefore).toISOString(),
      fromBlock: block.toString(),
      createdAt: this.now().toISOString(),
    });
    return true;
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
