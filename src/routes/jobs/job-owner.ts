import type { FastifyRequest } from 'fastify';
import { VeniceError } from '../../errors/venice-error.ts';
import type { JobOwner } from '../../services/jobs/job-service.ts';

/**
 * The owner of the jobs a request queues, retrieves or completes: its API key's account, or the wallet it signed
 * in with (SIGN-IN-WITH-X, billedKeyOrWallet). The auth hook has set one of the two.
 */
export function jobOwnerOf(request: FastifyRequest): JobOwner {
  if (request.apiKey !== undefined) return { ledger: 'account', key: request.apiKey };
  if (request.signedInWallet !== undefined)
    return { ledger: 'wallet', wallet: request.signedInWallet.wallet };
  throw new VeniceError('AUTHENTICATION_FAILED');
}
