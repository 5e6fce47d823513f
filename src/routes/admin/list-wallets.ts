import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import type { z } from 'zod';
import {
  type adminWalletEntries,
  type adminWalletList,
  adminWalletPageQuery,
  walletAddressParams,
} from '../../schemas/admin.ts';
import type { OperatorReads } from '../../services/admin/operator-reads.ts';

/**
 * GET /admin/wallets?limit=&offset=: every x402 wallet (address, network, balance, totals, last activity), the most
 * recently active first, and how many there are. GET /admin/wallets/{address}/entries?limit=&offset=: one wallet's
 * ledger, newest first (404 WALLET_NOT_FOUND for an address never credited). Amounts in integer nano-USD.
 */
export function registerListWallets(
  app: FastifyInstance,
  reads: OperatorReads,
  auth: onRequestAsyncHookHandler,
): void {
  app.get('/admin/wallets', { onRequest: auth }, async (request) => {
    const { total, data } = await reads.wallets(parseOrThrow(adminWalletPageQuery, request.query));
    return { object: 'list', total, data } satisfies z.infer<typeof adminWalletList>;
  });
  app.get('/admin/wallets/:address/entries', { onRequest: auth }, async (request) => {
    const { address } = parseOrThrow(walletAddressParams, request.params);
    const page = parseOrThrow(adminWalletPageQuery, request.query);
    return {
      object: 'list',
      ...(await reads.walletEntries(address, page)),
    } satisfies z.infer<typeof adminWalletEntries>;
  });
}
