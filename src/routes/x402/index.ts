import type { FastifyInstance } from 'fastify';
import type { WalletServices } from '../../services/wallets/wallet-services.ts';
import { registerTopUp } from './post-top-up.ts';
import { requireWallet } from './require-wallet.ts';
import { registerWalletLedgerRoutes } from './wallet-ledger-routes.ts';

/** /x402/*: wallet top-ups (no auth), balances and ledgers (SIWx for the same wallet). Served when wallets are on. */
export function registerX402Routes(
  app: FastifyInstance,
  services: WalletServices,
  publicUrl?: string,
): void {
  registerTopUp(app, services.topUp, publicUrl);
  registerWalletLedgerRoutes(app, services.wallets, requireWallet(services.verifier));
}
