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
import type { WalletNetworkConfig } from '../../config/wallets-config.ts';
import type { PaymentPayload } from '@x402/core/types';
import type { PendingTopUp, WalletRepository } from '../../storage/wallet-store.ts';
import { creditPaid, type Reconciliation, type TopUpReconciler } from './top-up-reconciler.ts';
import { walletIdOf } from './wallet-id.ts';
import { eip3009Full } from './x402-payment-header.ts';

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

/**
 * Asks an EVM chain what became of a pending EIP-3009 top-up (issue #20): a public client per network with an
 * rpcUrl. Crediting goes through the wallet ledger, once per payment key.
 */
export class EvmTopUpReconciler implements TopUpReconciler {
  private readonly chains = new Map<string, PublicClient>();

  constructor(
    networks: readonly WalletNetworkConfig[],
    private readonly wallets: WalletRepository,
    private readonly now: () => Date,
  ) {
    for (const network of networks)
      if (network.rpcUrl !== undefined && network.id.startsWith('eip155:'))
        this.chains.set(network.id, createPublicClient({ transport: http(network.rpcUrl) }));
  }

  /** Whether top-ups on this network can be reconciled (an EVM network with an rpcUrl). */
  covers(network: string): boolean {
    return this.chains.has(network);
  }

  /**
   * The pending row of a verified EIP-3009 payment (its authorizer and nonce, validBefore, the value); the chain's
   * current block bounds the later log search. `payer` is the authorization's `from`.
   */
  async pendingOf(
    payload: PaymentPayload,
    network: WalletNetworkConfig,
    amount: { units: bigint; nanos: number },
    paymentKey: string,
  ): Promise<PendingTopUp | undefined> {
    const client = this.chains.get(network.id);
    const evm = eip3009Full.safeParse(payload.payload);
    if (client === undefined || !evm.success) return undefined;
    const authorization = evm.data.authorization;
    const wallet = walletIdOf(authorization.from);
    if (wallet === undefined) return undefined;
    const block = await client.getBlockNumber();
    const validBefore = Math.min(Number(authorization.validBefore) * 1000, 8.64e15);
    return {
      paymentKey,
      wallet,
      amount: amount.nanos,
      network: network.id,
      asset: network.token.address,
      payTo: network.payTo,
      value: authorization.value,
      authorizer: authorization.from.toLowerCase(),
      nonce: authorization.nonce.toLowerCase(),
      validBefore: new Date(validBefore).toISOString(),
      fromBlock: block.toString(),
      createdAt: this.now().toISOString(),
    };
  }

  /**
   * authorizationState(authorizer, nonce) on the token, then the AuthorizationUsed log of that pair since the
   * recorded block and its transaction's Transfer to payTo of the value. Paid: credited once (the pending row goes
   * in the credit's transaction). Used without that transfer (the payer spent the nonce elsewhere): dropped. Unused
   * and expired: dropped. Otherwise left as it is.
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
    const logs = await this.authorizationLogs(client, pending);
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
      return creditPaid(this.wallets, pending, log.transactionHash, this.now());
    }
    await this.wallets.dropPendingTopUp(pending.paymentKey);
    return { state: 'dropped', reason: 'not_paid' };
  }

  /** The AuthorizationUsed logs of the pending pair, searched in windows of LOG_WINDOW blocks (RPC providers cap a getLogs range). */
  private async authorizationLogs(
    client: PublicClient,
    pending: PendingTopUp,
  ): Promise<{ transactionHash: Hex }[]> {
    const latest = await client.getBlockNumber();
    let logs: { transactionHash: Hex }[] = [];
    for (
      let from = BigInt(pending.fromBlock);
      from <= latest && logs.length === 0;
      from += LOG_WINDOW
    )
      logs = await client.getContractEvents({
        address: pending.asset as Address,
        abi: TOKEN_ABI,
        eventName: 'AuthorizationUsed',
        args: { authorizer: pending.authorizer as Address, nonce: pending.nonce as Hex },
        fromBlock: from,
        toBlock: from + LOG_WINDOW - 1n < latest ? from + LOG_WINDOW - 1n : latest,
      });
    return logs;
  }
}
