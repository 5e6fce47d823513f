import type { FastifyReply, FastifyRequest } from 'fastify';
import { VeniceError } from '../errors/venice-error.ts';
import { traced } from '../observability/tracing.ts';
import type { KeyService } from '../services/key-service.ts';
import type { ApiKeyRecord } from '../storage/store.ts';
import { sharedPerTurn } from './shared-per-turn.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated key; set by `requireKey` on routes that need one. */
    apiKey?: ApiKeyRecord;
  }
}

/**
 * An onRequest hook (it runs before the body is read, so an anonymous caller learns nothing from
 * body validation and cannot make the server parse a large body) that requires `Authorization: Bearer <key>` and attaches the key record.
 * Missing and bad keys both get 401 AUTHENTICATION_FAILED (Rialto has no x402 wallets, so there is
 * no 402 discovery answer to give an anonymous caller). `admin` additionally requires an ADMIN key;
 * `balances` adds the x-venice-balance-usd / -diem headers.
 */
export function requireKey(
  keys: KeyService,
  options: {
    admin?: boolean;
    balances?: (accountId: string) => Promise<{ usd: number; diem: number }>;
  } = {},
) {
  // One store read per account per turn of the event loop, shared by the requests that arrived in it.
  const balances = options.balances === undefined ? undefined : sharedPerTurn(options.balances);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match?.[1] === undefined) throw new VeniceError('AUTHENTICATION_FAILED');
    const secret = match[1];
    const key = await traced('auth', async (span) => {
      const found = await keys.authenticate(secret);
      // The key's id and type, never its secret.
      span?.setAttributes({
        'rialto.api_key.id': found.id,
        'rialto.api_key.type': found.apiKeyType,
      });
      return found;
    });
    if (options.admin === true && key.apiKeyType !== 'ADMIN') throw new VeniceError('UNAUTHORIZED');
    request.apiKey = key;
    if (balances !== undefined) {
      // api-spec.mdx: the balances before the request, on every authenticated response.
      const { usd, diem } = await balances(key.accountId);
      reply.header('x-venice-balance-usd', String(usd));
      reply.header('x-venice-balance-diem', String(diem));
    }
  };
}
