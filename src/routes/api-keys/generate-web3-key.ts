import type { FastifyInstance } from 'fastify';
import type { Web3KeyService } from '../../services/wallets/web3-key-service.ts';

/**
 * GET /api_keys/generate_web3_key: a token for a wallet to sign; POST: the signed token for an API key (no auth:
 * the wallet's signature is the credential). Served only when wallets.web3Keys is enabled (docs/wallets.md).
 */
export function registerGenerateWeb3Key(app: FastifyInstance, web3Keys: Web3KeyService): void {
  app.get('/api_keys/generate_web3_key', async () => ({
    success: true,
    data: await web3Keys.issueToken(),
  }));
  app.post('/api_keys/generate_web3_key', async (request) => ({
    success: true,
    data: await web3Keys.mint(request.body),
  }));
}
