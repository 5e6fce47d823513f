import type { FastifyInstance } from 'fastify';
import type { CryptoRpcService } from '../../services/crypto/crypto-rpc-service.ts';

/** GET /crypto/rpc/networks (swagger: listCryptoRpcNetworks, public): `{ networks }`, the configured slugs sorted. */
export function registerNetworksRoute(app: FastifyInstance, cryptoRpc: CryptoRpcService): void {
  app.get('/crypto/rpc/networks', async () => ({ networks: cryptoRpc.slugs() }));
}
