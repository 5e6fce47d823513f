import type { PaymentPayload } from '@x402/core/types';
import { decodeTransactionFromPayload } from '@x402/svm';
import { z } from 'zod';
import type { WalletNetworkConfig } from '../../config/wallets-config.ts';
import type { PendingTopUp, WalletRepository } from '../../storage/wallet-store.ts';
import { creditPaid, type Reconciliation, type TopUpReconciler } from './top-up-reconciler.ts';
import { walletIdOf } from './wallet-id.ts';

/**
 * How long after it was verified a Solana payment may still land: its recent blockhash lives 150 slots (about a
 * minute); 2 minutes, then reconciliation's 10 more, before an unseen payment is dropped.
 */
const LANDS_WITHIN_MS = 2 * 60_000;
const EXPIRY_MARGIN_MS = 10 * 60_000;
/** The payer's transactions asked for at a time (getSignaturesForAddress's most); older ones by the next page. */
const SIGNATURES_PAGE = 1000;

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** Bytes in base58 (Solana's addresses and signatures). */
export function base58Of(bytes: Uint8Array): string {
  let value = 0n;
  for (const byte of bytes) value = value * 256n + BigInt(byte);
  let text = '';
  while (value > 0n) {
    text = BASE58[Number(value % 58n)] + text;
    value /= 58n;
  }
  for (const byte of bytes) {
    if (byte !== 0) break;
    text = `1${text}`;
  }
  return text;
}

const svmPayload = z.object({ transaction: z.string().min(1).max(16_384) });
const rpcAnswer = z.object({
  result: z.unknown().optional(),
  error: z.object({ code: z.number(), message: z.string() }).optional(),
});
const signatures = z.array(
  z.object({ signature: z.string(), slot: z.number(), err: z.unknown().nullable() }),
);
const landedTransaction = z
  .object({
    slot: z.number(),
    transaction: z.tuple([z.string(), z.literal('base64')]),
    meta: z.object({ err: z.unknown().nullable() }).nullable(),
  })
  .nullable();

/**
 * Asks a Solana node (the network's rpcUrl, JSON-RPC) what became of a pending x402 SPL top-up. The payer signed
 * the transfer before the facilitator co-signed it as fee payer, so the transaction's id (the fee payer's
 * signature) is unknown until it settles; the payer's own signature is known, and is what the row records (as its
 * nonce): among the payer's transactions since the recorded slot, the one carrying that signature is the payment.
 * The facilitator verified that transaction (the transfer to payTo of the amount), and a landed copy carries the
 * same message, signed by the payer. Landed without error: credited once. Landed with an error: dropped. Not seen
 * past its blockhash's life: dropped.
 */
export class SolanaTopUpReconciler implements TopUpReconciler {
  private readonly nodes = new Map<string, string>();

  constructor(
    networks: readonly WalletNetworkConfig[],
    private readonly wallets: WalletRepository,
    private readonly now: () => Date,
  ) {
    for (const network of networks)
      if (network.rpcUrl !== undefined && network.id.startsWith('solana:'))
        this.nodes.set(network.id, network.rpcUrl);
  }

  covers(network: string): boolean {
    return this.nodes.has(network);
  }

  /** The pending row of a verified Solana payment by `payer`; undefined when the payload names no payer signature. */
  async pendingOf(
    payload: PaymentPayload,
    network: WalletNetworkConfig,
    amount: { units: bigint; nanos: number },
    paymentKey: string,
    payer: string,
  ): Promise<PendingTopUp | undefined> {
    const parsed = svmPayload.safeParse(payload.payload);
    const wallet = walletIdOf(payer);
    if (!parsed.success || wallet === undefined || !wallet.startsWith('solana:')) return undefined;
    const signature = decodeTransactionFromPayload(parsed.data).signatures[payer as never];
    if (signature === null || signature === undefined) return undefined;
    const slot = z
      .number()
      .int()
      .nonnegative()
      .parse(await this.call(network.id, 'getSlot', []));
    return {
      paymentKey,
      wallet,
      amount: amount.nanos,
      network: network.id,
      asset: network.token.address,
      payTo: network.payTo,
      value: amount.units.toString(),
      authorizer: payer,
      nonce: base58Of(signature),
      validBefore: new Date(this.now().getTime() + LANDS_WITHIN_MS).toISOString(),
      fromBlock: String(slot),
      createdAt: this.now().toISOString(),
    };
  }

  async reconcile(pending: PendingTopUp): Promise<Reconciliation> {
    if (!this.nodes.has(pending.network)) return { state: 'unknown' };
    for await (const candidate of this.signaturesSince(pending)) {
      const landed = landedTransaction.parse(
        await this.call(pending.network, 'getTransaction', [
          candidate.signature,
          { encoding: 'base64', commitment: 'finalized', maxSupportedTransactionVersion: 0 },
        ]),
      );
      if (landed === null) continue;
      const signed = decodeTransactionFromPayload({ transaction: landed.transaction[0] })
        .signatures[pending.authorizer as never];
      if (signed === null || signed === undefined || base58Of(signed) !== pending.nonce) continue;
      if (landed.meta === null || landed.meta.err !== null) {
        await this.wallets.dropPendingTopUp(pending.paymentKey);
        return { state: 'dropped', reason: 'not_paid' };
      }
      return creditPaid(this.wallets, pending, candidate.signature, this.now());
    }
    if (this.now().getTime() <= Date.parse(pending.validBefore) + EXPIRY_MARGIN_MS)
      return { state: 'unused' };
    await this.wallets.dropPendingTopUp(pending.paymentKey);
    return { state: 'dropped', reason: 'expired' };
  }

  /**
   * The payer's finalized transactions, newest first, down to the slot the row was recorded at: page after page
   * (`before` the last one seen), so a payer with more transactions since then than one answer holds (a node's most
   * is 1,000; some cap lower) is still found. Ends at an older slot or an empty page.
   */
  private async *signaturesSince(
    pending: PendingTopUp,
  ): AsyncGenerator<z.infer<typeof signatures>[number]> {
    const from = Number(pending.fromBlock);
    let before: string | undefined;
    for (;;) {
      const page = signatures.parse(
        await this.call(pending.network, 'getSignaturesForAddress', [
          pending.authorizer,
          {
            limit: SIGNATURES_PAGE,
            commitment: 'finalized',
            ...(before === undefined ? {} : { before }),
          },
        ]),
      );
      for (const candidate of page) {
        if (candidate.slot < from) return;
        yield candidate;
      }
      const last = page.at(-1);
      if (last === undefined) return;
      before = last.signature;
    }
  }

  private async call(network: string, method: string, params: unknown[]): Promise<unknown> {
    const url = this.nodes.get(network);
    if (url === undefined) throw new Error(`no Solana node for ${network}`);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: AbortSignal.timeout(10_000),
    });
    const answer = rpcAnswer.parse(await response.json());
    if (answer.error !== undefined) throw new Error(`${method}: ${answer.error.message}`);
    return answer.result;
  }
}
