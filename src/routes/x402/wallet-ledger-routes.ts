import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { z } from 'zod';
import { parseOrThrow } from '../../errors/validation.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import type { WalletService } from '../../services/wallets/wallet-service.ts';
import { walletIdOf } from '../../services/wallets/wallet-id.ts';
import type { WalletId } from '../../storage/wallet-store.ts';

// swagger: getX402Balance / getX402Transactions path and query parameters.
const pathParameters = z.object({
  walletAddress: z.string().regex(/^(0x[a-fA-F0-9]{40}|[1-9A-HJ-NP-Za-km-z]{32,44})$/),
});
const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).nullable().default(0),
});

/** The path's wallet, which must be the signed-in one: else 403 X402_WALLET_MISMATCH (INVENTORY A.1). */
function ownWallet(request: FastifyRequest): WalletId {
  const { walletAddress } = parseOrThrow(pathParameters, request.params);
  const wallet = walletIdOf(walletAddress);
  if (wallet === undefined || wallet !== request.signedInWallet?.wallet)
    throw new VeniceError('X402_WALLET_MISMATCH');
  return wallet;
}

/** GET /x402/balance/{walletAddress} and GET /x402/transactions/{walletAddress}: SIWx for the same wallet. */
export function registerWalletLedgerRoutes(
  app: FastifyInstance,
  wallets: WalletService,
  auth: onRequestAsyncHookHandler,
): void {
  app.get('/x402/balance/:walletAddress', { onRequest: auth }, async (request) => ({
    success: true,
    data: await wallets.balanceView(ownWallet(request)),
  }));
  app.get('/x402/transactions/:walletAddress', { onRequest: auth }, async (request) => {
    const wallet = ownWallet(request);
    const { limit, offset } = parseOrThrow(pageQuery, request.query);
    return {
      success: true,
      data: await wallets.transactionsView(wallet, { limit, offset: offset ?? 0 }),
    };
  });
}
