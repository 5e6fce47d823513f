import type { FastifyReply, FastifyRequest } from 'fastify';
import { VeniceError } from '../errors/venice-error.ts';
import type { Billing, Meter } from '../services/billing/meter.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * How this request pays: bound to its key, admitting it against the key's privacy and rate limits and reserving
     * its worst case before any work, settled by the service. Set by `billedKey` on every inference route.
     */
    billing: Billing;
  }
}

type KeyHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * The inference routes' onRequest hook: `authenticate` (auth.ts's requireKey) attaches the key, then the request
 * gets its Billing, once, with the x-ratelimit-* headers decided at admission written to the reply. Routes hand
 * `request.billing` to their service and never reach the Meter.
 */
export function billedKey(authenticate: KeyHook, meter: Pick<Meter, 'for'>): KeyHook {
  return async (request, reply) => {
    await authenticate(request, reply);
    if (request.apiKey === undefined) throw new VeniceError('AUTHENTICATION_FAILED');
    request.billing = meter.for(request.apiKey, (headers) => reply.headers({ ...headers }));
  };
}
