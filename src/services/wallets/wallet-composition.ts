// The wallet half of the composition root (app.ts), in a module of its own that app.ts imports only where the config
// turns wallets or wallet-minted keys on: a server without them never loads viem, @x402, siwe and ethers (about 700
// modules, a third of what a start loaded).
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.ts';
import { billedKeyOrWallet } from '../../http/wallet-auth.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { RateLimiter } from '../../rate-limit/rate-limiter.ts';
import { registerX402Routes } from '../../routes/x402/index.ts';
import type { Store } from '../../storage/store.ts';
import type { KeyService } from '../key-service.ts';
import { WalletBilling } from './wallet-billing.ts';
import { createWalletServices } from './wallet-services.ts';
import { createWeb3KeyService, type Web3KeyService } from './web3-key-service.ts';

type Hook = Parameters<typeof billedKeyOrWallet>[0];

/** What app.ts wires in: the auth of inference and jobs, wallet-minted keys, the /x402 routes. */
export interface ComposedWallets {
  /**
   * With wallets on, `keyed` or SIGN-IN-WITH-X (billed on the wallet's ledger), and a request without any auth gets
   * the x402 discovery 402 (http/wallet-auth.ts); with only wallet-minted keys on, `keyed` itself.
   */
  auth: Hook;
  /** Wallet-minted API keys (wallets.web3Keys); undefined when off, and the two routes then answer 404. */
  web3Keys: Web3KeyService | undefined;
  /** Serves /x402/* under `api` where wallets are on. */
  registerRoutes(api: FastifyInstance): void;
  /** Waits for the wallet settlements in flight and stops their upkeep. */
  close(): Promise<void>;
}

/** `listeningOrigin` gives http://host:port once the server listens: SIWx's origin unless one is configured. */
export function composeWallets(
  config: Config,
  dependencies: {
    store: Store;
    keys: KeyService;
    limiter: RateLimiter | undefined;
    metrics: Metrics | undefined;
  },
  keyed: Hook,
  listeningOrigin: () => string,
): ComposedWallets {
  const { store, keys, limiter, metrics } = dependencies;
  const web3Keys = createWeb3KeyService(config.wallets, store.wallets, keys);
  const services = createWalletServices(config, store, listeningOrigin);
  if (services === undefined)
    return { auth: keyed, web3Keys, registerRoutes: () => undefined, close: async () => undefined };
  const billing = new WalletBilling(store.wallets, services.wallets, services.topUp, limiter, {
    leaseSeconds: config.billing.leaseSeconds,
    ...(metrics === undefined ? {} : { metrics }),
  });
  const { publicUrl } = config.server;
  return {
    auth: billedKeyOrWallet(keyed, services, billing, publicUrl === undefined ? {} : { publicUrl }),
    web3Keys,
    registerRoutes: (api) => registerX402Routes(api, services, publicUrl),
    close: async () => {
      await billing.close();
    },
  };
}
