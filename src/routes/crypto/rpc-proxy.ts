import type { FastifyInstance, FastifyReply } from 'fastify';
import { VeniceError } from '../../errors/venice-error.ts';
import { abortOnClose } from '../abort-on-close.ts';
import type { CryptoRouteDependencies } from './index.ts';

/** swagger: cryptoRpcProxy's Idempotency-Key parameter. */
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{1,255}$/;

/**
 * POST /crypto/rpc/{network} (swagger: cryptoRpcProxy): the node's JSON-RPC answer, Content-Type application/json,
 * with X-Venice-RPC-Credits and X-Venice-RPC-Cost-USD (8 decimals); Idempotent-Replayed: true on a replay.
 */
export function registerRpcProxyRoute(
  app: FastifyInstance,
  { cryptoRpc, auth }: CryptoRouteDependencies,
): void {
  app.post<{ Params: { network: string } }>(
    '/crypto/rpc/:network',
    { onRequest: auth },
    async (request, reply) => {
      const idempotencyKey = request.headers['idempotency-key'];
      if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(String(idempotencyKey)))
        throw new VeniceError('INVALID_REQUEST', {
          message: 'Idempotency-Key must match [A-Za-z0-9_-]{1,255}',
        });
      const signal = abortOnClose(request, reply);
      // rpc.mdx: the cache is keyed on (user, Idempotency-Key): here the key's account.
      const caller = request.apiKey?.accountId;
      const result = await cryptoRpc
        .relay(
          request.params.network,
          request.body,
          request.billing,
          signal,
          idempotencyKey === undefined || caller === undefined
            ? undefined
            : { caller, key: String(idempotencyKey) },
        )
        .catch((error: unknown) => {
          if (error instanceof VeniceError && error.code === 'RATE_LIMIT_EXCEEDED')
            limitHeaders(reply);
          throw error;
        });
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      reply.header('x-venice-rpc-credits', String(result.credits));
      reply.header('x-venice-rpc-cost-usd', result.costUsd.toFixed(8));
      return reply.type('application/json').send(result.body);
    },
  );
}

/**
 * swagger cryptoRpcProxy 429: X-RateLimit-Limit / -Remaining / -Reset (Unix seconds), the request limit's values of
 * the x-ratelimit-*-requests headers every Rialto endpoint sends (set at admission).
 */
function limitHeaders(reply: FastifyReply): void {
  for (const [name, from] of [
    ['x-ratelimit-limit', 'x-ratelimit-limit-requests'],
    ['x-ratelimit-remaining', 'x-ratelimit-remaining-requests'],
    ['x-ratelimit-reset', 'x-ratelimit-reset-requests'],
  ] as const) {
    const value = reply.getHeader(from);
    if (value !== undefined) reply.header(name, String(value));
  }
}
