import type { Config } from '../../config.ts';
import type { Store } from '../../storage/store.ts';
import { createPublicClient, http } from 'viem';
import type { EVMMessageVerifier } from '@x402/extensions/sign-in-with-x';
import { SiwxVerifier } from './siwx-verifier.ts';
import { TopUpService } from './top-up-service.ts';
import { WalletService } from './wallet-service.ts';
import { createFacilitator } from './x402-facilitator.ts';

/** What the wallet routes (and, later, wallet billing on inference) use; built once by the composition root. */
export interface WalletServices {
  wallets: WalletService;
  topUp: TopUpService;
  /** Built on first use: its origin may be the listening address, known only once the server listens. */
  verifier(): SiwxVerifier;
}

/**
 * The wallet services when `wallets.enabled`, else undefined (the /x402 routes then stay unserved, and requests
 * without a key keep their 401). `listeningOrigin` gives http://host:port once the server listens: the SIWx origin
 * when neither wallets.origin nor server.publicUrl is set.
 */
export function createWalletServices(
  config: Config,
  store: Store,
  listeningOrigin: () => string,
): WalletServices | undefined {
  const wallets = config.wallets;
  if (!wallets.enabled) return undefined;
  const facilitator = createFacilitator(wallets);
  // EIP-1271 (contract wallets) needs the chain: viem's publicClient.verifyMessage where an RPC URL is configured.
  const evmVerifiers = new Map<string, EVMMessageVerifier>();
  for (const network of wallets.networks)
    if (network.rpcUrl !== undefined && network.id.startsWith('eip155:')) {
      const client = createPublicClient({ transport: http(network.rpcUrl) });
      evmVerifiers.set(network.id, (args) => client.verifyMessage(args));
    }
  let verifier: SiwxVerifier | undefined;
  const topUp = new TopUpService(wallets, facilitator, store.wallets);
  // Top-ups left pending by a process that died between settlement and credit: the chain decides, once, at start
  // (a row the chain cannot answer for yet stays for the next start or the payment's next presentation).
  void topUp.reconcilePending().catch(() => undefined);
  return {
    wallets: new WalletService(store.wallets, wallets),
    topUp,
    verifier: () => {
      verifier ??= new SiwxVerifier({
        origin: new URL(wallets.origin ?? config.server.publicUrl ?? listeningOrigin()),
        chains: wallets.networks.map((network) => network.id),
        maxAgeMs: wallets.signInMaxAgeSeconds * 1000,
        claimNonce: (key, expiresAt, now) => store.wallets.claimNonce(key, expiresAt, now),
        evmVerifierFor: (chainId) => evmVerifiers.get(chainId),
      });
      return verifier;
    },
  };
}
