import type { FastifyRequest } from 'fastify';
import { VeniceError } from '../../errors/venice-error.ts';
import type { SignedInWallet, SiwxVerifier } from '../../services/wallets/siwx-verifier.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The wallet proven by SIGN-IN-WITH-X; set by `requireWallet` on routes that take wallets. */
    signedInWallet?: SignedInWallet;
  }
}

/**
 * An onRequest hook requiring SIGN-IN-WITH-X (or the legacy X-Sign-In-With-X; INVENTORY §0) and attaching the
 * wallet: missing or invalid is 401 X402_INVALID_SIGN_IN (swagger: "Missing or invalid Sign-in-with-x").
 */
export function requireWallet(verifier: () => SiwxVerifier) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers['sign-in-with-x'] ?? request.headers['x-sign-in-with-x'];
    if (typeof header !== 'string' || header === '') throw new VeniceError('X402_INVALID_SIGN_IN');
    request.signedInWallet = await verifier().verify(header);
  };
}
