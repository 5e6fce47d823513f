import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import type { CryptoRpcService } from '../../services/crypto/crypto-rpc-service.ts';
import { registerNetworksRoute } from './networks.ts';
import { registerRpcProxyRoute } from './rpc-proxy.ts';

export interface CryptoRouteDependencies {
  cryptoRpc: CryptoRpcService;
  /** The inference key check and the request's Billing (onRequest hook). */
  auth: onRequestAsyncHookHandler;
}

/** The /crypto/rpc routes: the public network list and the metered JSON-RPC proxy. */
export function registerCryptoRoutes(
  app: FastifyInstance,
  dependencies: CryptoRouteDependencies,
): void {
  registerNetworksRoute(app, dependencies.cryptoRpc);
  registerRpcProxyRoute(app, dependencies);
}
