import type { FastifyRequest } from 'fastify';
import { VeniceError } from '../../errors/venice-error.ts';

/** The account of the key `requireKey` attached; keys of other accounts are invisible to it. */
export function callerAccount(request: FastifyRequest): string {
  if (request.apiKey === undefined) throw new VeniceError('AUTHENTICATION_FAILED');
  return request.apiKey.accountId;
}

/** One answer for unknown, revoked and other accounts' keys (a 400: the status the swagger documents on PATCH/DELETE). */
export function keyNotFound(): VeniceError {
  return new VeniceError('INVALID_REQUEST', { message: 'API key not found' });
}
