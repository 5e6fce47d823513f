import type { FastifyInstance } from 'fastify';
import { VeniceError } from '../../errors/venice-error.ts';
import type { Web3KeyService } from '../../services/wallets/web3-key-service.ts';

/**
 * GET /api_keys/generate_web3_key: a token for a wallet to sign; POST: the signed token for an API key (no auth:
 * the wallet's signature is the credential). Served when wallets.web3Keys is enabled (docs/wallets.md); else both
 * answer 404 ROUTE_NOT_FOUND (GET is still registered, so that it is not taken for GET /api_keys/{id}).
 */
export function registerGenerateWeb3Key(
  app: FastifyInstance,
  web3Keys: Web3KeyService | undefined,
): void {
  if (web3Keys === undefined) {
    app.get('/api_keys/generate_web3_key', async () => {
      throw new VeniceError('ROUTE_NOT_FOUND');
    });
    return;
  }
  app.get('/api_keys/generate_web3_key', async () => ({
    success: true,
    data: await web3Keys.issueToken(),
  }));
  app.post('/api_keys/generate_web3_key', async (request) => ({
    success: true,
    data: await web3Keys.mint(request.body),
  }));
}
